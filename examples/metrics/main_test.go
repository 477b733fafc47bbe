package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

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

// openStore opens the store run would open, in an empty HOME.
func openStore(t *testing.T) *tier.Manager {
	t.Helper()
	isolate(t)
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := config.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// scrape returns what /metrics serves, as Prometheus would read it.
func scrape(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
	}
	return string(body)
}

func TestPrometheusShowsWhatTheStoreDid(t *testing.T) {
	m := openStore(t)
	ctx := context.Background()
	var ids []string
	for _, doc := range []string{`{"task":"plan"}`, `{"task":"build"}`} {
		f, err := m.Put(ctx, tier.Frame{ProjectID: "metrics", Data: []byte(doc)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	for _, id := range []string{ids[0], ids[0], ids[1], tier.NewID()} {
		_, _ = m.Get(ctx, id) // the last is not found, on purpose
	}

	h, err := newHandler(m)
	if err != nil {
		t.Fatal(err)
	}
	text := scrape(t, h, "/metrics")
	for _, want := range []string{
		`stackmemory_tier_reads_total{level="1",tier="sqlite"} 3`,
		`stackmemory_tier_misses_total 1`,
		`stackmemory_tier_hot_hit_ratio 1`,
		`stackmemory_tier_frames{level="1",tier="sqlite"} 2`,
		`stackmemory_tier_up{level="1",tier="sqlite"} 1`,
		`stackmemory_tier_breaker_state{level="1",state="closed",tier="sqlite"} 1`,
		`stackmemory_tier_breaker_state{level="1",state="open",tier="sqlite"} 0`,
		`stackmemory_tier_pending_changes 0`,
		`stackmemory_tier_calls_total{level="1",op="get",tier="sqlite"}`,
		`stackmemory_tier_call_latency_seconds{level="1",op="get",percentile="p99",tier="sqlite"}`,
		"# TYPE stackmemory_tier_reads_total counter",
		"# TYPE stackmemory_tier_frames gauge",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, text)
		}
	}
	if vars := scrape(t, h, "/debug/vars"); !strings.Contains(vars, `"tier"`) {
		t.Errorf("/debug/vars lacks the tier statistics:\n%s", vars)
	}
}

func TestMetricNamesFollowPrometheusConventions(t *testing.T) {
	m := openStore(t)
	if _, err := m.Put(context.Background(), tier.Frame{Data: []byte(`{"task":"lint"}`)}); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.CollectAndLint(newCollector(m))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
