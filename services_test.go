package tier_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
	"github.com/stackmemoryai/tier/internal/testenv"
	_ "github.com/stackmemoryai/tier/pgdriver"
	_ "github.com/stackmemoryai/tier/redisdriver"
)

// openFullChain opens the spec's chain on real services: SQLite (1000
// frames by default, here smaller), Redis (a cache), PostgreSQL.
func openFullChain(t *testing.T, hotFrames int64) (*tier.Manager, config.Config) {
	t.Helper()
	cfg := config.Default()
	cfg.SQLite.Path = filepath.Join(t.TempDir(), "frames.db")
	cfg.SQLite.MaxFrames = hotFrames
	cfg.Redis.URL = testenv.RedisTierURL(t)
	cfg.Redis.MaxSize = 4 * config.KB
	cfg.Postgres.URL = testenv.PostgresURL(t)
	cfg.BackgroundSync = new(bool)
	cfg.BreakerCooldown = config.Duration(50 * time.Millisecond)
	m, err := config.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, cfg
}

func TestFullChainOnRealServices(t *testing.T) {
	m, _ := openFullChain(t, 5)
	ctx := context.Background()
	session := tier.NewID()
	var frames []tier.Frame
	for i := range 40 {
		f := frame("spec", session, i)
		if i%10 == 0 {
			f.Data = []byte(fmt.Sprintf(`{"task":"investigate websocket reconnect storm %d","n":%d}`, i, i))
		}
		frames = append(frames, mustPut(t, m, f))
	}
	rep, err := m.Maintain(ctx)
	if err != nil {
		t.Fatalf("Maintain: %v", err)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range st.Tiers {
		if !ts.Healthy {
			t.Fatalf("tier %s unhealthy: %s", ts.Name, ts.Error)
		}
	}
	if st.Tiers[0].Frames != 5 || st.Tiers[1].Frames == 0 || st.Tiers[2].Frames < 35 {
		t.Fatalf("after Maintain (%+v) the tiers hold %d / %d / %d frames; want 5 hot, some warm, the rest archived",
			rep, st.Tiers[0].Frames, st.Tiers[1].Frames, st.Tiers[2].Frames)
	}
	// The oldest frame left tier 1 first. (Reading it warms its session
	// into tier 1 in the background, so later reads may come from there.)
	if got := mustGet(t, m, frames[0].ID); got.Level == 1 {
		t.Fatalf("the oldest frame was served from tier 1; it should have been demoted")
	}
	for _, f := range frames {
		got := mustGet(t, m, f.ID)
		if string(got.Data) != string(f.Data) || got.Version != f.Version {
			t.Fatalf("frame %s came back changed from tier %d", f.ID, got.Level)
		}
	}

	// One query across SQLite FTS5 and PostgreSQL tsvector.
	found := map[string]bool{}
	q := tier.Query{SessionID: session, Text: "websocket reconnect", Limit: 2}
	for range 10 {
		page, err := m.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Frames {
			found[f.ID] = true
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if len(found) != 4 {
		t.Fatalf("search across tiers found %d frames, want 4", len(found))
	}

	// Delete reaches every tier; Verify finds nothing wrong.
	if err := m.Delete(ctx, frames[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, frames[0].ID); !errors.Is(err, tier.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
	vr, err := m.Verify(ctx, tier.VerifyOptions{})
	if err != nil || len(vr.Issues) != 0 {
		t.Fatalf("Verify = %+v, %v; want no issues", vr, err)
	}
	if vr.Checked != len(frames)-1 {
		t.Fatalf("Verify checked %d frames, want %d", vr.Checked, len(frames)-1)
	}
}

func TestFullChainPromotionAndMigrateOnRealServices(t *testing.T) {
	m, _ := openFullChain(t, 100)
	ctx := context.Background()
	a := mustPut(t, m, frame("spec", "", 1))
	rep, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: 3})
	if err != nil || rep.Moved != 1 {
		t.Fatalf("Migrate to tier 3 = %+v, %v", rep, err)
	}
	for range 3 {
		if got := mustGet(t, m, a.ID); got.Level != 3 && got.Level != 1 {
			t.Fatalf("served from tier %d", got.Level)
		}
	}
	waitFor(t, func() bool {
		got, err := m.Get(ctx, a.ID)
		return err == nil && got.Level == 1
	})
}
