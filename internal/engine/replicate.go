package engine

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// Replicate early, evict late. Every frame written to the first tier is
// copied, in the background and in batches, to the tiers a demotion from
// the first tier would write (the first durable tier below, and the cache
// above it when there is one) within about ReplicationLag of the write.
// Put never waits for it. Once replicated, a frame leaves the first tier
// by a local delete (its copies below are in place), and another machine
// sharing the tiers below can read it.
//
// The queue is kept in memory. It is made crash-safe by the first tier
// itself: the first maintenance cycle of a process compares every frame
// of the first tier with the shared tiers and queues what they lack, so a
// write acknowledged before a crash is replicated after the restart.
// Close flushes the queue within a deadline. A shared tier that is down
// keeps its frames queued (their first-tier copies stay) until it
// returns.

// Replication defaults.
const (
	replicationBatch = 500
	closeFlushWithin = 5 * time.Second
)

// replicator is the queue of frames to replicate.
type replicator struct {
	mu       sync.Mutex
	pending  map[string]time.Time // frame -> when it was first queued
	inFlight int                  // frames taken by a batch not finished yet
	kick     chan struct{}
	lag      *histogram // from queueing to replicated
}

func newReplicator() *replicator {
	return &replicator{pending: map[string]time.Time{}, kick: make(chan struct{}, 1), lag: &histogram{}}
}

// queue adds frames to replicate.
func (r *replicator) queue(now time.Time, ids ...string) {
	r.mu.Lock()
	for _, id := range ids {
		if _, ok := r.pending[id]; !ok {
			r.pending[id] = now
		}
	}
	full := len(r.pending) >= replicationBatch
	r.mu.Unlock()
	if full {
		r.wake()
	}
}

func (r *replicator) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// take removes up to n frames from the queue, oldest first. They count as
// in flight until finish.
func (r *replicator) take(n int) map[string]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) <= n {
		out := r.pending
		r.pending = map[string]time.Time{}
		r.inFlight += len(out)
		return out
	}
	ids := make([]string, 0, len(r.pending))
	for id := range r.pending {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return r.pending[a].Compare(r.pending[b]) })
	out := make(map[string]time.Time, n)
	for _, id := range ids[:n] {
		out[id] = r.pending[id]
		delete(r.pending, id)
	}
	r.inFlight += n
	return out
}

// finish ends a batch of taken frames: those in again, which could not be
// replicated, go back to the queue, keeping when they were first queued.
func (r *replicator) finish(taken int, again map[string]time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight -= taken
	for id, at := range again {
		if prev, ok := r.pending[id]; !ok || at.Before(prev) {
			r.pending[id] = at
		}
	}
}

// length returns how many frames are queued, not counting those in flight.
func (r *replicator) length() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// backlog returns how many frames are not replicated yet: queued, or in
// flight.
func (r *replicator) backlog() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending) + r.inFlight
}

// drop removes frames from the queue: a move takes them down itself.
func (r *replicator) drop(ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		delete(r.pending, id)
	}
}

func (r *replicator) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.pending[id]
	return ok
}

// replicates reports whether the engine replicates writes: it does when
// the first tier has a tier below that a demotion could write to.
func (m *Engine) replicates() bool {
	if m.cfg.NoReplication || len(m.chain) < 2 {
		return false
	}
	_, _, ok := m.planMove(m.chain[0], 2)
	return ok
}

// replicationLoop drains the queue every ReplicationLag/4, or at once when
// a batch is full, until ctx ends.
func (m *Engine) replicationLoop(ctx context.Context) {
	every := max(m.cfg.ReplicationLag/4, 10*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.repl.kick:
		}
		// One pass takes what is queued now: frames queued again by
		// the pass itself (lost by the durable tier) wait for the next.
		for left := m.repl.length(); left > 0 && ctx.Err() == nil; {
			taken, err := m.replicateBatch(ctx)
			if err != nil || taken == 0 {
				break // a tier is down: retry on the next tick
			}
			left -= taken
		}
	}
}

// flushReplication replicates what is queued, and what a batch in flight
// when it was called holds, until nothing is left, a shared tier fails,
// or ctx ends. Looking at the queue alone is not enough: a batch the
// replication loop has taken is no longer queued, and not yet replicated.
func (m *Engine) flushReplication(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// replicateBatch waits for a batch in flight (replMu); one that
		// failed is queued again and taken here.
		taken, err := m.replicateBatch(ctx)
		if err != nil {
			return err
		}
		if taken == 0 {
			return nil
		}
	}
}

// replicateBatch copies one batch of queued frames to the shared tiers and
// returns how many frames it took from the queue. Frames that could not be
// copied go back to the queue.
func (m *Engine) replicateBatch(ctx context.Context) (taken int, err error) {
	m.replMu.Lock()
	defer m.replMu.Unlock()
	batch := m.repl.take(replicationBatch)
	if len(batch) == 0 {
		return 0, nil
	}
	taken = len(batch)
	again := map[string]time.Time{} // frames to copy again
	defer func() {
		if err != nil {
			again = batch
		}
		m.repl.finish(taken, again)
	}()
	hot := m.chain[0]
	p, _, ok := m.planMove(hot, 2)
	if !ok {
		return taken, nil
	}
	ids := make([]string, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	recs, _, err := hot.getSound(ctx, ids)
	if err != nil {
		return taken, err
	}
	if recs, err = m.withoutDeleted(ctx, recs); err != nil {
		return taken, err
	}
	// Each shared tier gets what it lacks, the durable one first: at no
	// time is the cache the only holder. A copy older than the durable
	// tier's (another machine wrote the frame since) is written nowhere.
	read := recs
	m.compressOnce(recs, p.to, p.also)
	superseded := map[string]bool{}
	var copyErr error
	for _, t := range p.targets() {
		have, err := t.metas(ctx, ids)
		if err != nil {
			copyErr = err
			break
		}
		var buried map[string]uint64
		if t.h().durable {
			if buried, copyErr = t.buried(ctx, metasOf(recs), have); copyErr != nil {
				break
			}
		}
		var todo []driver.Record
		for _, r := range recs {
			mt, ok := have[r.ID]
			if t.h().durable && (m.supersededBelow(r.Meta, mt, ok) || m.deletedBelow(r.ID, buried)) {
				superseded[r.ID] = true
			}
			if !superseded[r.ID] && (!ok || !covers(mt, r.Meta)) {
				todo = append(todo, r)
			}
		}
		if copyErr = t.putMany(ctx, todo); copyErr != nil {
			break // the tiers written so far keep their copies
		}
	}
	var lost map[string]bool
	if copyErr == nil && p.also != nil {
		// A delete on another machine between the durable write and the
		// cache's would leave the frame in the cache: look again.
		lost = make(map[string]bool)
		for _, id := range m.undoDeletedMeanwhile(ctx, p, recs, superseded) {
			lost[id] = true
		}
	}
	m.dropSuperseded(ctx, recs, superseded)
	// A frame deleted while it was being copied loses the copies just
	// made (Delete removes the copies it can see; these may have landed
	// after), as a move does; also when a target failed after others
	// took the copies.
	kept := make([]driver.Record, 0, len(recs))
	retired, _ := m.retiredAmong(ctx, recs) // on error, this process's deletes
	for _, r := range recs {
		unlock := m.locks.lock(r.ID)
		if retired[r.ID] || r.Version <= m.gone.get(r.ID) {
			m.undoCopies(ctx, p, r)
		} else {
			kept = append(kept, r)
		}
		unlock()
	}
	if copyErr != nil {
		return taken, copyErr
	}
	gone := make(map[string]bool)
	for _, r := range recs {
		gone[r.ID] = true
	}
	for _, r := range kept {
		delete(gone, r.ID)
	}
	now := m.now()
	held := make(map[string]uint64, len(read))
	for _, r := range read {
		if gone[r.ID] || superseded[r.ID] {
			continue
		}
		if lost[r.ID] {
			again[r.ID] = batch[r.ID]
			continue
		}
		held[r.ID] = r.Version
		m.repl.lag.observe(now.Sub(batch[r.ID]))
	}
	if err := m.state.MarkShared(context.WithoutCancel(ctx), held); err != nil {
		m.log.Debug("replicated versions not recorded", "err", err)
	}
	m.stats.add("replicated", int64(len(held)))
	return taken, nil
}

// reconcile queues the frames of the first tier that the shared tiers do
// not hold at their version: what a crashed process acknowledged and did
// not replicate, and what was written while a shared tier was down.
func (m *Engine) reconcile(ctx context.Context) error {
	hot := m.chain[0]
	p, _, ok := m.planMove(hot, 2)
	if !ok {
		return nil
	}
	now := m.now()
	queued := 0
	err := hot.eachFrame(ctx, listFilter{}, func(metas []driver.Meta) error {
		recs := make([]driver.Record, len(metas))
		for i, mt := range metas {
			recs[i] = driver.Record{Meta: mt}
		}
		_, missing, err := m.splitInPlace(ctx, p.targets(), recs)
		if err != nil {
			return err
		}
		ids := make([]string, len(missing))
		for i, r := range missing {
			ids[i] = r.ID
		}
		m.repl.queue(now, ids...)
		queued += len(ids)
		return nil
	})
	if queued > 0 {
		m.log.Debug("frames queued for replication", "frames", queued)
		m.repl.wake()
	}
	if errors.Is(err, ErrUnavailable) {
		return nil // a shared tier is down; the next cycle tries again
	}
	return err
}

// noteShared records that a copy brought up from below is held by the
// shared tiers at its version, and is fresh unless a notification named
// the frame after since, taken before the copy was read below
// (coherence.markBroughtUp).
func (m *Engine) noteShared(ctx context.Context, r driver.Record, since uint64) {
	if err := m.state.MarkShared(context.WithoutCancel(ctx), map[string]uint64{r.ID: r.Version}); err != nil {
		m.log.Debug("shared version not recorded", "frame", r.ID, "err", err)
	}
	m.coh.markBroughtUp(r.ID, since)
}

// dropSuperseded removes from the first tier the copies another machine
// updated or deleted in the shared tiers since they were written here.
func (m *Engine) dropSuperseded(ctx context.Context, recs []driver.Record, superseded map[string]bool) {
	for _, r := range recs {
		if !superseded[r.ID] {
			continue
		}
		unlock := m.locks.lock(r.ID)
		err := m.chain[0].delete(ctx, r.ID, r.Version)
		unlock()
		if err != nil {
			continue // the next revalidation or move drops it
		}
		m.coh.forget(r.ID)
		m.up.remove(r.ID)
		m.coh.dropped.Add(1)
		if err := m.state.ForgetShared(ctx, []string{r.ID}); err != nil {
			m.log.Debug("shared version not forgotten", "frame", r.ID, "err", err)
		}
	}
}

// undoDeletedMeanwhile asks the durable tier again about frames just
// copied to it and to the cache above it: one deleted on another machine
// meanwhile (deletes reach the durable tiers before the caches) loses the
// cache's copy, and the first tier's copy is superseded. Where the durable
// tier keeps tombstones, only a tombstone says a missing frame was
// deleted; one it lacks without a tombstone was lost there (a database
// restored or failed over to a replica behind), keeps its copies, and is
// returned to be copied again. Where it keeps none, a missing frame is
// taken as deleted.
func (m *Engine) undoDeletedMeanwhile(ctx context.Context, p plan, recs []driver.Record, superseded map[string]bool) (lost []string) {
	var asked []driver.Record
	for _, r := range recs {
		if !superseded[r.ID] {
			asked = append(asked, r)
		}
	}
	have, err := p.also.metas(ctx, journalIDs(asked))
	if err != nil {
		return nil // the next revalidation of these frames decides
	}
	remembers := p.also.h().tombs != nil
	buried, err := p.also.buried(ctx, metasOf(asked), have)
	if err != nil {
		return nil
	}
	for _, r := range asked {
		if _, ok := have[r.ID]; ok {
			continue
		}
		if remembers && !m.deletedBelow(r.ID, buried) {
			lost = append(lost, r.ID)
			continue
		}
		superseded[r.ID] = true
		if err := p.to.delete(ctx, r.ID, r.Version); err != nil {
			m.log.Debug("copy of a frame deleted elsewhere not removed from the cache", "frame", r.ID, "err", err)
		}
	}
	return lost
}
