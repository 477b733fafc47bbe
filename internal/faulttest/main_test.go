package faulttest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests: every Manager,
// proxy and client is closed by then. rueidis schedules a reconnection to
// a server that refused it as a goroutine that sleeps up to a second and
// then finds its client closed; it ends on its own, so it is not a leak.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*call).DelayDo.func1"))
}
