package memdriver_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

// waitFor bounds how long a test waits for a notification that must come;
// it is never what a test asserts.
const waitFor = 10 * time.Second

// listener collects the changes a subscription delivers.
type listener struct{ ch chan driver.Change }

func subscribe(t *testing.T, ctx context.Context, tr *memdriver.Tier) *listener {
	t.Helper()
	l := &listener{ch: make(chan driver.Change, 100)}
	if err := tr.Subscribe(ctx, func(c driver.Change) { l.ch <- c }); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return l
}

// expect waits until the changes delivered name every id of want (a Reset
// delivered meanwhile is accepted only if reset is set).
func (l *listener) expect(t *testing.T, reset bool, want ...string) {
	t.Helper()
	missing := map[string]bool{}
	for _, id := range want {
		missing[id] = true
	}
	sawReset := false
	deadline := time.After(waitFor)
	for len(missing) > 0 || (reset && !sawReset) {
		select {
		case c := <-l.ch:
			if c.Reset {
				if !reset {
					t.Fatalf("got Change{Reset: true} while waiting for %v", want)
				}
				sawReset = true
			}
			for _, id := range c.IDs {
				delete(missing, id)
			}
		case <-deadline:
			t.Fatalf("no notification for %v (reset %v) within %s", slices.Collect(mapKeys(missing)), reset && !sawReset, waitFor)
		}
	}
}

// quiet checks that nothing is pending once a later change has arrived:
// it writes a marker frame through tr and expects the next change to
// name only the marker.
func (l *listener) quiet(t *testing.T, tr *memdriver.Tier) {
	t.Helper()
	marker := rec(fmt.Sprintf("00000000-0000-4000-8000-%012d", time.Now().UnixNano()%1e12), 1)
	if err := tr.Put(context.Background(), marker); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-l.ch:
		if c.Reset || !slices.Equal(c.IDs, []string{marker.ID}) {
			t.Fatalf("got %+v; want only the marker %s (an unexpected change was reported)", c, marker.ID)
		}
	case <-time.After(waitFor):
		t.Fatalf("the marker write was not reported within %s", waitFor)
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func rec(id string, version uint64) driver.Record {
	doc := fmt.Appendf(nil, `{"task":"notified","v":%d}`, version)
	return driver.Record{Meta: driver.Meta{ID: id, Version: version, Checksum: driver.Checksum(doc),
		Size: int64(len(doc)), CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, Data: doc}
}

func openNamed(t *testing.T, name string) *memdriver.Tier {
	t.Helper()
	tr, err := memdriver.Open(context.Background(), memdriver.Options{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

func TestSubscribeSeesEveryHandlesChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	name := fmt.Sprintf("notify-%d", time.Now().UnixNano())
	a, b := openNamed(t, name), openNamed(t, name)
	la, lb := subscribe(t, ctx, a), subscribe(t, ctx, b)

	const id1, id2, id3 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333"
	if err := b.Put(ctx, rec(id1, 1)); err != nil {
		t.Fatal(err)
	}
	la.expect(t, false, id1)
	lb.expect(t, false, id1) // own writes are reported too
	if err := a.PutMany(ctx, []driver.Record{rec(id2, 1), rec(id3, 1)}); err != nil {
		t.Fatal(err)
	}
	la.expect(t, false, id2, id3)
	lb.expect(t, false, id2, id3)
	if err := b.Delete(ctx, id1, driver.AnyVersion); err != nil {
		t.Fatal(err)
	}
	la.expect(t, false, id1)
	if err := b.DeleteMany(ctx, []driver.Deletion{{ID: id2, UpTo: 1}, {ID: id3, UpTo: 1}}); err != nil {
		t.Fatal(err)
	}
	la.expect(t, false, id2, id3)

	// Nothing changes: an older version, a delete below the stored
	// version, a delete of a missing frame.
	if err := a.Put(ctx, rec(id1, 5)); err != nil {
		t.Fatal(err)
	}
	la.expect(t, false, id1)
	if err := b.Put(ctx, rec(id1, 4)); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, id1, 3); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, id2, driver.AnyVersion); err != nil {
		t.Fatal(err)
	}
	la.quiet(t, b)

	// A private store and another name are not the same store.
	other := openNamed(t, name+"-other")
	if err := other.Put(ctx, rec(id3, 1)); err != nil {
		t.Fatal(err)
	}
	if err := memdriver.New(true).Put(ctx, rec(id3, 1)); err != nil {
		t.Fatal(err)
	}
	la.quiet(t, a)
}

func TestCutNotificationsResetsSubscribers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	name := fmt.Sprintf("notify-cut-%d", time.Now().UnixNano())
	a, b := openNamed(t, name), openNamed(t, name)
	la := subscribe(t, ctx, a)

	const missed = "44444444-4444-4444-8444-444444444444"
	cut := errors.New("invalidation connection lost")
	b.CutNotifications(cut)
	la.expect(t, true)
	if err := a.Subscribe(ctx, func(driver.Change) {}); !errors.Is(err, driver.ErrUnavailable) || !errors.Is(err, cut) {
		t.Fatalf("Subscribe while notifications are cut = %v; want driver.ErrUnavailable wrapping the cause", err)
	}
	// The store still works; the change is missed.
	if err := b.Put(ctx, rec(missed, 1)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.Get(ctx, missed); !ok || err != nil {
		t.Fatalf("Get while notifications are cut: ok %v, %v; want the frame", ok, err)
	}
	b.CutNotifications(nil)
	la.expect(t, true) // changes in between were missed
	la.quiet(t, b)
}

func TestSubscriptionEndsWithContextOrClose(t *testing.T) {
	name := fmt.Sprintf("notify-end-%d", time.Now().UnixNano())
	a, b := openNamed(t, name), openNamed(t, name)
	ctx, cancel := context.WithCancel(context.Background())
	subscribe(t, ctx, a)
	closing, err := memdriver.Open(context.Background(), memdriver.Options{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	subscribe(t, context.Background(), closing)
	if n := b.Subscribers(); n != 2 {
		t.Fatalf("Subscribers() = %d; want 2", n)
	}
	cancel()
	if err := closing.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitFor)
	for b.Subscribers() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions still run after their context ended or their handle closed", b.Subscribers())
		}
		time.Sleep(time.Millisecond)
	}
	if err := closing.Subscribe(context.Background(), func(driver.Change) {}); !errors.Is(err, driver.ErrClosed) {
		t.Fatalf("Subscribe after Close = %v; want driver.ErrClosed", err)
	}
	a.SetFailure(errors.New("down"))
	defer a.SetFailure(nil)
	if err := b.Subscribe(context.Background(), func(driver.Change) {}); !errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("Subscribe while the store fails = %v; want driver.ErrUnavailable", err)
	}
}
