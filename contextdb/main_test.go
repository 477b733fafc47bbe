package contextdb_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// A child process started by TestAnotherProcessWritesMeanwhile plays
	// upstream StackMemory and exits without running the tests.
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(runUpstreamChild(path))
	}
	os.Exit(m.Run())
}
