package tier_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/internal/memdriver"
	"pgregory.net/rapid"
)

// TestPropertyNoFrameLostStaleOrResurrected runs random sequences of puts,
// updates, gets, deletes, migrations, maintenance, compaction, tier
// outages and restarts against a three-tier chain (durable, cache,
// durable) with tiny limits, and checks every frame against a plain map
// after each step.
func TestPropertyNoFrameLostStaleOrResurrected(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		statePath := filepath.Join(t.TempDir(), "state.db")
		stores := []*memdriver.Tier{memdriver.New(true), memdriver.New(false), memdriver.New(true)}
		limits := []tier.Limits{{MaxFrames: 3}, {MaxFrames: 4}}
		open := func() *tier.Manager {
			var specs []tier.TierSpec
			for i, s := range stores {
				h, _ := s.Reopen()
				spec := tier.TierSpec{Name: fmt.Sprintf("t%d", i+1), Tier: h}
				if i < len(limits) {
					spec.Limits = limits[i]
				}
				specs = append(specs, spec)
			}
			m, err := tier.New(ctx, tier.Config{
				ManualMaintenance: true, StatePath: statePath, PromotionThreshold: 2, Logger: propertyLogger(),
				BreakerCooldown:  time.Nanosecond,
				EvictionStrategy: rapid.SampledFrom([]tier.Policy{tier.LRU, tier.LFU, tier.AGE}).Draw(rt, "policy"),
			}, specs...)
			if err != nil {
				rt.Fatal(err)
			}
			return m
		}
		m := open()
		defer func() { _ = m.Close() }()
		model := map[string]string{} // id -> document; "" once deleted
		var ids []string
		down := make([]bool, len(stores))

		pick := func() string { return rapid.SampledFrom(ids).Draw(rt, "id") }
		rt.Repeat(map[string]func(*rapid.T){
			"put": func(rt *rapid.T) {
				doc := fmt.Sprintf(`{"n":%d}`, rapid.IntRange(0, 1e6).Draw(rt, "n"))
				f, err := m.Put(ctx, tier.Frame{ProjectID: "p", Data: []byte(doc)})
				if err != nil {
					rt.Fatalf("Put: %v", err)
				}
				model[f.ID] = doc
				ids = append(ids, f.ID)
			},
			"update": func(rt *rapid.T) {
				if len(ids) == 0 {
					return // nothing to act on yet
				}
				id := pick()
				doc := fmt.Sprintf(`{"n":%d,"v":2}`, rapid.IntRange(0, 1e6).Draw(rt, "n"))
				if _, err := m.Put(ctx, tier.Frame{ID: id, ProjectID: "p", Data: []byte(doc)}); err != nil {
					rt.Fatalf("update: %v", err)
				}
				model[id] = doc
			},
			"delete": func(rt *rapid.T) {
				if len(ids) == 0 {
					return // nothing to act on yet
				}
				id := pick()
				if err := m.Delete(ctx, id); err != nil {
					rt.Fatalf("Delete: %v", err)
				}
				model[id] = ""
			},
			"get": func(rt *rapid.T) {
				if len(ids) == 0 {
					return // nothing to act on yet
				}
				_, _ = m.Get(ctx, pick())
			},
			"maintain": func(rt *rapid.T) { _, _ = m.Maintain(ctx) },
			"migrate": func(rt *rapid.T) {
				_, _ = m.Migrate(ctx, tier.MigrateOptions{ToLevel: rapid.IntRange(2, 3).Draw(rt, "to"),
					Limit: rapid.IntRange(0, 3).Draw(rt, "limit")})
			},
			"compact": func(rt *rapid.T) { _, _ = m.Compact(ctx) },
			"outage": func(rt *rapid.T) {
				i := rapid.IntRange(1, 2).Draw(rt, "tier") // the first tier is local
				down[i] = !down[i]
				if down[i] {
					stores[i].SetFailure(errors.New("injected outage"))
				} else {
					stores[i].SetFailure(nil)
				}
			},
			"cache-loses-everything": func(rt *rapid.T) {
				// Redis restarted without persistence, or keys expired.
				for _, id := range ids {
					_ = stores[1].Delete(ctx, id, ^uint64(0))
				}
			},
			"restart": func(rt *rapid.T) {
				if err := m.Close(); err != nil {
					rt.Fatalf("Close: %v", err)
				}
				m = open()
			},
			"": func(rt *rapid.T) {
				anyDown := down[1] || down[2]
				for _, id := range ids {
					want := model[id]
					f, err := m.Get(ctx, id)
					switch {
					case want == "" && err == nil:
						rt.Fatalf("deleted frame %s came back from tier %d (version %d): %s", id, f.Level, f.Version, f.Data)
					case want == "" && errors.Is(err, tier.ErrUnavailable) && anyDown:
						// allowed: a tier that is down may hold a copy, and
						// Get cannot tell a deleted frame from any other
					case want == "" && !errors.Is(err, tier.ErrNotFound):
						rt.Fatalf("Get of deleted frame %s = %v, want ErrNotFound", id, err)
					case want != "" && err == nil && string(f.Data) != want:
						rt.Fatalf("frame %s = %s from tier %d (version %d), want %s (stale or wrong)", id, f.Data, f.Level, f.Version, want)
					case want != "" && errors.Is(err, tier.ErrUnavailable) && anyDown:
						// allowed: the frame lives in a tier that is down
					case want != "" && err != nil:
						rt.Fatalf("frame %s lost: %v", id, err)
					}
				}
			},
		})
	})
}

// propertyLogger logs the manager's events to stderr when
// TIER_PROPERTY_DEBUG=1, to follow a failing sequence.
func propertyLogger() *slog.Logger {
	if os.Getenv("TIER_PROPERTY_DEBUG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
