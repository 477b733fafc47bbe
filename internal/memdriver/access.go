package memdriver

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/stackmemoryai/tier/driver"
)

// Touch implements driver.Tier.
func (t *Tier) Touch(ctx context.Context, hits []driver.Access) error {
	if err := t.check(ctx, "touch"); err != nil {
		return err
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	for _, h := range hits {
		r, ok := t.s.frames[h.ID]
		if !ok {
			continue
		}
		if h.At.After(r.LastAccess) {
			r.LastAccess = h.At
		}
		r.AccessCount += h.Count
		r.LFUKey = driver.LFUKey(r.LFUKey, h.At, h.Count)
		t.s.frames[h.ID] = r
	}
	return nil
}

// Candidates implements driver.Tier by sorting every frame.
func (t *Tier) Candidates(ctx context.Context, q driver.CandidateQuery) ([]driver.Meta, error) {
	if err := t.check(ctx, "candidates"); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		return nil, nil
	}
	t.s.mu.RLock()
	var out []driver.Meta
	for _, r := range t.s.frames {
		if !q.CreatedBefore.IsZero() && !r.CreatedAt.Before(q.CreatedBefore) {
			continue
		}
		if !q.AccessedBefore.IsZero() && !r.LastAccess.Before(q.AccessedBefore) {
			continue
		}
		out = append(out, r.Meta)
	}
	t.s.mu.RUnlock()
	slices.SortFunc(out, func(a, b driver.Meta) int {
		var c int
		switch q.Policy {
		case driver.LFU:
			c = cmp.Compare(a.LFUKey, b.LFUKey)
		case driver.AGE:
			c = a.CreatedAt.Compare(b.CreatedAt)
		default:
			c = a.LastAccess.Compare(b.LastAccess)
		}
		return cmp.Or(c, strings.Compare(a.ID, b.ID))
	})
	return out[:min(len(out), q.Limit)], nil
}

// Usage implements driver.Tier.
func (t *Tier) Usage(ctx context.Context) (driver.Usage, error) {
	if err := t.check(ctx, "usage"); err != nil {
		return driver.Usage{}, err
	}
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	var u driver.Usage
	for _, r := range t.s.frames {
		u.Frames++
		u.Bytes += r.Size
	}
	return u, nil
}
