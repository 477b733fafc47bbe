package tier_test

import (
	"context"
	"sync/atomic"
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
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Replication.Queued != 1 {
		t.Errorf("Status.Replication.Queued = %d while a batch copies the frame; want 1 (not replicated yet)", st.Replication.Queued)
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

// forgetfulTier acknowledges its first PutMany and stores nothing, as a
// database restored from a backup, or failed over to a replica behind,
// forgets writes it acknowledged.
type forgetfulTier struct {
	*memdriver.Tier
	forgot atomic.Bool
}

func (f *forgetfulTier) PutMany(ctx context.Context, recs []driver.Record) error {
	if f.forgot.CompareAndSwap(false, true) {
		return nil
	}
	return f.Tier.PutMany(ctx, recs)
}

// TestReplicationKeepsAFrameTheDurableTierLost: a frame the durable tier
// does not hold right after replication wrote it, and has no tombstone
// for, was lost there, not deleted on another machine. Replication keeps
// the first tier's copy and the cache's, and writes the frame again.
func TestReplicationKeepsAFrameTheDurableTierLost(t *testing.T) {
	ctx := context.Background()
	hot, cache := memdriver.New(true), memdriver.New(false)
	archive := &forgetfulTier{Tier: memdriver.New(true)}
	m, err := tier.New(ctx, tier.Config{ManualMaintenance: true, NoPromotion: true},
		tier.TierSpec{Name: "t1", Tier: hot}, tier.TierSpec{Name: "t2", Tier: cache},
		tier.TierSpec{Name: "t3", Tier: archive})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	f := mustPut(t, m, frame("p", "", 1))
	if err := tier.FlushReplication(ctx, m); err != nil {
		t.Fatal(err)
	}
	if !archive.forgot.Load() {
		t.Fatal("setup: replication never wrote to the durable tier")
	}
	if _, ok := held(t, hot, f.ID); !ok {
		t.Fatal("tier 1 dropped the only sound copy of a frame the durable tier had lost")
	}
	if r, ok := held(t, archive.Tier, f.ID); !ok || r.Version != f.Version {
		t.Fatalf("the durable tier holds the frame: %v (version %d); want version %d, written again", ok, r.Version, f.Version)
	}
	if got := mustGet(t, m, f.ID); string(got.Data) != string(f.Data) {
		t.Fatalf("Get = %s, want %s", got.Data, f.Data)
	}
}
