package tier

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
// tier, the corrupt one is repaired from it in the background.
func (m *Manager) Get(ctx context.Context, id string) (Frame, error) {
	if err := m.enter(); err != nil {
		return Frame{}, err
	}
	defer m.leave()
	id, err := ParseID(id)
	if err != nil {
		return Frame{}, err
	}
	return m.get(ctx, id)
}

func (m *Manager) get(ctx context.Context, id string) (Frame, error) {
	var unreachable, corrupt []error
	var damaged []*link
	for _, l := range m.chain {
		rec, ok, err := l.get(ctx, id)
		if err == nil && ok && driver.Checksum(rec.Data) != rec.Checksum {
			err = fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
		}
		if err == nil && ok && m.isDeleted(id, rec.Version) {
			// Deleted while a tier was down: the copies left are on their
			// way out and must not be served.
			break
		}
		switch {
		case err == nil && ok:
			m.noteRead(l, rec)
			if len(damaged) > 0 {
				m.repairLater(rec, damaged)
			}
			return fromRecord(rec, l), nil
		case err == nil:
			continue
		case errors.Is(err, ErrCorrupt):
			corrupt = append(corrupt, &FrameError{Op: "get", Tier: l.name, FrameID: id, Err: err})
			damaged = append(damaged, l)
		case ctx.Err() != nil:
			return Frame{}, &FrameError{Op: "get", FrameID: id, Err: ctx.Err()}
		default:
			unreachable = append(unreachable, &FrameError{Op: "get", Tier: l.name, FrameID: id, Err: err})
		}
	}
	m.stats.miss()
	switch {
	case len(unreachable) > 0:
		return Frame{}, errors.Join(append(unreachable, corrupt...)...)
	case len(corrupt) > 0:
		return Frame{}, errors.Join(corrupt...)
	}
	return Frame{}, &FrameError{Op: "get", FrameID: id, Err: ErrNotFound}
}

// repairLater rewrites damaged copies from a good one, off the read path.
func (m *Manager) repairLater(good driver.Record, damaged []*link) {
	m.goBackground(func(ctx context.Context) {
		for _, l := range damaged {
			// The damaged copy may carry a greater version than the good
			// one, so it is removed before the good one is written back.
			if err := l.delete(ctx, good.ID, driver.AnyVersion); err != nil {
				m.log.Warn("cannot remove corrupt copy", "tier", l.name, "frame", good.ID, "err", err)
				continue
			}
			if err := l.put(ctx, good); err != nil {
				m.log.Warn("cannot repair corrupt copy", "tier", l.name, "frame", good.ID, "err", err)
				continue
			}
			m.log.Info("repaired corrupt copy", "tier", l.name, "frame", good.ID, "version", good.Version)
		}
	})
}
