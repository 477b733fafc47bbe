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
