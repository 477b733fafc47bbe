package sqlitedriver_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// A child process started by TestConcurrentProcesses writes frames
	// and exits without running the tests.
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(runChild(path))
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { removeBenchFixture() }))
}
