package tierotel_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/internal/testenv"
	_ "github.com/stackmemoryai/tier/pgdriver"
	_ "github.com/stackmemoryai/tier/redisdriver"
	_ "github.com/stackmemoryai/tier/sqlitedriver"
)

// TestSpecChainShowsWhichTierAnswered runs the storage spec's chain (a
// SQLite file, Redis, PostgreSQL) and reads a frame from each tier: every
// tier.Get names the tier that answered, and the reads counter splits
// them by level.
func TestSpecChainShowsWhichTierAnswered(t *testing.T) {
	tel := newTelemetry(t)
	ctx := context.Background()
	m, err := tier.Open(ctx, tier.Config{
		Tiers: []tier.TierSpec{
			{Name: "sqlite", URL: "sqlite://" + filepath.Join(t.TempDir(), "frames.db")},
			{Name: "redis", URL: testenv.RedisTierURL(t)},
			{Name: "postgres", URL: testenv.PostgresURL(t)},
		},
		ManualMaintenance: true, NoPromotion: true, NoPrefetch: true,
		Hooks: tel.hooks(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	ids := map[string]string{}
	for i, project := range []string{"hot", "warm", "cold"} {
		f, err := m.Put(ctx, newFrame(project, i))
		if err != nil {
			t.Fatal(err)
		}
		ids[project] = f.ID
	}
	for project, level := range map[string]int{"warm": 2, "cold": 3} {
		if _, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: level, ProjectID: project}); err != nil {
			t.Fatal(err)
		}
	}
	tel.ended()
	before := tel.metrics(t)

	for _, project := range []string{"hot", "warm", "cold"} {
		f, err := m.Get(ctx, ids[project])
		if err != nil {
			t.Fatal(err)
		}
		spans := tel.ended()
		get := only(t, spans, "tier.Get")
		wantAttrs(t, "tier.Get of the "+project+" frame", attrs(get.Attributes()), map[string]string{
			"tier.frame_id": f.ID, "tier.outcome": "ok", "tier.name": f.Tier})
		var calls []string
		for _, c := range children(spans, get) {
			calls = append(calls, c.Name())
		}
		want := map[string][]string{
			"hot":  {"get sqlite"},
			"warm": {"get sqlite", "get redis"},
			"cold": {"get sqlite", "get redis", "get postgres"},
		}[project]
		for _, w := range want {
			if !slices.Contains(calls, w) {
				t.Errorf("Get of the %s frame: calls %v, want %s among them", project, calls, w)
			}
		}
	}
	reads := since(before, tel.metrics(t))
	wantSeries(t, reads, "tier.reads", map[string]float64{
		"tier.level=1,tier.name=sqlite,tier.outcome=ok":   1,
		"tier.level=2,tier.name=redis,tier.outcome=ok":    1,
		"tier.level=3,tier.name=postgres,tier.outcome=ok": 1,
	})
}
