package memdriver

import (
	"context"
	"fmt"
	"slices"

	"github.com/stackmemoryai/tier/driver"
)

// Get implements driver.Tier. A copy whose document no longer matches its
// checksum is reported with driver.ErrCorrupt and not returned.
func (t *Tier) Get(ctx context.Context, id string) (driver.Record, bool, error) {
	if err := t.check(ctx, "get"); err != nil {
		return driver.Record{}, false, err
	}
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	r, ok := t.s.frames[id]
	if !ok {
		return driver.Record{}, false, nil
	}
	if err := sound(r); err != nil {
		return driver.Record{}, false, fmt.Errorf("memdriver: get: %w", err)
	}
	return clone(r), true, nil
}

// GetMany implements driver.Batcher. Damaged copies are left out and named
// by the *driver.CorruptError returned with the sound ones.
func (t *Tier) GetMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	if err := t.check(ctx, "get many"); err != nil {
		return nil, err
	}
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	var out []driver.Record
	var damaged *driver.CorruptError
	for _, id := range ids {
		r, ok := t.s.frames[id]
		if !ok {
			continue
		}
		if err := sound(r); err != nil {
			if damaged == nil {
				damaged = &driver.CorruptError{Err: err}
			}
			damaged.IDs = append(damaged.IDs, id)
			continue
		}
		out = append(out, clone(r))
	}
	if damaged != nil {
		return out, damaged
	}
	return out, nil
}

// GetMetas implements driver.MetaGetter.
func (t *Tier) GetMetas(ctx context.Context, ids []string) ([]driver.Meta, error) {
	if err := t.check(ctx, "get metas"); err != nil {
		return nil, err
	}
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	var out []driver.Meta
	for _, id := range ids {
		if r, ok := t.s.frames[id]; ok {
			out = append(out, r.Meta)
		}
	}
	return out, nil
}

// sound returns an error wrapping driver.ErrCorrupt when the document of r
// does not match its checksum.
func sound(r driver.Record) error {
	if sum := driver.Checksum(r.Data); sum != r.Checksum {
		return fmt.Errorf("%w: frame %s: document checksum %08x, stored %08x", driver.ErrCorrupt, r.ID, sum, r.Checksum)
	}
	return nil
}

func clone(r driver.Record) driver.Record {
	r.Data = slices.Clone(r.Data)
	r.Compressed = slices.Clone(r.Compressed)
	return r
}
