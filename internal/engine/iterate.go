package engine

import (
	"context"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// listFilter selects the frames eachFrame hands out; zero fields do not
// filter.
type listFilter struct {
	ProjectID     string
	SessionID     string
	CreatedBefore time.Time
}

func (f listFilter) keeps(mt driver.Meta) bool {
	return (f.ProjectID == "" || mt.ProjectID == f.ProjectID) &&
		(f.SessionID == "" || mt.SessionID == f.SessionID) &&
		(f.CreatedBefore.IsZero() || mt.CreatedAt.Before(f.CreatedBefore))
}

// eachFrame hands what l holds of the frames f selects to fn, in batches
// of at most moveBatchSize, each frame once: the one way the engine walks
// a tier. A tier with an index is read page after page, each page starting
// after the last one (frames that leave the tier meanwhile shift nothing);
// a tier without one is listed once through its candidate order and
// filtered in memory. fn may move the frames it is handed. An error from
// fn ends the walk and is returned.
func (l *link) eachFrame(ctx context.Context, f listFilter, fn func([]driver.Meta) error) error {
	if l.canQuery() {
		q := driver.Query{ProjectID: f.ProjectID, SessionID: f.SessionID, CreatedBefore: f.CreatedBefore, Limit: moveBatchSize}
		for {
			hits, _, err := l.query(ctx, q)
			if err != nil || len(hits) == 0 {
				return err
			}
			metas := make([]driver.Meta, len(hits))
			for i, h := range hits {
				metas[i] = h.Meta
			}
			if err := fn(metas); err != nil {
				return err
			}
			last := hits[len(hits)-1]
			q.After = &driver.Cursor{Rank: last.Rank, CreatedAt: last.CreatedAt, ID: last.ID}
		}
	}
	u, err := l.usage(ctx)
	if err != nil {
		return err
	}
	all, err := l.candidates(ctx, driver.CandidateQuery{Policy: driver.AGE, Limit: int(u.Frames) + moveBatchSize, CreatedBefore: f.CreatedBefore})
	if err != nil {
		return err
	}
	kept := all[:0]
	for _, mt := range all {
		if f.keeps(mt) {
			kept = append(kept, mt)
		}
	}
	for start := 0; start < len(kept); start += moveBatchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(kept[start:min(start+moveBatchSize, len(kept))]); err != nil {
			return err
		}
	}
	return nil
}

// idsOf returns the IDs of metas.
func idsOf(metas []driver.Meta) []string {
	ids := make([]string, len(metas))
	for i, mt := range metas {
		ids[i] = mt.ID
	}
	return ids
}
