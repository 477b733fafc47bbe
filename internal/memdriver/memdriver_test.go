package memdriver_test

import (
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier {
			tr := memdriver.New(true)
			t.Cleanup(func() { _ = tr.Close() })
			return tr
		},
	})
}
