package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/stackmemoryai/tier"
	"golang.org/x/time/rate"
)

// The read mix: what share of read operations does what. Reads follow the
// life of agents: most read the session they are working on, some look
// back at the last days, a few dig out an old frame, search, or resume an
// old session. The shares add up to 1.
var readMix = struct {
	Current, Recent, Old, Parents, Search, Resume float64
}{
	Current: 0.70, // a frame of one of the sessions being written now
	Recent:  0.20, // Zipf over the newest recentWindow frames (s = 1.1)
	Old:     0.04, // a uniformly random frame of the whole history
	Parents: 0.03, // a recent frame and its parent chain
	Search:  0.02, // full-text Query
	Resume:  0.01, // Warm an old session, then read some of its frames
}

const (
	recentWindow = 5000
	projects     = 4
	opTimeout    = 10 * time.Second
)

// workload drives one process's share of the run against a Manager.
type workload struct {
	spec    *spec
	m       *tier.Manager
	model   *model
	c       *counters
	limiter *rate.Limiter // frames per second; nil when unlimited

	created0    int           // frames in the model when this process began
	reads       *atomic.Int64 // read operations of this process (every machine)
	writersDone *atomic.Bool
	current     []atomic.Pointer[session] // the session each writer is on

	// In the two-machine mode: the machine this workload drives, the
	// bound within which another machine's newer write may not be seen
	// yet, and probe, called after each acknowledged write, which
	// measures when the other machine first reads it.
	machine int
	bound   time.Duration
	probe   func(e *entry, rev int)
}

// more reports whether the writers should create more frames.
func (w *workload) more(ctx context.Context) bool {
	return ctx.Err() == nil && w.model.count() < w.spec.Frames
}

// writer creates sessions until the run has its frames.
func (w *workload) writer(ctx context.Context, id int, r *rand.Rand) {
	for w.more(ctx) {
		w.writeSession(ctx, id, r)
	}
}

// writeSession writes one agent session: a root frame, then its children
// in bursts of one to six frames, with now and then an update of the root
// (the agent refreshing its digest), of an old frame, or a delete.
func (w *workload) writeSession(ctx context.Context, writer int, r *rand.Rand) {
	project := fmt.Sprintf("project-%d", r.IntN(projects))
	sessionID := tier.NewID()
	steps := 5 + r.IntN(56)
	var root, prev *entry
	for step := 0; step < steps && w.more(ctx); {
		n := min(1+r.IntN(6), steps-step)
		if step == 0 {
			n = 1
		}
		batch := make([]*entry, 0, n)
		for i := range n {
			parent := ""
			if root != nil {
				parent = root.id
				if prev != nil && r.IntN(10) < 3 {
					parent = prev.id
				}
			}
			e, err := w.model.create(tier.NewID(), sessionID, parent, project, step+i)
			if err != nil {
				w.c.outcome("journal", "error", err.Error())
				return
			}
			batch = append(batch, e)
			prev = e
			if root == nil {
				root = e
				w.current[writer].Store(w.model.sessionByID(sessionID))
			}
		}
		w.putNew(ctx, batch, n > 1 && r.IntN(2) == 0)
		step += n
		if w.limiter != nil {
			_ = w.limiter.WaitN(ctx, n)
		}
		if r.Float64() < 0.15 {
			w.update(ctx, root)
		}
		if r.Float64() < 0.02 {
			if e := w.oldFrame(r); e != nil {
				w.update(ctx, e)
			}
		}
		if r.Float64() < 0.03 {
			if e := w.oldFrame(r); e != nil {
				w.delete(ctx, e)
			}
		}
	}
}

// frameOf builds the tier.Frame of e at revision rev.
func (w *workload) frameOf(e *entry, rev int) tier.Frame {
	return tier.Frame{ID: e.id, SessionID: e.session, ProjectID: e.project, ParentID: e.parent, Data: w.model.document(e, rev)}
}

// putNew stores new frames, with one PutBatch or one Put each.
func (w *workload) putNew(ctx context.Context, batch []*entry, together bool) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	frames := make([]tier.Frame, len(batch))
	for i, e := range batch {
		frames[i] = w.frameOf(e, 0)
	}
	done := func(e *entry) {
		e.acked(0, w.machine)
		if err := w.model.doneNew(e); err != nil {
			w.c.outcome("journal", "error", err.Error())
		}
		if w.probe != nil {
			w.probe(e, 0)
		}
		w.c.mu.Lock()
		w.c.Written++
		w.c.mu.Unlock()
	}
	if together {
		if _, err := w.m.PutBatch(ctx, frames); err != nil {
			w.c.outcome("put", errKind(err), "PutBatch: "+err.Error())
			return
		}
		w.c.outcome("put", "ok", "")
		for _, e := range batch {
			done(e)
		}
		return
	}
	for i, e := range batch {
		if _, err := w.m.Put(ctx, frames[i]); err != nil {
			w.c.outcome("put", errKind(err), "Put: "+err.Error())
			continue
		}
		w.c.outcome("put", "ok", "")
		done(e)
	}
}

// update writes the next revision of e.
func (w *workload) update(ctx context.Context, e *entry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.live.Load() || e.deleting.Load() {
		return
	}
	rev := int(e.rev.Load()) + 1
	if err := w.model.intendUpdate(e, rev); err != nil {
		w.c.outcome("journal", "error", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := w.m.Put(ctx, w.frameOf(e, rev)); err != nil {
		w.c.outcome("update", errKind(err), "update: "+err.Error())
		return
	}
	w.c.outcome("update", "ok", "")
	e.acked(rev, w.machine)
	if err := w.model.doneUpdate(e, rev); err != nil {
		w.c.outcome("journal", "error", err.Error())
	}
	if w.probe != nil {
		w.probe(e, rev)
	}
	w.c.mu.Lock()
	w.c.Updates++
	w.c.mu.Unlock()
}

// delete deletes e.
func (w *workload) delete(ctx context.Context, e *entry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.live.Load() || e.deleting.Load() {
		return
	}
	if err := w.model.intendDelete(e); err != nil {
		w.c.outcome("journal", "error", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := w.m.Delete(ctx, e.id); err != nil {
		// The delete may or may not have happened: the journal keeps the
		// intent, and readers accept both.
		w.c.outcome("delete", errKind(err), "delete: "+err.Error())
		return
	}
	w.c.outcome("delete", "ok", "")
	e.acked(deletedRev, w.machine)
	if err := w.model.doneDelete(e); err != nil {
		w.c.outcome("journal", "error", err.Error())
	}
	w.c.mu.Lock()
	w.c.Deletes++
	w.c.mu.Unlock()
}

// oldFrame picks a frame uniformly among all but the newest recentWindow
// frames (or among all, early in the run).
func (w *workload) oldFrame(r *rand.Rand) *entry {
	n := w.model.count()
	if n == 0 {
		return nil
	}
	upTo := n
	if n > 2*recentWindow {
		upTo = n - recentWindow
	}
	return w.model.at(r.IntN(upTo))
}

// reader runs read operations until the writers are done and stop says
// so, keeping to spec.ReadRatio reads per frame written.
func (w *workload) reader(ctx context.Context, r *rand.Rand, stop func() bool) {
	zipf := rand.NewZipf(r, 1.1, 1, recentWindow-1)
	for ctx.Err() == nil && !stop() {
		allowed := int64(w.spec.ReadRatio * float64(max(w.model.count()-w.created0, 1)))
		if w.writersDone.Load() {
			allowed = 1 << 62 // writers are done: read until stop
		}
		if w.reads.Load() >= allowed {
			sleep(ctx, time.Millisecond)
			continue
		}
		w.reads.Add(1)
		w.readOnce(ctx, r, zipf)
		if w.writersDone.Load() {
			sleep(ctx, time.Millisecond) // an idle agent reads slowly
		}
	}
}

// readOnce runs one read operation of the mix.
func (w *workload) readOnce(ctx context.Context, r *rand.Rand, zipf *rand.Zipf) {
	p := r.Float64()
	switch {
	case p < readMix.Current:
		w.getCurrent(ctx, r)
	case p < readMix.Current+readMix.Recent:
		n := w.model.count()
		w.getLive(ctx, w.model.at(n-1-int(zipf.Uint64())))
	case p < readMix.Current+readMix.Recent+readMix.Old:
		w.getLive(ctx, w.model.at(r.IntN(max(w.model.count(), 1))))
	case p < readMix.Current+readMix.Recent+readMix.Old+readMix.Parents:
		w.walkParents(ctx, w.model.at(w.model.count()-1-int(zipf.Uint64())))
	case p < 1-readMix.Resume:
		w.search(ctx, r)
	default:
		w.resume(ctx, r)
	}
}

// getCurrent reads a frame of a session a writer is working on.
func (w *workload) getCurrent(ctx context.Context, r *rand.Rand) {
	s := w.current[r.IntN(len(w.current))].Load()
	if s == nil {
		s = w.model.sessionAt(r.IntN(max(len(w.current), 1)))
	}
	if s == nil {
		return
	}
	idxs := w.model.framesOf(s)
	w.getLive(ctx, w.model.at(idxs[r.IntN(len(idxs))]))
}

// getLive reads e if it has been stored.
func (w *workload) getLive(ctx context.Context, e *entry) *tier.Frame {
	if e == nil || !e.live.Load() {
		return nil
	}
	f, kind, d := w.checkedGet(ctx, e)
	elapsed := time.Since(w.spec.T0)
	win, since := windowAt(w.spec.Faults, elapsed-d)
	tierName := ""
	if kind == "ok" {
		tierName = f.Tier
	}
	w.c.get(tierName, kind, d, win, since)
	if kind == "ok" {
		return &f
	}
	return nil
}

// walkParents reads e and then its ancestors, as an agent rebuilding the
// context of a step does.
func (w *workload) walkParents(ctx context.Context, e *entry) {
	for range 8 {
		f := w.getLive(ctx, e)
		if f == nil || f.ParentID == "" {
			return
		}
		e = w.model.frame(f.ParentID)
	}
}

// checkedGet reads e and classifies the answer against the model.
func (w *workload) checkedGet(ctx context.Context, e *entry) (tier.Frame, string, time.Duration) {
	rev0, gone0 := int(e.rev.Load()), e.deleted.Load()
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	start := time.Now()
	f, err := w.m.Get(ctx, e.id)
	d := time.Since(start)
	rev1 := max(int(e.rev.Load()), int(e.next.Load()))
	if err != nil {
		kind := errKind(err)
		if kind == "notfound" {
			if e.deleting.Load() {
				kind = "notfound-deleted"
			} else if w.bound > 0 && e.othersWithin(0, w.machine, start, w.bound) {
				kind = "notfound-within-bound" // not replicated yet
			} else {
				kind = "notfound-existing"
				how := ""
				if a, ok := e.ackOf(0); ok && w.bound > 0 {
					how = fmt.Sprintf(" on machine %d, put on machine %d %s before", w.machine, a.machine, start.Sub(a.at).Round(time.Millisecond))
				}
				w.c.sample(fmt.Sprintf("Get %s (frame %d, rev %d)%s: %v", e.id, e.idx, rev0, how, err))
			}
		}
		return f, kind, d
	}
	if gone0 && w.bound > 0 && e.othersWithin(deletedRev, w.machine, start, w.bound) {
		return f, "resurrected-within-bound", d
	}
	if gone0 {
		w.c.sample(fmt.Sprintf("Get %s (frame %d) returned a deleted frame from %s", e.id, e.idx, f.Tier))
		return f, "resurrected", d
	}
	kind := w.compare(e, f.Data, rev0, rev1)
	if kind == "stale" && w.bound > 0 {
		kind = w.staleKind(e, f.Data, rev0, start)
	}
	if kind != "ok" && kind != "stale-within-bound" {
		w.c.sample(fmt.Sprintf("Get %s (frame %d, rev %d..%d) from %s: %s copy (version %d)", e.id, e.idx, rev0, rev1, f.Tier, kind, f.Version))
	}
	return f, kind, d
}

// compare says whether data is the document of e at a revision in
// [lo, hi] ("ok"), at an older one ("stale"), or none ("corrupt").
func (w *workload) compare(e *entry, data []byte, lo, hi int) string {
	for rev := hi; rev >= lo; rev-- {
		if bytes.Equal(data, w.model.document(e, rev)) {
			return "ok"
		}
	}
	for rev := lo - 1; rev >= 0 && rev >= lo-16; rev-- {
		if bytes.Equal(data, w.model.document(e, rev)) {
			return "stale"
		}
	}
	return "corrupt"
}

// search runs a full-text query and checks every frame it returns.
func (w *workload) search(ctx context.Context, r *rand.Rand) {
	q := tier.Query{Text: searchText(r), Limit: 20}
	if r.IntN(2) == 0 {
		q.ProjectID = fmt.Sprintf("project-%d", r.IntN(projects))
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	page, err := w.m.Query(ctx, q)
	w.c.mu.Lock()
	w.c.Queries++
	w.c.mu.Unlock()
	w.c.outcome("query", errKind(err), sampleOf("Query", err))
	for _, f := range page.Frames {
		e := w.model.frame(f.ID)
		if e == nil {
			continue // written by a Put whose outcome the model does not know
		}
		if e.deleted.Load() && w.bound > 0 && e.othersWithin(deletedRev, w.machine, time.Now(), w.bound) {
			continue // deleted by another machine, not propagated yet
		}
		if e.deleted.Load() {
			w.c.outcome("query", "resurrected", fmt.Sprintf("Query %q returned deleted frame %s from %s", q.Text, f.ID, f.Tier))
			continue
		}
		if k := w.compare(e, f.Data, 0, max(int(e.rev.Load()), int(e.next.Load()))); k != "ok" {
			w.c.outcome("query", k, fmt.Sprintf("Query %q returned a %s copy of %s from %s", q.Text, k, f.ID, f.Tier))
		}
	}
}

// resume warms an old session, as an agent resuming it does, then reads a
// few of its frames.
func (w *workload) resume(ctx context.Context, r *rand.Rand) {
	n := w.model.sessionCount()
	if n < 20 {
		return
	}
	s := w.model.sessionAt(10 + r.IntN(n-10))
	wctx, cancel := context.WithTimeout(ctx, opTimeout)
	_, err := w.m.Warm(wctx, tier.WarmOptions{SessionID: s.id, Limit: 200})
	cancel()
	w.c.mu.Lock()
	w.c.Warms++
	w.c.mu.Unlock()
	w.c.outcome("warm", errKind(err), sampleOf("Warm", err))
	idxs := w.model.framesOf(s)
	for range 3 {
		w.getLive(ctx, w.model.at(idxs[r.IntN(len(idxs))]))
	}
}

// errKind names the kind of an error for the counters.
func errKind(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, tier.ErrNotFound):
		return "notfound"
	case errors.Is(err, tier.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, tier.ErrCorrupt):
		return "corrupt-error"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, tier.ErrClosed):
		return "closed"
	}
	return "error"
}

// sampleOf describes an unexpected error for the report's samples.
func sampleOf(op string, err error) string {
	switch errKind(err) {
	case "ok", "unavailable":
		return ""
	}
	return op + ": " + err.Error()
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
