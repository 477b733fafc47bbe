package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/stackmemoryai/tier/driver"
)

// Get returns the frame with the given ID from the first tier that holds a
// good copy, which is the newest version the manager can reach: writes
// land in the first tier, and moves never leave a newer copy below an older
// one.
//
// Errors (test with errors.Is):
//   - ErrInvalidFrame: id is not a UUID.
//   - ErrNotFound: every tier was reached and none holds the frame.
//   - ErrUnavailable: no reachable tier holds it, and a tier that may hold
//     it could not be reached; the message names that tier.
//   - ErrCorrupt: the only copies found failed their checksums.
//
// A corrupt copy is never returned; when a good copy is found in another
// tier, the corrupt one is repaired from it in the background. A frame
// served from a lower tier counts towards its promotion, and warms its
// parent chain and session in the background. Concurrent Gets of a frame
// that is not in the first tier share one trip down the chain.
//
// id must be a canonical UUID (the caller validated it).
func (m *Engine) Get(ctx context.Context, id string) (Found, error) {
	if err := m.enter(); err != nil {
		return Found{}, err
	}
	defer m.leave()
	return m.get(ctx, id)
}

// Found is a copy of a frame and the tier it came from.
type Found struct {
	driver.Record
	Level int    // position of the tier in the chain, 1 first
	Tier  string // name of the tier
}

func found(r driver.Record, l *link) Found { return Found{Record: r, Level: l.level, Tier: l.name} }

// lookup is the outcome of searching the chain for a frame.
type lookup struct {
	rec     driver.Record
	from    *link
	damaged []*link // tiers whose copy failed its checksum
	errs    []error // tiers that could not be reached, and corrupt copies
}

func (m *Engine) get(ctx context.Context, id string) (Found, error) {
	var res lookup
	hit := m.search(ctx, id, m.chain[:1], &res)
	if hit && !m.checkFresh(ctx, res.rec) {
		hit, res = false, lookup{} // superseded or deleted on another machine
	}
	if !hit && len(m.chain) > 1 {
		res, hit = m.searchBelow(ctx, id, res)
		if hit {
			// A write after this read must win over what was read, even
			// if the machine that wrote it has a clock ahead of ours.
			m.clock.observe(res.rec.Version)
			m.prefetchIfNew(res.rec)
		}
	}
	if res.from == nil {
		m.stats.miss()
		switch {
		case ctx.Err() != nil:
			return Found{}, &FrameError{Op: "get", FrameID: id, Err: ctx.Err()}
		case len(res.errs) > 0:
			// A tier that may hold the frame was not reached, or only
			// corrupt copies were found.
			return Found{}, errors.Join(res.errs...)
		}
		return Found{}, &FrameError{Op: "get", FrameID: id, Err: ErrNotFound}
	}
	m.noteRead(res.from, res.rec)
	if len(res.damaged) > 0 {
		m.repairLater(res.rec, res.from, res.damaged)
	}
	return found(res.rec, res.from), nil
}

// searchBelow searches the tiers under the first one. Concurrent searches
// for the same frame share one trip; a caller whose ctx ends stops waiting,
// without cancelling the trip for the others.
func (m *Engine) searchBelow(ctx context.Context, id string, above lookup) (lookup, bool) {
	ch := m.fetches.DoChan(id, func() (any, error) {
		var res lookup
		found := m.search(context.WithoutCancel(ctx), id, m.chain[1:], &res)
		return res, boolErr(found)
	})
	select {
	case <-ctx.Done():
		above.errs = append(above.errs, &FrameError{Op: "get", FrameID: id, Err: ctx.Err()})
		return above, false
	case r := <-ch:
		res := r.Val.(lookup)
		res.damaged = append(above.damaged, res.damaged...)
		if res.from == nil {
			// Report the first tier's trouble before the lower tiers'.
			res.errs = append(above.errs, res.errs...)
		}
		return res, res.from != nil
	}
}

// boolErr carries "not found" through singleflight, which returns values
// and errors only.
func boolErr(found bool) error {
	if found {
		return nil
	}
	return errNotFoundBelow
}

var errNotFoundBelow = errors.New("not found below")

// search looks for id in tiers, in order, and records in res the first
// good copy, the damaged copies and the failures on the way.
func (m *Engine) search(ctx context.Context, id string, tiers []*link, res *lookup) bool {
	for _, l := range tiers {
		rec, ok, err := l.get(ctx, id)
		if err == nil && ok && driver.Checksum(rec.Data) != rec.Checksum {
			err = fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
		}
		switch {
		case err == nil && ok && m.retired(l, id, rec.Version):
			// Deleted, or replaced by a newer copy below, while this tier
			// was down: the copy is on its way out.
			continue
		case err == nil && ok:
			res.rec, res.from = rec, l
			return true
		case err == nil:
		case errors.Is(err, ErrCorrupt):
			res.errs = append(res.errs, &FrameError{Op: "get", Tier: l.name, FrameID: id, Err: err})
			res.damaged = append(res.damaged, l)
		case ctx.Err() != nil:
			return false
		default:
			res.errs = append(res.errs, &FrameError{Op: "get", Tier: l.name, FrameID: id, Err: err})
		}
	}
	return false
}

// prefetchIfNew starts a pre-fetch of the frame's relatives unless one for
// the same session is running.
func (m *Engine) prefetchIfNew(rec driver.Record) {
	if m.cfg.NoPrefetch || (rec.ParentID == "" && rec.SessionID == "") {
		return
	}
	m.prefetch(rec)
}

// repairLater rewrites damaged copies from a good one, off the read path.
func (m *Engine) repairLater(good driver.Record, from *link, damaged []*link) {
	m.goBackground(func(ctx context.Context) {
		defer m.locks.lock(good.ID)()
		for _, l := range damaged {
			if err := m.repair(ctx, l, good, from.h().durable); err != nil {
				m.log.Warn("cannot repair damaged copy", "tier", l.name, "frame", good.ID, "err", err)
				continue
			}
			m.log.Info("repaired damaged copy", "tier", l.name, "frame", good.ID, "version", good.Version)
		}
	})
}

// repair replaces the damaged copy of good.ID in l. Writing the same
// version overwrites a copy in place, so nothing is deleted first; only
// when the damaged copy claims a greater version (the write is then
// ignored) is it deleted and rewritten, and only when the good copy lives
// in a durable tier, so a failure half-way never leaves a cache as the only
// holder.
func (m *Engine) repair(ctx context.Context, l *link, good driver.Record, goodIsDurable bool) error {
	if err := l.put(ctx, good); err != nil {
		return err
	}
	got, ok, err := l.get(ctx, good.ID)
	if err == nil && ok && holds(got, good) {
		return nil
	}
	if !goodIsDurable {
		return fmt.Errorf("%s still holds a damaged copy, and the good one is only in a cache", l)
	}
	if err := l.delete(ctx, good.ID, driver.AnyVersion); err != nil {
		return err
	}
	return l.put(ctx, good)
}
