package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

// isolate points the store at an empty HOME with no tier from the
// environment.
func isolate(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, name := range []string{"REDIS_URL", "DATABASE_URL", config.EnvRedisURL, config.EnvPostgresURL, config.EnvSQLitePath} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

func TestOncePrintsStats(t *testing.T) {
	isolate(t)
	var out bytes.Buffer
	if err := run(context.Background(), "127.0.0.1:0", true, &out); err != nil {
		t.Fatal(err)
	}
	var st tier.Stats
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("not the Stats JSON: %v\n%s", err, out.String())
	}
	if len(st.Tiers) != 1 || st.Tiers[0].Name != "sqlite" {
		t.Errorf("tiers: %+v", st.Tiers)
	}
}

func TestPrometheusNames(t *testing.T) {
	st := tier.Stats{
		Reads: 4, HotHitRatio: 0.75,
		Tiers: []tier.TierStats{
			{Level: 1, Name: "sqlite", Reads: 3, Latency: []tier.OpLatency{{Op: "get", Count: 3, P50: 1000, P95: 2000, P99: 4000}}},
			{Level: 2, Name: "redis", Reads: 1, BreakerTrips: 2},
		},
	}
	var b strings.Builder
	writePrometheus(&b, st)
	for _, want := range []string{
		`stackmemory_tier_reads_total{level="1",tier="sqlite"} 3`,
		`stackmemory_tier_breaker_trips_total{level="2",tier="redis"} 2`,
		`stackmemory_tier_hot_hit_ratio 0.75`,
		`stackmemory_tier_latency_seconds{level="1",tier="sqlite",op="get",quantile="0.99"} 4e-06`,
		"# TYPE stackmemory_tier_reads_total counter",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
}
