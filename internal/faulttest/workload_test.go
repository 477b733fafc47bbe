package faulttest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
)

// Projects of the workload's frames. "hot" frames are never migrated by
// the test, and no tier limit is reached, so they stay in tier 1: Gets of
// them must work whatever fault is injected. "cold" frames are pushed down
// by Migrate cycles while the workload runs.
const (
	projectHot  = "hot"
	projectCold = "cold"
)

// entry is what the model says about one frame.
type entry struct {
	id      string
	session string
	project string
	data    []byte
	version uint64
	deleted bool
}

// workload drives a Manager from several goroutines, each owning its own
// frames, so the model knows exactly what every Get must return.
type workload struct {
	t       *testing.T
	m       *tier.Manager
	workers []*worker
	placed  []*entry    // frames the test put in a chosen tier
	faulty  atomic.Bool // a fault is in progress: Gets of lower tiers may fail
	// moves keeps Deletes and the test's Migrate calls apart, and frames
	// carry no session (so a Get starts no pre-fetch): a Delete racing a
	// move or a pre-fetch leaves the frame behind in a tier (see
	// TestDeleteRacingMigrate and TestDeleteRacingPrefetch). The fault
	// scenarios test what a fault does, not those races.
	moves sync.RWMutex
	errs  atomic.Int64
	stats struct {
		puts, gets, unavailable, deletes, moved atomic.Int64
	}
}

type worker struct {
	n       int
	rng     *rand.Rand
	session string
	frames  []*entry
}

func newWorkload(t *testing.T, m *tier.Manager, workers int) *workload {
	w := &workload{t: t, m: m}
	for i := range workers {
		w.workers = append(w.workers, &worker{n: i, rng: rand.New(rand.NewPCG(uint64(i), 42))})
	}
	return w
}

// fail reports a broken promise; after 20 reports the rest are counted.
func (w *workload) fail(format string, args ...any) {
	if w.errs.Add(1) <= 20 {
		w.t.Errorf(format, args...)
	}
}

// document builds a frame document: whitespace, key order and escapes that
// a JSON normaliser would change, and a size that varies.
func document(wk *worker, n, rev int) []byte {
	pad := strings.Repeat("abcdefghij", wk.rng.IntN(300))
	return fmt.Appendf(nil, `{ "worker" : %d,"frame":%d, "rev" :%d , "text":"caf\u00e9 \"quoted\"",  "pad":"%s", "z":[1,2.50,{"a":null}] }`,
		wk.n, n, rev, pad)
}

// run has every worker do ops operations while a mover goroutine runs
// Maintain and Migrate cycles, and returns when all are done.
func (w *workload) run(ops int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, wk := range w.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range ops {
				if ctx.Err() != nil {
					return
				}
				w.step(ctx, wk)
			}
		}()
	}
	stop := make(chan struct{})
	var mover sync.WaitGroup
	mover.Add(1)
	go func() {
		defer mover.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			w.moveCycle(ctx)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	wg.Wait()
	close(stop)
	mover.Wait()
}

// moveCycle runs one maintenance cycle and pushes some cold frames down
// one and two tiers. Errors are expected while a tier is down; what
// matters is that no frame is lost by them.
func (w *workload) moveCycle(ctx context.Context) {
	if _, err := w.m.Maintain(ctx); err != nil && !errors.Is(err, tier.ErrBusy) && !errors.Is(err, tier.ErrUnavailable) {
		w.t.Logf("Maintain: %v", err)
	}
	w.moves.Lock()
	defer w.moves.Unlock()
	for _, to := range []int{2, w.m.Levels()} {
		rep, err := w.m.Migrate(ctx, tier.MigrateOptions{ToLevel: to, ProjectID: projectCold, Limit: 25})
		w.stats.moved.Add(int64(rep.Moved))
		if err != nil && !errors.Is(err, tier.ErrBusy) && !errors.Is(err, tier.ErrUnavailable) {
			w.fail("Migrate to %d: %v (want success, ErrBusy or ErrUnavailable)", to, err)
		}
	}
}

func (w *workload) step(ctx context.Context, wk *worker) {
	live := func() *entry {
		for range 10 {
			if len(wk.frames) == 0 {
				return nil
			}
			if e := wk.frames[wk.rng.IntN(len(wk.frames))]; !e.deleted {
				return e
			}
		}
		return nil
	}
	switch r := wk.rng.IntN(100); {
	case r < 20 || len(wk.frames) < 10:
		project := projectHot
		if wk.rng.IntN(2) == 0 {
			project = projectCold
		}
		e := &entry{id: tier.NewID(), session: wk.session, project: project}
		wk.frames = append(wk.frames, e)
		w.put(ctx, wk, e)
	case r < 45:
		if e := live(); e != nil {
			w.put(ctx, wk, e)
		}
	case r < 85:
		if e := live(); e != nil {
			w.get(ctx, e)
		}
	case r < 93:
		if e := live(); e != nil {
			w.delete(ctx, e)
		}
	default:
		for _, e := range wk.frames {
			if e.deleted {
				w.get(ctx, e)
				break
			}
		}
	}
}

// put writes a new revision of e. Put is local-first: it must succeed
// whatever tier is down.
func (w *workload) put(ctx context.Context, wk *worker, e *entry) {
	data := document(wk, len(wk.frames), int(e.version%1000)+1)
	f, err := w.m.Put(ctx, tier.Frame{ID: e.id, SessionID: e.session, ProjectID: e.project, Data: data})
	w.stats.puts.Add(1)
	if err != nil {
		w.fail("Put %s (fault %v): %v; Put must not depend on the network tiers", e.id, w.faulty.Load(), err)
		return
	}
	if f.Version <= e.version {
		w.fail("Put %s returned version %d, not above the previous %d", e.id, f.Version, e.version)
	}
	e.data, e.version = data, f.Version
}

// get reads e and checks the answer against the model.
func (w *workload) get(ctx context.Context, e *entry) {
	f, err := w.m.Get(ctx, e.id)
	w.stats.gets.Add(1)
	w.checkGet(e, f, err, w.faulty.Load())
}

func (w *workload) checkGet(e *entry, f tier.Frame, err error, faulty bool) {
	switch {
	case e.deleted && err == nil:
		w.fail("deleted frame %s came back (version %d, from %s)", e.id, f.Version, f.Tier)
	case e.deleted && errors.Is(err, tier.ErrNotFound):
	case e.deleted && faulty && errors.Is(err, tier.ErrUnavailable):
		w.stats.unavailable.Add(1)
	case e.deleted:
		w.fail("Get of deleted frame %s: %v; want ErrNotFound", e.id, err)
	case err == nil:
		if !bytes.Equal(f.Data, e.data) || f.Version != e.version {
			w.fail("Get %s returned version %d (%d bytes), the newest is %d (%d bytes): stale or corrupt frame served from %s",
				e.id, f.Version, len(f.Data), e.version, len(e.data), f.Tier)
		}
	case e.project == projectHot:
		w.fail("Get of tier-1 frame %s failed (fault %v): %v", e.id, faulty, err)
	case faulty && errors.Is(err, tier.ErrUnavailable) && !errors.Is(err, tier.ErrNotFound) && !errors.Is(err, tier.ErrCorrupt):
		w.stats.unavailable.Add(1)
	default:
		w.fail("Get of %s (fault %v): %v; want the frame, or ErrUnavailable during a fault", e.id, faulty, err)
	}
}

// delete removes e. Delete must succeed while a tier is down: the delete
// is postponed for that tier.
func (w *workload) delete(ctx context.Context, e *entry) {
	w.moves.RLock()
	err := w.m.Delete(ctx, e.id)
	w.moves.RUnlock()
	w.stats.deletes.Add(1)
	if err != nil {
		w.fail("Delete %s (fault %v): %v", e.id, w.faulty.Load(), err)
		return
	}
	e.deleted = true
}

// checkAll reads every frame of the model once the chain is healthy: each
// live frame must come back byte for byte at its newest version, each
// deleted one must be not found. A Get that meets a breaker still open
// from a transient failure is retried after the cooldown.
func (w *workload) checkAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	retried := 0
	for _, e := range w.all() {
		var f tier.Frame
		var err error
		for range 10 {
			f, err = w.m.Get(ctx, e.id)
			if !errors.Is(err, tier.ErrUnavailable) {
				break
			}
			retried++
			time.Sleep(300 * time.Millisecond) // more than any breaker cooldown of the tests
		}
		w.checkGet(e, f, err, false)
	}
	if retried > 0 {
		w.t.Logf("checkAll: %d Gets retried after a transient ErrUnavailable", retried)
	}
}

// checkStorage looks at every tier directly: no tier may still hold a
// deleted frame (it would come back on the next restart or to another
// process), and every live frame must have a copy at its newest version in
// some tier.
func (w *workload) checkStorage(e *env) {
	e.peek(func(tiers []driver.Tier) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for _, fe := range w.all() {
			newest := false
			for i, tr := range tiers {
				rec, ok, err := tr.Get(ctx, fe.id)
				if err != nil {
					w.fail("tier %d: read %s directly: %v", i+1, fe.id, err)
					continue
				}
				switch {
				case !ok:
				case fe.deleted:
					w.fail("tier %d still holds deleted frame %s (version %d, last written %d, access count %d, project %s) after recovery",
						i+1, fe.id, rec.Version, fe.version, rec.AccessCount, fe.project)
				case rec.Version == fe.version && bytes.Equal(rec.Data, fe.data):
					newest = true
				case rec.Version > fe.version:
					w.fail("tier %d holds %s at version %d, above the newest written %d", i+1, fe.id, rec.Version, fe.version)
				}
			}
			if !fe.deleted && !newest {
				w.fail("no tier holds frame %s at its newest version %d: lost", fe.id, fe.version)
			}
		}
	})
}

// all returns every frame of the model.
func (w *workload) all() []*entry {
	out := append([]*entry(nil), w.placed...)
	for _, wk := range w.workers {
		out = append(out, wk.frames...)
	}
	return out
}

func (w *workload) summary() string {
	live, deleted := 0, 0
	for _, wk := range w.workers {
		for _, e := range wk.frames {
			if e.deleted {
				deleted++
			} else {
				live++
			}
		}
	}
	return fmt.Sprintf("%d live and %d deleted frames; %d puts, %d gets (%d unavailable during faults), %d deletes, %d frames migrated",
		live, deleted, w.stats.puts.Load(), w.stats.gets.Load(), w.stats.unavailable.Load(), w.stats.deletes.Load(), w.stats.moved.Load())
}
