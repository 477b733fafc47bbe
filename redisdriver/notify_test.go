package redisdriver_test

import (
	"context"
	"errors"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver"
	"github.com/stackmemoryai/tier/redisdriver/internal/redistest"
)

// eventWait bounds every wait for a notification: far above the about one
// second the contract allows, so only a lost notification fails a test.
const eventWait = 15 * time.Second

// recorder collects the changes a subscription delivers.
type recorder struct {
	mu      sync.Mutex
	changed chan struct{}
	ids     map[string]int
	resets  int
}

func newRecorder() *recorder {
	return &recorder{changed: make(chan struct{}, 1), ids: map[string]int{}}
}

func (r *recorder) fn(c driver.Change) {
	r.mu.Lock()
	if c.Reset {
		r.resets++
	}
	for _, id := range c.IDs {
		r.ids[id]++
	}
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds on the recorded changes, and fails the
// test with what when it does not within eventWait.
func (r *recorder) waitFor(t *testing.T, what string, cond func(ids map[string]int, resets int) bool) {
	t.Helper()
	deadline := time.After(eventWait)
	for {
		r.mu.Lock()
		ok := cond(r.ids, r.resets)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("no notification: %s", what)
		}
	}
}

func (r *recorder) seen(id string) func(map[string]int, int) bool {
	return func(ids map[string]int, _ int) bool { return ids[id] > 0 }
}

func (r *recorder) forget() {
	r.mu.Lock()
	r.ids = map[string]int{}
	r.resets = 0
	r.mu.Unlock()
}

// openPair opens two stores on one prefix of base, as two machines would.
func openPair(t *testing.T, base string) (a, b *redisdriver.Store) {
	t.Helper()
	a, prefix := openStore(t, base)
	o, err := redisdriver.ParseURL(withParams(t, base, "prefix", prefix, "timeout", testTimeout, "batch_timeout", testTimeout))
	if err != nil {
		t.Fatal(err)
	}
	b, err = redisdriver.Open(ctxT(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return a, b
}

// A write or delete through one store is seen by another store's
// subscription on the same prefix.
func TestSubscribeSeesOtherStores(t *testing.T) { testSubscribeSeesOtherStores(t, testenv.RedisURL(t)) }

func testSubscribeSeesOtherStores(t *testing.T, base string) {
	a, b := openPair(t, base)
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := a.Subscribe(ctx, rec.fn); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	frames := make([]driver.Record, 20)
	for i := range frames {
		frames[i] = newRecord(newID(), 1, []byte(`{"put":"by the other store"}`), time.Now())
	}
	if err := b.PutMany(ctxT(t), frames); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		rec.waitFor(t, "PutMany through the other store of "+f.ID, rec.seen(f.ID))
	}
	updated := frames[3]
	updated.Version = 2
	rec.forget()
	mustPut(t, b, updated)
	rec.waitFor(t, "Put of a new version through the other store", rec.seen(updated.ID))
	rec.forget()
	if err := b.DeleteMany(ctxT(t), []driver.Deletion{{ID: frames[5].ID, UpTo: driver.AnyVersion}}); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "DeleteMany through the other store", rec.seen(frames[5].ID))

	// Own writes are reported too (see Subscribe).
	own := newRecord(newID(), 1, []byte(`{"put":"by the subscriber"}`), time.Now())
	mustPut(t, a, own)
	rec.waitFor(t, "Put through the subscribing store itself", rec.seen(own.ID))
}

// A delete made by another process (redis-cli) is reported.
func TestSubscribeSeesAnotherProcess(t *testing.T) {
	base := testenv.RedisURL(t)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatalf("redis-cli not installed: %v", err)
	}
	s, prefix := openStore(t, base)
	r := newRecord(newID(), 1, []byte(`{"deleted":"by redis-cli"}`), time.Now())
	mustPut(t, s, r)
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Subscribe(ctx, rec.fn); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cli, "-u", base, "DEL", prefix+"meta:{"+r.ID+"}", prefix+"frame:{"+r.ID+"}").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli DEL: %v: %s", err, out)
	}
	rec.waitFor(t, "DEL by another process", rec.seen(r.ID))
	if _, ok, err := s.Get(ctxT(t), r.ID); ok || err != nil {
		t.Fatalf("Get after the other process deleted the frame = %v, %v", ok, err)
	}
}

// A tracking connection that is cut gives a Reset, and another once it is
// re-established; notifications then flow again. Redis killed and
// restarted does the same.
func TestSubscribeResetOnLostConnection(t *testing.T) {
	srv := redistest.Start(t)
	a, b := openPair(t, srv.URL())
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := a.Subscribe(ctx, rec.fn); err != nil {
		t.Fatal(err)
	}

	if _, err := srv.Do("CLIENT", "KILL", "TYPE", "normal"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "Reset after CLIENT KILL", func(_ map[string]int, resets int) bool { return resets >= 1 })
	putUntilSeen(t, b, rec, "a Put after the tracking connection was cut")
	rec.mu.Lock()
	resets := rec.resets
	rec.mu.Unlock()
	if resets < 2 {
		t.Fatalf("%d Reset(s) around a cut connection; want one when it was lost and one when it was back", resets)
	}

	rec.forget()
	srv.Kill()
	rec.waitFor(t, "Reset with Redis killed", func(_ map[string]int, resets int) bool { return resets >= 1 })
	srv.Restart()
	putUntilSeen(t, b, rec, "a Put after Redis restarted")
	rec.mu.Lock()
	resets = rec.resets
	rec.mu.Unlock()
	if resets < 2 {
		t.Fatalf("%d Reset(s) around a restart of Redis; want one when it was lost and one when it was back", resets)
	}
}

// putUntilSeen writes new frames through s until rec sees one: tracking is
// re-established in the background, and writes made before that are not
// reported (the Reset that follows covers them).
func putUntilSeen(t *testing.T, s *redisdriver.Store, rec *recorder, what string) {
	t.Helper()
	deadline := time.Now().Add(eventWait)
	for time.Now().Before(deadline) {
		r := newRecord(newID(), 1, []byte(`{"probe":true}`), time.Now())
		if err := s.Put(ctxT(t), r); err != nil {
			time.Sleep(50 * time.Millisecond) // rueidis replaces the dropped connections
			continue
		}
		for range 10 {
			rec.mu.Lock()
			seen := rec.ids[r.ID] > 0
			rec.mu.Unlock()
			if seen {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Fatalf("no notification of %s", what)
}

// A subscription ends with its context, and with Close; nothing it
// started outlives either (TestMain checks for leaked goroutines). No
// callback runs after Close has returned.
func TestSubscribeStops(t *testing.T) {
	base := testenv.RedisURL(t)
	a, b := openPair(t, base)

	first := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Subscribe(ctx, first.fn); err != nil {
		t.Fatal(err)
	}
	cancel()

	second := newRecorder()
	if err := a.Subscribe(context.Background(), second.fn); err != nil {
		t.Fatal(err)
	}
	r := newRecord(newID(), 1, []byte(`{"x":1}`), time.Now())
	mustPut(t, b, r)
	second.waitFor(t, "Put seen by the second subscription", second.seen(r.ID))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	second.forget()
	mustPut(t, b, newRecord(newID(), 1, []byte(`{"x":2}`), time.Now()))
	// b's own Put returned; a delivery to a's callback now would be a bug.
	second.mu.Lock()
	n := len(second.ids) + second.resets
	second.mu.Unlock()
	if n != 0 {
		t.Fatalf("callback ran %d times after Close returned", n)
	}
	if err := a.Subscribe(context.Background(), second.fn); !errors.Is(err, driver.ErrClosed) {
		t.Fatalf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

// Subscribe to a Redis that cannot be reached fails with ErrUnavailable
// and leaves nothing running.
func TestSubscribeUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := openStore(t, srv.URL(), "timeout", "300ms", "batch_timeout", "300ms")
	srv.Kill()
	err := s.Subscribe(context.Background(), newRecorder().fn)
	if !errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("Subscribe with Redis down = %v, want ErrUnavailable", err)
	}
}

// Reading a frame whose TTL is fresh writes nothing, so subscribers hear
// nothing of it: notifications come in order on one connection, so once a
// later write is seen, an earlier one would have been too.
func TestReadsDoNotNotify(t *testing.T) {
	a, b := openPair(t, testenv.RedisURL(t))
	read := newRecord(newID(), 1, []byte(`{"read":"often"}`), time.Now())
	mustPut(t, b, read)
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := a.Subscribe(ctx, rec.fn); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, ok, err := b.Get(ctxT(t), read.ID); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	if _, err := b.GetMany(ctxT(t), []string{read.ID}); err != nil {
		t.Fatal(err)
	}
	marker := newRecord(newID(), 1, []byte(`{"marker":true}`), time.Now())
	mustPut(t, b, marker)
	rec.waitFor(t, "Put of the marker frame", rec.seen(marker.ID))
	rec.mu.Lock()
	n := rec.ids[read.ID]
	rec.mu.Unlock()
	if n != 0 {
		t.Fatalf("reads of a frame with a fresh TTL were notified %d times", n)
	}
}
