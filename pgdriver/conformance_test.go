package pgdriver

import (
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
)

// TestConformance runs the driver conformance suite, each tier in a
// database of its own.
func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier { return newStore(t) },
	})
}
