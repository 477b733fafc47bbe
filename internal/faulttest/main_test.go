package faulttest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests: every Manager,
// proxy and client is closed by then.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
