package tier_test

import (
	"context"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

// heldPutsTier holds every PutMany until release is closed, and says on
// entered that one is waiting: it catches a replication batch in flight,
// a timing a real server gives only by chance.
type heldPutsTier struct {
	*memdriver.Tier
	entered chan struct{}
	release chan struct{}
}

func (g *heldPutsTier) PutMany(ctx context.Context, recs []driver.Record) error {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.Tier.PutMany(ctx, recs)
}

// TestFlushReplicationWaitsForABatchInFlight: a frame the replication loop
// has taken off the queue is not replicated yet. A flush that returned
// then let the tests that make room in tier 1 next take the frame for held
// below, and fail about once in 600 runs under load.
func TestFlushReplicationWaitsForABatchInFlight(t *testing.T) {
	ctx := context.Background()
	below := &heldPutsTier{Tier: memdriver.New(true), entered: make(chan struct{}, 1), release: make(chan struct{})}
	m, err := tier.New(ctx, tier.Config{ReplicationLag: 20 * time.Millisecond, ManualMaintenance: true},
		tier.TierSpec{Name: "t1", Tier: memdriver.New(true)}, tier.TierSpec{Name: "t2", Tier: below})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	f := mustPut(t, m, frame("p", "", 1))
	select {
	case <-below.entered: // the loop's batch now holds the frame
	case <-time.After(10 * time.Second):
		t.Fatal("the replication loop did not copy the frame within 10s")
	}
	// The batch goes on in 100ms: a flush that waits for it sees the copy.
	time.AfterFunc(100*time.Millisecond, func() { close(below.release) })
	if err := tier.FlushReplication(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, ok := held(t, below.Tier, f.ID); !ok {
		t.Fatal("FlushReplication returned before the batch in flight had copied the frame to tier 2")
	}
}
