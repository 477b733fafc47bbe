package redisdriver_test

import (
	"sync/atomic"
	"testing"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/driver/drivertest"
	"github.com/stackmemoryai/tier/internal/codec"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver"
	"github.com/stackmemoryai/tier/redisdriver/internal/redistest"
)

// harness returns the conformance harness for stores on base, with extra
// URL parameters. evicts: the store forgets on its own (not durable).
func harness(t *testing.T, base string, evicts bool, params ...string) drivertest.Harness {
	h := drivertest.Harness{
		NewTier: func(t *testing.T) driver.Tier {
			s, _ := openStore(t, base, params...)
			return s
		},
		Corrupt: func(t *testing.T, tr driver.Tier, id string) {
			// Another client overwrites the document with a sound brotli
			// stream of other bytes: it fails the size and checksum.
			c, fk := keysOf(t, tr, id)
			enc := codec.Compress([]byte(`{"written":"by another client"}`), 5)
			if err := c.Do(ctxT(t), c.B().Set().Key(fk).Value(rueidis.BinaryString(enc)).Keepttl().Build()).Error(); err != nil {
				t.Fatalf("corrupt %s: %v", fk, err)
			}
		},
		Open:    redisdriver.Driver{}.Open,
		BadDSNs: badDSNs(t, base),
	}
	if evicts {
		var n atomic.Int64
		h.Evict = func(t *testing.T, tr driver.Tier, id string) {
			// Redis evicts a frame's two keys independently: drop one,
			// the meta hash and the document in turn.
			c, fk := keysOf(t, tr, id)
			key := fk
			if n.Add(1)%2 == 1 {
				key = tr.(*redisdriver.Store).Options().Prefix + "meta:{" + id + "}"
			}
			if err := c.Do(ctxT(t), c.B().Del().Key(key).Build()).Error(); err != nil {
				t.Fatalf("evict %s: %v", key, err)
			}
		}
	}
	return h
}

// keysOf returns the store's own client and the document key of id.
func keysOf(t *testing.T, tr driver.Tier, id string) (rueidis.Client, string) {
	t.Helper()
	s := tr.(*redisdriver.Store)
	var c rueidis.Client
	if !s.As(&c) {
		t.Fatal("As(*rueidis.Client) = false")
	}
	return c, s.Options().Prefix + "frame:{" + id + "}"
}

// badDSNs lists connection strings Open must refuse with ErrBadDSN.
func badDSNs(t *testing.T, base string) []string {
	return []string{
		withParams(t, base, "pool", "3"),
		withParams(t, base, "ttl", "soon"),
		withParams(t, base, "compression", "12"),
		withParams(t, base, "timeout", "-1s"),
		withParams(t, base, "batch_timeout", "fast"),
		withParams(t, base, "prefix", "a{b}:"),
		"postgres://127.0.0.1/0",
		"redis://127.0.0.1:6379/x",
	}
}

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, harness(t, testenv.RedisURL(t), true))
}

func TestConformanceDurable(t *testing.T) {
	drivertest.RunConformanceTests(t, harness(t, testenv.RedisURL(t), false, "durable", "true"))
}

// Documents as large as the store accepts, high-entropy and repetitive,
// with a limit of 4 MiB so that the suite stays quick under -race; the
// same code paths serve the default 64 MiB.
func TestConformanceBigFrames(t *testing.T) {
	h := harness(t, testenv.RedisURL(t), true, "max_frame_size", "4194304")
	h.BigFrames = true
	drivertest.RunConformanceTests(t, h)
}

func TestConformanceCluster(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	drivertest.RunConformanceTests(t, harness(t, c.URL(), true))
	// Behaviour that takes other paths on a cluster: scans on every node,
	// pipelines over many slots.
	t.Run("TTLRenewedOnAccess", func(t *testing.T) { testTTLRenewedOnAccess(t, c.URL()) })
	t.Run("ExpiredFramesLeaveIndexes", func(t *testing.T) { testExpiredFramesLeaveIndexes(t, c.URL()) })
	t.Run("CompactRepairsIndexes", func(t *testing.T) { testCompactRepairsIndexes(t, c.URL()) })
	t.Run("SubscribeSeesOtherStores", func(t *testing.T) { testSubscribeSeesOtherStores(t, c.URL()) })
}
