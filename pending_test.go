package tier_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

// downUntilUp is a driver whose server is unreachable until up is set.
type downUntilUp struct {
	up    atomic.Bool
	store *memdriver.Tier
}

func (d *downUntilUp) Open(ctx context.Context, dsn string) (driver.Tier, error) {
	if !d.up.Load() {
		return nil, fmt.Errorf("%w: connection refused", driver.ErrUnavailable)
	}
	return d.store.Reopen()
}

var lateServer = &downUntilUp{store: memdriver.New(true)}

func init() { tier.Register("late", lateServer) }

func TestManagerOpensWithALowerTierDownAndConnectsLater(t *testing.T) {
	ctx := context.Background()
	lateServer.up.Store(false) // down again, also when the test runs twice
	t.Cleanup(func() { lateServer.up.Store(false) })
	hot := memdriver.New(true)
	m, err := tier.Open(ctx, tier.Config{ManualMaintenance: true, Tiers: []tier.TierSpec{
		{Name: "hot", Tier: hot, Limits: tier.Limits{MaxFrames: 1}},
		{Name: "archive", URL: "late://archive"},
	}})
	if err != nil {
		t.Fatalf("Open with the archive down = %v; want local-only mode", err)
	}
	defer m.Close()
	a := mustPut(t, m, frame("p", "", 1))
	mustPut(t, m, frame("p", "", 2))
	if _, err := m.Get(ctx, tier.NewID()); !errors.Is(err, tier.ErrUnavailable) {
		t.Fatalf("Get of an unknown frame while the archive is down = %v, want ErrUnavailable", err)
	}
	st, _ := m.Status(ctx)
	if st.Tiers[1].Healthy {
		t.Fatal("Status says the unconnected archive is healthy")
	}
	if rep, _ := m.Maintain(ctx); rep.Demoted != 0 {
		t.Fatalf("frames were demoted into a tier that is not connected: %+v", rep)
	}
	// Tier 1 is over its limit: Status says why nothing moves.
	st, _ = m.Status(ctx)
	if len(st.Stuck) != 1 || !strings.Contains(st.Stuck[0], "archive) is not connected") {
		t.Fatalf("Status.Stuck = %q; want tier 1 stuck because the archive is not connected", st.Stuck)
	}
	lateServer.up.Store(true)
	rep, err := m.Maintain(ctx)
	if err != nil || rep.Demoted != 1 {
		t.Fatalf("Maintain after the archive came up = %+v, %v; want it connected and one frame demoted", rep, err)
	}
	if got := mustGet(t, m, a.ID); got.Level != 2 {
		t.Fatalf("oldest frame served from tier %d, want 2", got.Level)
	}
}
