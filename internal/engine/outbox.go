package engine

import (
	"context"
	"sync"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/state"
)

// Deletes that a tier could not take are queued in the state store's
// outbox and replayed in order when the tier returns. Every delete also
// leaves a tombstone in the state store for an hour. Until the copies are
// gone, no read serves them and no move or promotion brings them back;
// while the tier that holds them is down, Get of the frame says the tier
// is unavailable (it cannot tell the frame apart from one written again
// after the delete). Tombstones carry the version up to which copies are
// deleted, so a Put after the Delete is not affected.

// tombstones remembers, in memory, the recent deletes of this process, so
// that background work started before a delete (a promotion, a pre-fetch, a
// move) cannot bring the frame back, and the common read path needs no
// state-store query. It keeps the last maxTombstones deletes; the outbox
// keeps the postponed ones for good.
type tombstones struct {
	mu    sync.Mutex
	ids   map[string]uint64 // frame -> delete every version up to this
	order []string          // ring of recent deletes, oldest first
}

const maxTombstones = 4096

func newTombstones() *tombstones { return &tombstones{ids: map[string]uint64{}} }

func (t *tombstones) set(id string, upTo uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.ids[id]; !ok {
		if len(t.order) >= maxTombstones {
			delete(t.ids, t.order[0])
			t.order = t.order[1:]
		}
		t.order = append(t.order, id)
	}
	t.ids[id] = max(t.ids[id], upTo)
}

func (t *tombstones) get(id string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ids[id]
}

// isDeleted reports whether the copy of id at version is not to be
// served: the frame was deleted, or a newer copy exists lower down, even if
// some tier has not dropped the copy yet. It asks the state store too,
// since another process may have queued the change.
func (m *Engine) isDeleted(id string, version uint64) bool {
	if version <= m.gone.get(id) {
		return true
	}
	upTo, err := m.state.RetiredUpTo(context.Background(), id)
	return err == nil && version <= upTo
}

// retiredAmong returns the IDs of recs whose copies are not to be served
// or copied (isDeleted), asking the state store once for all of them.
// When the state store cannot answer, it returns this process's recent
// deletes and the error.
func (m *Engine) retiredAmong(ctx context.Context, recs []driver.Record) (map[string]bool, error) {
	out := make(map[string]bool)
	ids := make([]string, 0, len(recs))
	for _, r := range recs {
		if r.Version <= m.gone.get(r.ID) {
			out[r.ID] = true
		} else {
			ids = append(ids, r.ID)
		}
	}
	upTo, err := m.state.RetiredUpToMany(context.WithoutCancel(ctx), ids)
	if err != nil {
		return out, err
	}
	for _, r := range recs {
		if v, ok := upTo[r.ID]; ok && r.Version <= v {
			out[r.ID] = true
		}
	}
	return out, nil
}

// retired is isDeleted for a copy read from l. A copy in the first tier
// is only checked against this process's recent deletes: deletes reach the
// first tier (a local file every process shares) at once, and no move
// writes a retired copy there, so the read path of hot frames needs no
// state-store query.
func (m *Engine) retired(l *link, id string, version uint64) bool {
	if l.level == 1 {
		return version <= m.gone.get(id)
	}
	return m.isDeleted(id, version)
}

// postponeDeletes queues the deletes of id that failed, one per tier.
func (m *Engine) postponeDeletes(ctx context.Context, id string, upTo uint64, levels []int) error {
	changes := make([]state.Change, len(levels))
	for i, level := range levels {
		changes[i] = state.Change{Level: level, Op: state.OpDelete, FrameID: id, Version: upTo}
	}
	return m.state.Enqueue(context.WithoutCancel(ctx), changes)
}

// replayOutbox delivers queued changes, oldest first. A tier that still
// cannot be reached keeps its changes, in order, for the next cycle. It
// returns how many changes were delivered.
func (m *Engine) replayOutbox(ctx context.Context) int {
	applied := 0
	for ctx.Err() == nil {
		pending, err := m.state.Pending(ctx, 500)
		if err != nil || len(pending) == 0 {
			return applied
		}
		blocked := map[int]bool{}
		var done []int64
		for _, c := range pending {
			if blocked[c.Level] || c.Level < 1 || c.Level > len(m.chain) {
				blocked[c.Level] = true
				continue
			}
			l := m.chain[c.Level-1]
			apply := l.delete // older copies dropped (OpDropStale)
			if c.Op == state.OpDelete {
				apply = l.bury // a delete of the host's
			}
			if err := apply(ctx, c.FrameID, c.Version); err != nil {
				blocked[c.Level] = true
				continue
			}
			done = append(done, c.Seq)
		}
		if err := m.state.Done(ctx, done); err != nil {
			return applied
		}
		applied += len(done)
		if len(done) == 0 {
			return applied
		}
	}
	return applied
}
