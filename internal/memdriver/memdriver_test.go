package memdriver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

// harness opens private tiers with o, documents limited to 1 MiB so that
// the big-frame subtest stays quick.
func harness(o memdriver.Options) drivertest.Harness {
	o.MaxFrameSize = 1 << 20
	return drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier {
			tr, err := memdriver.Open(context.Background(), o)
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
	}
}

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, harness(memdriver.Options{}))
}

// TestConformanceAsCache runs the suite on a tier that claims to be a
// cache and forgets frames, so the eviction subtest runs too.
func TestConformanceAsCache(t *testing.T) {
	h := harness(memdriver.Options{NotDurable: true})
	h.Evict = func(t *testing.T, tr driver.Tier, id string) { tr.(*memdriver.Tier).Evict(id) }
	drivertest.RunConformanceTests(t, h)
}

// TestConformanceWithDocument runs the suite with documents of another
// shape than the suite's own, as a driver storing only one shape would.
func TestConformanceWithDocument(t *testing.T) {
	h := harness(memdriver.Options{})
	h.Document = func(text string, n int) []byte {
		name, _ := json.Marshal(text)
		return fmt.Appendf(nil, `{"name":%s,"type":"task","depth":%d,"events":[{"kind":"note","payload":{"seq":%d}}]}`, name, n, n)
	}
	drivertest.RunConformanceTests(t, h)
}
