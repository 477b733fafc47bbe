package sqlitedriver_test

import (
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
)

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier { return openStore(t) },
	})
}
