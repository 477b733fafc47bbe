package tier

import (
	"context"
	"fmt"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/engine"
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
func (m *Manager) Get(ctx context.Context, id string) (Frame, error) {
	id, err := ParseID(id)
	if err != nil {
		return Frame{}, err
	}
	ctx, end := m.start(ctx, OpGet, id)
	c, err := m.e.Get(ctx, id)
	end(End{Level: c.Level, Tier: c.Tier, Frames: 1, Err: err})
	if err != nil {
		return Frame{}, err
	}
	return frameOf(c), nil
}

// Put stores the frame in the first tier and returns it as stored, with its
// ID (a new UUIDv7 when f.ID was empty), version, checksum and size filled
// in. Put is local-first: it writes to the first tier only and never waits
// on the network; the frame moves down later.
//
// Put replaces: a frame whose ID is already stored is replaced whole,
// identity included (session, project, parent, and CreatedAt, which
// becomes now when f.CreatedAt is zero). To change only the document of a
// stored frame, use [Manager.UpdateData].
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
// the tier supports it, with the replace semantics of Put. Every frame is
// validated first: if one is invalid the error names its index and nothing
// is written. Frames are returned in the order given, as stored.
func (m *Manager) PutBatch(ctx context.Context, frames []Frame) ([]Frame, error) {
	now := m.e.Now()
	valid := make([]Frame, len(frames))
	seen := make(map[string]int, len(frames))
	for i, f := range frames {
		if err := f.normalize(now, m.maxFrameSize); err != nil {
			if len(frames) > 1 {
				return nil, fmt.Errorf("frame %d of %d: %w", i+1, len(frames), err)
			}
			return nil, err
		}
		if j, dup := seen[f.ID]; dup {
			return nil, fmt.Errorf("frames %d and %d: %w", j+1, i+1,
				engine.Invalid(f.ID, "the same frame ID appears twice in one batch"))
		}
		seen[f.ID] = i
		valid[i] = f
	}
	return m.put(ctx, valid)
}

func (m *Manager) put(ctx context.Context, frames []Frame) ([]Frame, error) {
	frameID := ""
	if len(frames) == 1 {
		frameID = frames[0].ID
	}
	ctx, end := m.start(ctx, OpPut, frameID)
	recs := make([]driver.Record, len(frames))
	for i := range frames {
		recs[i] = frames[i].record()
	}
	stored, err := m.e.PutBatch(ctx, recs)
	e := End{Frames: len(frames), Err: err}
	if len(stored) > 0 {
		e.Level, e.Tier = stored[0].Level, stored[0].Tier
	}
	end(e)
	if err != nil {
		return nil, err
	}
	out := make([]Frame, len(stored))
	for i, c := range stored {
		out[i] = frameOf(c)
	}
	return out, nil
}

// UpdateData replaces the document of the stored frame id and keeps its
// identity (session, project, parent, creation time). It reads the frame
// from wherever it is (as Get does) and writes the new version to the
// first tier. It fails with ErrNotFound when no tier holds the frame, and
// with ErrInvalidFrame when data is not a valid document.
func (m *Manager) UpdateData(ctx context.Context, id string, data []byte) (Frame, error) {
	cur, err := m.Get(ctx, id)
	if err != nil {
		return Frame{}, err
	}
	return m.Put(ctx, Frame{ID: cur.ID, SessionID: cur.SessionID, ProjectID: cur.ProjectID,
		ParentID: cur.ParentID, CreatedAt: cur.CreatedAt, Data: data})
}

// Delete removes the frame from every tier. Deleting a frame that does not
// exist succeeds. When a tier below the first cannot be reached, the delete
// is recorded in the outbox and finished when the tier returns; Delete then
// still succeeds, and the frame is never returned again. When the first
// tier (local) fails, Delete changes nothing and returns the error.
func (m *Manager) Delete(ctx context.Context, id string) error {
	id, err := ParseID(id)
	if err != nil {
		return err
	}
	ctx, end := m.start(ctx, OpDelete, id)
	err = m.e.Delete(ctx, id)
	end(End{Frames: 1, Err: err})
	return err
}
