package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// PutBatch stores records in the first tier, in one call where the tier
// supports it, and returns them as stored. The caller gives each record's
// identity, CreatedAt and Data, validated, with distinct IDs; PutBatch
// fills the version (greater than any the first tier holds), checksum,
// size and access fields. It never waits on the network.
func (m *Engine) PutBatch(ctx context.Context, recs []driver.Record) ([]Found, error) {
	if err := m.enter(); err != nil {
		return nil, err
	}
	defer m.leave()
	now := m.now()
	hot := m.chain[0]
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	// Read the versions the first tier holds, so a new version is always
	// greater even when this process's clock is behind another's.
	held, err := hot.getMany(ctx, ids)
	if err != nil {
		return nil, &FrameError{Op: "put", Tier: hot.name, Err: err}
	}
	prev := make(map[string]uint64, len(held))
	for _, r := range held {
		prev[r.ID] = r.Version
	}
	out := make([]Found, len(recs))
	stored := make([]driver.Record, len(recs))
	at := now.UTC().Truncate(time.Microsecond)
	for i, r := range recs {
		r.Version = m.clock.next(now, prev[r.ID]+1)
		r.Checksum = driver.Checksum(r.Data)
		r.Size = int64(len(r.Data))
		r.LastAccess, r.AccessCount = at, 1
		r.LFUKey = driver.NewLFUKey(at, 1)
		stored[i] = r
		out[i] = found(r, hot)
	}
	if err := hot.putMany(ctx, stored); err != nil {
		return nil, &FrameError{Op: "put", Tier: hot.name, FrameID: firstID(ids), Err: err}
	}
	var bytes int64
	for _, r := range stored {
		bytes += r.Size
	}
	m.up.remove(ids...)
	m.noteHotWrite(int64(len(stored)), bytes)
	for _, id := range ids {
		m.coh.mark(id)
	}
	if m.replicates() {
		m.repl.queue(now, ids...)
	}
	return out, nil
}

func firstID(ids []string) string {
	if len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// Delete removes the frame with the canonical ID id from every tier. Deleting a frame that does not
// exist succeeds. When a tier below the first cannot be reached, the delete
// is recorded in the outbox and finished when the tier returns; Delete then
// still succeeds, and the frame is never returned again. When the first
// tier (local) fails, Delete changes nothing and returns the error.
func (m *Engine) Delete(ctx context.Context, id string) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	defer m.locks.lock(id)()
	upTo := m.clock.next(m.now(), 0)
	// The tombstone first: from now on no process moves, promotes or
	// serves a copy of the frame up to this version. The version the
	// shared tiers held is forgotten with it.
	if err := m.state.AddTombstone(ctx, id, upTo); err != nil {
		return &FrameError{Op: "delete", FrameID: id, Err: fmt.Errorf("record the delete: %w", err)}
	}
	// The first tier is local: if it cannot take the delete, nothing is
	// changed and the caller hears about it.
	hot := m.chain[0]
	if err := hot.delete(ctx, id, upTo); err != nil {
		return &FrameError{Op: "delete", Tier: hot.name, FrameID: id, Err: err}
	}
	m.gone.set(id, upTo)
	var failed []int
	var errs []error
	// The durable tiers first, then the caches: a copy another machine
	// writes to a cache after it checked the durable tier still held the
	// frame is then removed by this delete, or seen gone by that machine.
	for _, l := range durableFirst(m.chain[1:]) {
		if err := l.bury(ctx, id, upTo); err != nil {
			failed = append(failed, l.level)
			errs = append(errs, &FrameError{Op: "delete", Tier: l.name, FrameID: id, Err: err})
		}
	}
	m.promoter.forget(id)
	m.up.remove(id)
	m.coh.forget(id)
	if len(failed) == 0 {
		return nil
	}
	if err := m.postponeDeletes(ctx, id, upTo, failed); err != nil {
		// The delete can be neither finished nor recorded: say so.
		return errors.Join(append(errs, fmt.Errorf("tier: cannot record postponed delete: %w", err))...)
	}
	m.log.Warn("delete postponed until the tier returns", "frame", id, "err", errors.Join(errs...))
	return nil
}

// durableFirst returns the tiers, durable ones first, each group in chain
// order.
func durableFirst(tiers []*link) []*link {
	out := make([]*link, 0, len(tiers))
	for _, l := range tiers {
		if l.h().durable {
			out = append(out, l)
		}
	}
	for _, l := range tiers {
		if !l.h().durable {
			out = append(out, l)
		}
	}
	return out
}
