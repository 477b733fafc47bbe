package redisdriver_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests, like
// goleak.VerifyTestMain, with a longer wait: after a cluster topology
// refresh rueidis closes the connections it replaced from a goroutine that
// sleeps five seconds first, even when the client is closed meanwhile.
// Such a goroutine ends on its own; one that does not is reported.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := waitNoLeaks(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func waitNoLeaks() error {
	var err error
	for range 8 { // goleak.Find itself retries for about 2 s
		if err = goleak.Find(); err == nil {
			return nil
		}
		time.Sleep(time.Second)
	}
	return err
}
