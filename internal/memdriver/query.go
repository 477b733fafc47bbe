package memdriver

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/stackmemoryai/tier/driver"
)

// Query implements driver.Querier. Every frame that passes the filters is
// matched and ranked; see the package documentation for the search.
// Damaged copies are left out and named in a *driver.CorruptError
// returned with the hits.
func (t *Tier) Query(ctx context.Context, q driver.Query) ([]driver.Hit, error) {
	if err := t.check(ctx, "query"); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		return nil, nil
	}
	search := driver.ParseSearch(q.Text)
	if q.Text != "" && search.Empty() {
		return nil, nil
	}
	t.s.mu.RLock()
	var hits []driver.Hit
	var damaged *driver.CorruptError
	for _, r := range t.s.frames {
		if (q.ProjectID != "" && r.ProjectID != q.ProjectID) ||
			(q.SessionID != "" && r.SessionID != q.SessionID) ||
			(q.ParentID != "" && r.ParentID != q.ParentID) ||
			(!q.CreatedAfter.IsZero() && r.CreatedAt.Before(q.CreatedAfter)) ||
			(!q.CreatedBefore.IsZero() && !r.CreatedAt.Before(q.CreatedBefore)) {
			continue
		}
		var rank float64
		if q.Text != "" {
			var ok bool
			if rank, ok = textOf(r.Data).match(search); !ok {
				continue
			}
		}
		if err := sound(r); err != nil {
			if damaged == nil {
				damaged = &driver.CorruptError{Err: err}
			}
			damaged.IDs = append(damaged.IDs, r.ID)
			continue
		}
		hits = append(hits, driver.Hit{Record: clone(r), Rank: rank})
	}
	t.s.mu.RUnlock()
	order := func(a, b driver.Hit) int {
		return cmp.Or(cmp.Compare(b.Rank, a.Rank), b.CreatedAt.Compare(a.CreatedAt), strings.Compare(a.ID, b.ID))
	}
	slices.SortFunc(hits, order)
	if c := q.After; c != nil {
		cursor := driver.Hit{Rank: c.Rank, Record: driver.Record{Meta: driver.Meta{CreatedAt: c.CreatedAt, ID: c.ID}}}
		i, _ := slices.BinarySearchFunc(hits, cursor, order)
		for i < len(hits) && order(hits[i], cursor) <= 0 {
			i++
		}
		hits = hits[i:]
	}
	hits = hits[:min(len(hits), q.Limit)]
	if damaged != nil {
		slices.Sort(damaged.IDs)
		return hits, damaged
	}
	return hits, nil
}
