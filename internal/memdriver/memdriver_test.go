package memdriver_test

import (
	"context"
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier {
			tr, err := memdriver.Open(context.Background(), memdriver.Options{MaxFrameSize: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tr.Close() })
			return tr
		},
		Corrupt: func(t *testing.T, tr driver.Tier, id string) {
			tr.(*memdriver.Tier).Corrupt(id, []byte(`{"task":"tampered"}`))
		},
		Open: memdriver.Driver{}.Open,
		BadDSNs: []string{
			"mem://x?colour=blue",
			"mem://x?durable=maybe",
			"mem://x?maxframesize=0",
			"mem://x?maxframesize=lots",
			"redis://127.0.0.1:6379/0",
			"mem://x\x7f",
		},
		BigFrames: true,
	})
}
