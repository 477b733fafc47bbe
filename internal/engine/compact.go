package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/stackmemoryai/tier/driver"
)

// CompactReport says what Compact did.
type CompactReport struct {
	// Healed and Abandoned count interrupted moves finished or rolled back.
	Healed    int `json:"healed"`
	Abandoned int `json:"abandoned"`
	// OutboxApplied counts postponed deletes delivered.
	OutboxApplied int `json:"outbox_applied"`
	// StaleRemoved counts lower copies older than the frame's copy in the
	// first tier. Copies of the same version are replicas, and stay.
	StaleRemoved int `json:"stale_removed"`
	// Compacted lists the tiers that reclaimed space (VACUUM, retention,
	// index cleanup).
	Compacted []string `json:"compacted"`
}

// Compact cleans up: it finishes interrupted moves, delivers postponed
// deletes, removes stale copies (older versions) below the frames of the
// first tier, and asks every tier that can to reclaim space (and to apply
// its retention).
// It runs under the mover lease; while another process holds it, Compact
// fails with ErrBusy.
func (m *Engine) Compact(ctx context.Context) (CompactReport, error) {
	if err := m.enter(); err != nil {
		return CompactReport{}, err
	}
	defer m.leave()
	var rep CompactReport
	release, err := m.takeLease(ctx)
	if err != nil {
		return rep, err
	}
	defer release()
	rep.OutboxApplied = m.replayOutbox(ctx)
	if rep.Healed, rep.Abandoned, err = m.healMoves(ctx); err != nil {
		return rep, err
	}
	var errs []error
	if len(m.chain) > 1 {
		n, err := m.removeStale(ctx)
		rep.StaleRemoved = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, l := range m.chain {
		ok, err := l.compact(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("compact %s: %w", l, err))
			continue
		}
		if ok {
			rep.Compacted = append(rep.Compacted, l.name)
		}
	}
	return rep, errors.Join(errs...)
}

// removeStale walks the frames of the first tier and drops the copies
// below them that are older. A copy of the same version is a replica
// (replication, promotion): other machines read it, and demoting the
// frame is a local delete while it is there, so it stays, in a cache too.
// So does an older copy of a frame queued for replication: the newer
// version is on its way, and removing the older one now would make the
// frame look deleted to other machines until it lands. Only metadata is
// read below. With a first tier that is not durable, nothing is older
// than a copy that may vanish: nothing is removed.
func (m *Engine) removeStale(ctx context.Context) (int, error) {
	hot := m.chain[0]
	removed := 0
	if !hot.h().durable {
		return 0, nil
	}
	err := hot.eachFrame(ctx, listFilter{}, func(batch []driver.Meta) error {
		top := make(map[string]uint64, len(batch))
		ids := make([]string, len(batch))
		for i, mt := range batch {
			top[mt.ID], ids[i] = mt.Version, mt.ID
		}
		for _, l := range m.chain[1:] {
			held, err := l.metas(ctx, ids)
			if err != nil {
				if errors.Is(err, ErrUnavailable) {
					continue
				}
				return fmt.Errorf("read %s: %w", l, err)
			}
			for id, h := range held {
				v := top[id]
				if h.Version >= v || m.repl.has(id) {
					continue
				}
				// Stale: a newer version lives above.
				if err := l.delete(ctx, id, v-1); err == nil {
					removed++
				}
			}
		}
		return nil
	})
	return removed, err
}
