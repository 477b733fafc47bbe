package memdriver

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/stackmemoryai/tier/driver"
)

// GetMany implements driver.Batcher.
func (t *Tier) GetMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	var out []driver.Record
	for _, id := range ids {
		r, ok, err := t.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// PutMany implements driver.Batcher.
func (t *Tier) PutMany(ctx context.Context, recs []driver.Record) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	for _, r := range recs {
		t.s.put(r)
	}
	return nil
}

// Query implements driver.Querier. Text matching is simple: every word of
// the query (quotes and operators ignored, -word excluded) must occur in
// the document; the rank is the number of occurrences.
func (t *Tier) Query(ctx context.Context, q driver.Query) ([]driver.Hit, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	include, exclude := parseText(q.Text)
	t.s.mu.RLock()
	var hits []driver.Hit
	for _, r := range t.s.frames {
		if (q.ProjectID != "" && r.ProjectID != q.ProjectID) ||
			(q.SessionID != "" && r.SessionID != q.SessionID) ||
			(!q.CreatedAfter.IsZero() && r.CreatedAt.Before(q.CreatedAfter)) ||
			(!q.CreatedBefore.IsZero() && !r.CreatedAt.Before(q.CreatedBefore)) {
			continue
		}
		rank, ok := match(r.Data, include, exclude)
		if !ok || (q.Text != "" && len(include) == 0) {
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
	return hits[:min(len(hits), max(q.Limit, 0))], nil
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func parseText(text string) (include, exclude []string) {
	for _, f := range strings.Fields(text) {
		neg := strings.HasPrefix(f, "-")
		for _, w := range words(f) {
			if w == "or" {
				continue
			}
			if neg {
				exclude = append(exclude, w)
			} else {
				include = append(include, w)
			}
		}
	}
	return include, exclude
}

func match(data []byte, include, exclude []string) (float64, bool) {
	if len(include) == 0 && len(exclude) == 0 {
		return 0, true
	}
	count := map[string]int{}
	for _, w := range words(string(data)) {
		count[w]++
	}
	rank := 0
	for _, w := range include {
		if count[w] == 0 {
			return 0, false
		}
		rank += count[w]
	}
	for _, w := range exclude {
		if count[w] > 0 {
			return 0, false
		}
	}
	return float64(rank), true
}

// DeleteMany implements driver.BatchDeleter.
func (t *Tier) DeleteMany(ctx context.Context, dels []driver.Deletion) error {
	for _, d := range dels {
		if err := t.Delete(ctx, d.ID, d.UpTo); err != nil {
			return err
		}
	}
	return nil
}
