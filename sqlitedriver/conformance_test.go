package sqlitedriver_test

import (
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier { return openStore(t) },
		Corrupt: func(t *testing.T, tr driver.Tier, id string) {
			t.Helper()
			damageRow(t, tr.(*sqlitedriver.Store).Path(), id)
		},
		Open:      sqlitedriver.Driver{}.Open,
		BadDSNs:   badDSNs,
		BigFrames: true,
	})
}
