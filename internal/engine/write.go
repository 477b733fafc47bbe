package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// Put stores the frame in the first tier and returns it as stored, with its
// ID (a new UUIDv7 when f.ID was empty), version, checksum and size filled
// in. Put is local-first: it writes to the first tier only and never waits
// on the network; the frame moves down later.
//
// A frame that fails validation (bad IDs, empty, invalid or oversize JSON)
// is refused with an error wrapping ErrInvalidFrame, and nothing is written.
func (m *Manager) Put(ctx context.Context, f Frame) (Frame, error) {
	out, err := m.PutBatch(ctx, []Frame{f})
	if err != nil {
		return Frame{}, err
	}
	return out[0], nil
}

// PutBatch stores several frames in one transaction of the first tier where
// the tier supports it. Every frame is validated first: if one is invalid
// the error names its index and nothing is written. Frames are returned in
// the order given, as stored.
func (m *Manager) PutBatch(ctx context.Context, frames []Frame) ([]Frame, error) {
	if err := m.enter(); err != nil {
		return nil, err
	}
	defer m.leave()
	now := m.now()
	out := make([]Frame, len(frames))
	seen := make(map[string]int, len(frames))
	for i, f := range frames {
		if err := f.normalize(now, int64(m.cfg.MaxFrameSize)); err != nil {
			if len(frames) > 1 {
				return nil, fmt.Errorf("frame %d of %d: %w", i+1, len(frames), err)
			}
			return nil, err
		}
		if j, dup := seen[f.ID]; dup {
			return nil, fmt.Errorf("frames %d and %d: %w", j+1, i+1,
				invalid(f.ID, "the same frame ID appears twice in one batch"))
		}
		seen[f.ID] = i
		out[i] = f
	}
	hot := m.chain[0]
	ids := make([]string, len(out))
	for i, f := range out {
		ids[i] = f.ID
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
	recs := make([]driver.Record, len(out))
	for i := range out {
		f := &out[i]
		f.Version = m.clock.next(now, prev[f.ID]+1)
		f.Checksum = driver.Checksum(f.Data)
		f.Level, f.Tier = 1, hot.name
		f.LastAccess, f.AccessCount = now.UTC().Truncate(time.Microsecond), 1
		recs[i] = toRecord(*f)
	}
	if err := hot.putMany(ctx, recs); err != nil {
		return nil, &FrameError{Op: "put", Tier: hot.name, FrameID: firstID(ids), Err: err}
	}
	return out, nil
}

func firstID(ids []string) string {
	if len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// toRecord converts a validated frame to what a tier stores.
func toRecord(f Frame) driver.Record {
	return driver.Record{
		Meta: driver.Meta{
			ID:          f.ID,
			SessionID:   f.SessionID,
			ProjectID:   f.ProjectID,
			ParentID:    f.ParentID,
			CreatedAt:   f.CreatedAt,
			Version:     f.Version,
			Checksum:    f.Checksum,
			Size:        f.Size,
			LastAccess:  f.LastAccess,
			AccessCount: f.AccessCount,
			LFUKey:      driver.NewLFUKey(f.LastAccess, max(f.AccessCount, 1)),
		},
		Data: f.Data,
	}
}

// fromRecord converts what a tier returned to a Frame.
func fromRecord(r driver.Record, l *link) Frame {
	return Frame{
		ID:          r.ID,
		SessionID:   r.SessionID,
		ProjectID:   r.ProjectID,
		ParentID:    r.ParentID,
		CreatedAt:   r.CreatedAt,
		Data:        r.Data,
		Level:       l.level,
		Tier:        l.name,
		Version:     r.Version,
		Checksum:    r.Checksum,
		Size:        r.Size,
		LastAccess:  r.LastAccess,
		AccessCount: r.AccessCount,
	}
}

// Delete removes the frame from every tier. Deleting a frame that does not
// exist succeeds. When a tier below the first cannot be reached, the delete
// is recorded in the outbox and finished when the tier returns; Delete then
// still succeeds, and the frame is never returned again. When the first
// tier (local) fails, Delete changes nothing and returns the error.
func (m *Manager) Delete(ctx context.Context, id string) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	id, err := ParseID(id)
	if err != nil {
		return err
	}
	defer m.locks.lock(id)()
	upTo := m.clock.next(m.now(), 0)
	// The tombstone first: from now on no process moves, promotes or
	// serves a copy of the frame up to this version.
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
	for _, l := range m.chain[1:] {
		if err := l.delete(ctx, id, upTo); err != nil {
			failed = append(failed, l.level)
			errs = append(errs, &FrameError{Op: "delete", Tier: l.name, FrameID: id, Err: err})
		}
	}
	m.promoter.forget(id)
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
