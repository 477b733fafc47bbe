package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A full tier 1 with only a cache below cannot demote: status says so
// from any process, not only the one that ran maintenance.
func TestStatusShowsStuckTier(t *testing.T) {
	c := newCLI(t, "STACKMEMORY_REDIS_URL="+redisURL(t))
	cfg := filepath.Join(c.home, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"sqlite":{"maxFrames":2}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	putDocs(t, c, "demo", oddDocs, "--config", cfg)
	r := c.ok("", "--config", cfg, "storage", "maintain")
	if !strings.Contains(r.stdout, "stuck:") {
		t.Fatalf("maintain with tier 1 over its limit and only a cache below:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"storage", "status"}, {"status"}} {
		out := c.ok("", append([]string{"--config", cfg}, args...)...).stdout
		if !strings.Contains(out, "stuck:") {
			t.Errorf("%v in a later process does not show the stuck tier:\n%s", args, out)
		}
	}
	var st struct {
		Stuck []string `json:"stuck"`
	}
	if err := json.Unmarshal([]byte(c.ok("", "--config", cfg, "status", "--json").stdout), &st); err != nil || len(st.Stuck) == 0 {
		t.Errorf("status --json: stuck %v (%v), want the reason", st.Stuck, err)
	}
}
