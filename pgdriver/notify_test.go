package pgdriver

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// changes gathers what a subscription reports.
type changes struct {
	mu     sync.Mutex
	ids    map[string]int
	resets int
	lost   int // resets that said the channel is down
	calls  int
	signal chan struct{}
}

func newChanges() *changes {
	return &changes{ids: map[string]int{}, signal: make(chan struct{}, 1)}
}

func (c *changes) record(ch driver.Change) {
	c.mu.Lock()
	c.calls++
	for _, id := range ch.IDs {
		c.ids[id]++
	}
	if ch.Reset {
		c.resets++
		if ch.Lost {
			c.lost++
		}
	}
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds on what was reported, failing the test
// when it does not within a generous bound (the machine may be busy).
func (c *changes) waitFor(t *testing.T, what string, cond func(c *changes) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		ok := cond(c)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.signal:
		case <-deadline:
			t.Fatalf("no notification: %s", what)
		}
	}
}

func (c *changes) seen(ids ...string) func(*changes) bool {
	return func(c *changes) bool {
		for _, id := range ids {
			if c.ids[id] == 0 {
				return false
			}
		}
		return true
	}
}

// TestSubscribeSeesOtherStores checks, with two Stores on one database as
// two machines would have, that a subscriber hears of the frames the other
// writes, updates and deletes, batched, and not of access statistics or
// of a rewrite of the same version.
func TestSubscribeSeesOtherStores(t *testing.T) {
	listener, url := newStoreURL(t)
	writer := openURL(t, withParams(url, "timeout="+testTimeout))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := newChanges()
	if err := listener.Subscribe(ctx, got.record); err != nil {
		t.Fatal(err)
	}

	var recs []driver.Record
	var ids []string
	for i := range 600 { // more than one notification's worth of IDs
		r := record(newID(), 1, `{"i":`+string(rune('0'+i%10))+`}`)
		recs = append(recs, r)
		ids = append(ids, r.ID)
	}
	if err := writer.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got.waitFor(t, "600 new frames", got.seen(ids...))
	got.mu.Lock()
	if got.calls >= 600 {
		t.Errorf("600 frames written at once were reported in %d calls; want them batched", got.calls)
	}
	got.mu.Unlock()

	// Touch and a rewrite of the same version are not changes; a new
	// version and a delete are. The marker frame written last proves the
	// earlier statements' notifications (if any) have arrived.
	if err := writer.Touch(ctx, []driver.Access{{ID: ids[0], At: time.Now(), Count: 2}}); err != nil {
		t.Fatal(err)
	}
	if err := writer.Put(ctx, recs[1]); err != nil {
		t.Fatal(err)
	}
	next := recs[2]
	next.Version = 2
	if err := writer.Put(ctx, next); err != nil {
		t.Fatal(err)
	}
	if err := writer.DeleteMany(ctx, []driver.Deletion{{ID: ids[3], UpTo: driver.AnyVersion}}); err != nil {
		t.Fatal(err)
	}
	marker := record(newID(), 1, `{"marker":true}`)
	if err := writer.Put(ctx, marker); err != nil {
		t.Fatal(err)
	}
	got.waitFor(t, "an update, a delete and a marker", func(c *changes) bool {
		return c.ids[ids[2]] == 2 && c.ids[ids[3]] == 2 && c.ids[marker.ID] == 1
	})
	got.mu.Lock()
	defer got.mu.Unlock()
	if got.ids[ids[0]] != 1 || got.ids[ids[1]] != 1 {
		t.Errorf("Touch or a same-version rewrite was reported as a change: %d and %d reports, want 1 each", got.ids[ids[0]], got.ids[ids[1]])
	}
	if got.resets != 0 {
		t.Errorf("%d resets without a lost connection", got.resets)
	}
}

// TestSubscribeIsolatedBySchema checks that archives in two schemas of
// one database do not hear each other.
func TestSubscribeIsolatedBySchema(t *testing.T) {
	url := testenv.PostgresURL(t)
	conn := sqlConn(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, schema := range []string{"archive_a", "archive_b"} {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
	}
	a := openURL(t, withParams(url, "timeout="+testTimeout, "search_path=archive_a"))
	b := openURL(t, withParams(url, "timeout="+testTimeout, "search_path=archive_b"))
	gotA := newChanges()
	if err := a.Subscribe(ctx, gotA.record); err != nil {
		t.Fatal(err)
	}
	inB, inA := record(newID(), 1, `{"in":"b"}`), record(newID(), 1, `{"in":"a"}`)
	if err := b.Put(ctx, inB); err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, inA); err != nil {
		t.Fatal(err)
	}
	gotA.waitFor(t, "the frame written in schema a", gotA.seen(inA.ID))
	gotA.mu.Lock()
	defer gotA.mu.Unlock()
	if gotA.ids[inB.ID] != 0 {
		t.Error("a subscriber of schema archive_a heard of a frame written in archive_b")
	}
}

// TestSubscribeResetsAfterLostConnection kills the subscription's
// connection on the server: the subscriber reconnects, reports a Reset
// (changes may have been missed), and then hears new changes again.
// Canceling its context stops it, and Close waits for it (goleak checks
// nothing is left running).
func TestSubscribeResetsAfterLostConnection(t *testing.T) {
	app := testenv.Unique("pgnotify_")
	listener, url := newStoreURL(t, "application_name="+app)
	writer := openURL(t, withParams(url, "timeout="+testTimeout))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := newChanges()
	if err := listener.Subscribe(ctx, got.record); err != nil {
		t.Fatal(err)
	}
	conn := sqlConn(t, url)
	var killed int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND query ILIKE 'LISTEN%') k`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listening connections, want 1", killed)
	}
	got.waitFor(t, "a reset saying the channel is lost", func(c *changes) bool { return c.lost > 0 })
	got.waitFor(t, "a reset once the channel is back", func(c *changes) bool { return c.resets > c.lost })
	after := record(newID(), 1, `{"after":"reconnect"}`)
	if err := writer.Put(ctx, after); err != nil {
		t.Fatal(err)
	}
	got.waitFor(t, "a frame written after the reconnection", got.seen(after.ID))

	// A canceled subscription hears nothing more.
	cancel()
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	got.mu.Lock()
	calls := got.calls
	got.mu.Unlock()
	late := record(newID(), 1, `{"late":true}`)
	if err := writer.Put(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	if err := writer.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	if got.calls != calls || got.ids[late.ID] != 0 {
		t.Error("a closed subscription still reported changes")
	}
}

// TestSubscribeUnavailable checks that a subscription that cannot be set
// up reports ErrUnavailable and leaves nothing running.
func TestSubscribeUnavailable(t *testing.T) {
	s := newStore(t)
	// The same Store, as if its server had gone since Open.
	opts := s.opts
	opts.Pool = s.opts.Pool.Copy()
	opts.Pool.ConnConfig.Port = 1 // nothing listens there
	gone := &Store{pool: s.pool, opts: opts, stop: make(chan struct{})}
	err := gone.Subscribe(context.Background(), func(driver.Change) {})
	if !errors.Is(err, driver.ErrUnavailable) {
		t.Errorf("Subscribe to a closed port: %v, want ErrUnavailable", err)
	}
}
