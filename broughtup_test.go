package tier_test

import (
	"context"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

// heldPutTier holds its next Put, once armed, until release is closed,
// and closes done when that Put has returned.
type heldPutTier struct {
	*memdriver.Tier
	armed, entered, release, done chan struct{}
}

func (h *heldPutTier) Put(ctx context.Context, rec driver.Record) error {
	select {
	case <-h.armed:
		h.entered <- struct{}{}
		<-h.release
		defer close(h.done)
	default:
	}
	return h.Tier.Put(ctx, rec)
}

// TestCopyBroughtUpIsNotFreshAfterAChangeMeanwhile: another machine
// updates a frame after a promotion read it below and before the copy
// lands in tier 1. The change notification arrives while there is no copy
// to drop; the copy that lands must not count as fresh, or it is served
// over the newer version until the next notification.
func TestCopyBroughtUpIsNotFreshAfterAChangeMeanwhile(t *testing.T) {
	ctx := context.Background()
	hot := &heldPutTier{Tier: memdriver.New(true), armed: make(chan struct{}, 1),
		entered: make(chan struct{}, 1), release: make(chan struct{}), done: make(chan struct{})}
	shared := memdriver.New(true)
	elsewhere, err := shared.Reopen() // another machine's handle on the shared tier
	if err != nil {
		t.Fatal(err)
	}
	m, err := tier.New(ctx, tier.Config{ManualMaintenance: true, NoPrefetch: true, PromotionThreshold: 1},
		tier.TierSpec{Name: "t1", Tier: hot}, tier.TierSpec{Name: "t2", Tier: shared})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	version := func(v uint64, doc string) driver.Record {
		data := []byte(doc)
		return driver.Record{Meta: driver.Meta{ID: "01900000-0000-7000-8000-0000000000a1", ProjectID: "p", Version: v,
			CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Size: int64(len(data)),
			Checksum: driver.Checksum(data)}, Data: data}
	}
	old, newer := version(1, `{"v":1}`), version(2, `{"v":2}`)
	if err := elsewhere.Put(ctx, old); err != nil {
		t.Fatal(err)
	}
	invalidations := func() int64 {
		st, err := m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.Coherence.Invalidations
	}
	waitFor(t, func() bool { return invalidations() >= 1 }) // the manager listens
	before := invalidations()

	hot.armed <- struct{}{}
	if got := mustGet(t, m, old.ID); got.Version != 1 {
		t.Fatalf("setup: Get = version %d, want 1 from tier 2", got.Version)
	}
	select {
	case <-hot.entered: // the promotion read version 1 and is writing it up
	case <-time.After(10 * time.Second):
		t.Fatal("setup: no promotion within 10s")
	}
	if err := elsewhere.Put(ctx, newer); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return invalidations() > before })
	close(hot.release)
	// The copy lands; the recheck of the notification may drop it again at
	// any moment, which is also right. Either way it must not be served.
	select {
	case <-hot.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the promotion's write did not return within 10s")
	}

	if got := mustGet(t, m, old.ID); got.Version != 2 || string(got.Data) != `{"v":2}` {
		t.Fatalf("Get = %s (version %d, tier %d) after the frame was updated elsewhere; want version 2", got.Data, got.Version, got.Level)
	}
}
