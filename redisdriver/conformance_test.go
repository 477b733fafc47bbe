package redisdriver_test

import (
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver/internal/redistest"
)

func TestConformance(t *testing.T) {
	base := testenv.RedisURL(t)
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier {
			s, _ := openStore(t, base)
			return s
		},
	})
}

func TestConformanceDurable(t *testing.T) {
	base := testenv.RedisURL(t)
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier {
			s, _ := openStore(t, base, "durable", "true")
			return s
		},
	})
}

func TestConformanceCluster(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier {
			s, _ := openStore(t, c.URL())
			return s
		},
	})
	// Behaviour that takes other paths on a cluster: scans on every node,
	// pipelines over many slots.
	t.Run("TTLRenewedOnAccess", func(t *testing.T) { testTTLRenewedOnAccess(t, c.URL()) })
	t.Run("ExpiredFramesLeaveIndexes", func(t *testing.T) { testExpiredFramesLeaveIndexes(t, c.URL()) })
	t.Run("CompactRepairsIndexes", func(t *testing.T) { testCompactRepairsIndexes(t, c.URL()) })
}
