package memdriver

import (
	"context"
	"fmt"
	"math"

	"github.com/stackmemoryai/tier/driver"
)

// Put implements driver.Tier. A record with no ID, a Size or Checksum that
// does not match its Data, a Version above math.MaxInt64 or a document
// over MaxFrameSize is refused with driver.ErrInvalidRecord.
func (t *Tier) Put(ctx context.Context, rec driver.Record) error {
	if err := t.check(ctx, "put"); err != nil {
		return err
	}
	if err := t.valid(rec); err != nil {
		return err
	}
	t.s.mu.Lock()
	changed := t.s.put(rec)
	t.s.mu.Unlock()
	if changed {
		t.s.hub.notify([]string{rec.ID})
	}
	return nil
}

// PutMany implements driver.Batcher. When one record is invalid, none is
// written.
func (t *Tier) PutMany(ctx context.Context, recs []driver.Record) error {
	if err := t.check(ctx, "put many"); err != nil {
		return err
	}
	for _, r := range recs {
		if err := t.valid(r); err != nil {
			return err
		}
	}
	var changed []string
	t.s.mu.Lock()
	for _, r := range recs {
		if t.s.put(r) {
			changed = append(changed, r.ID)
		}
	}
	t.s.mu.Unlock()
	t.s.hub.notify(changed)
	return nil
}

// valid returns an error wrapping driver.ErrInvalidRecord that names what
// is wrong with r, or nil.
func (t *Tier) valid(r driver.Record) error {
	var what string
	switch {
	case r.ID == "":
		what = "empty ID"
	case r.Size != int64(len(r.Data)):
		what = fmt.Sprintf("Size %d but %d bytes of Data", r.Size, len(r.Data))
	case r.Checksum != driver.Checksum(r.Data):
		what = fmt.Sprintf("Checksum %08x but the Data's is %08x", r.Checksum, driver.Checksum(r.Data))
	case r.Version > math.MaxInt64:
		what = fmt.Sprintf("Version %d above %d", r.Version, int64(math.MaxInt64))
	case r.Size > t.max:
		what = fmt.Sprintf("document of %d bytes over the %d-byte limit", r.Size, t.max)
	default:
		return nil
	}
	return fmt.Errorf("memdriver: put %q: %w: %s", r.ID, driver.ErrInvalidRecord, what)
}

// put stores rec unless a newer version is stored or the frame was
// buried up to its version, and reports whether it did; s.mu is held.
func (s *store) put(rec driver.Record) bool {
	old, ok := s.frames[rec.ID]
	if ok && old.Version > rec.Version {
		return false
	}
	if upTo, buried := s.buried[rec.ID]; buried && rec.Version <= upTo {
		return false
	}
	rec = clone(rec)
	if ok {
		rec.LastAccess, rec.AccessCount, rec.LFUKey = old.LastAccess, old.AccessCount, old.LFUKey
	} else {
		if rec.AccessCount < 1 {
			rec.AccessCount = 1
		}
		if rec.LastAccess.IsZero() {
			rec.LastAccess = rec.CreatedAt
		}
		if rec.LFUKey == 0 {
			rec.LFUKey = driver.NewLFUKey(rec.LastAccess, rec.AccessCount)
		}
	}
	s.frames[rec.ID] = rec
	return true
}
