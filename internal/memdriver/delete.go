package memdriver

import (
	"context"

	"github.com/stackmemoryai/tier/driver"
)

// Delete implements driver.Tier.
func (t *Tier) Delete(ctx context.Context, id string, upTo uint64) error {
	return t.DeleteMany(ctx, []driver.Deletion{{ID: id, UpTo: upTo}})
}

// DeleteMany implements driver.BatchDeleter, all deletions at once.
func (t *Tier) DeleteMany(ctx context.Context, dels []driver.Deletion) error {
	if err := t.check(ctx, "delete"); err != nil {
		return err
	}
	var changed []string
	t.s.mu.Lock()
	for _, d := range dels {
		if r, ok := t.s.frames[d.ID]; ok && r.Version <= d.UpTo {
			delete(t.s.frames, d.ID)
			changed = append(changed, d.ID)
		}
	}
	t.s.mu.Unlock()
	t.s.hub.notify(changed)
	return nil
}

// Bury implements driver.Tombstoner. Tombstones are kept as long as the
// store.
func (t *Tier) Bury(ctx context.Context, id string, upTo uint64) error {
	if err := t.check(ctx, "bury"); err != nil {
		return err
	}
	t.s.mu.Lock()
	t.s.buried[id] = max(t.s.buried[id], upTo)
	r, ok := t.s.frames[id]
	removed := ok && r.Version <= upTo
	if removed {
		delete(t.s.frames, id)
	}
	t.s.mu.Unlock()
	if removed {
		t.s.hub.notify([]string{id})
	}
	return nil
}

// Tombstones implements driver.Tombstoner.
func (t *Tier) Tombstones(ctx context.Context, ids []string) (map[string]uint64, error) {
	if err := t.check(ctx, "tombstones"); err != nil {
		return nil, err
	}
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	out := map[string]uint64{}
	for _, id := range ids {
		if upTo, ok := t.s.buried[id]; ok {
			out[id] = upTo
		}
	}
	return out, nil
}
