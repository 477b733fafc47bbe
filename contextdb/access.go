package contextdb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/stackmemoryai/tier/driver"
)

// Touch records reads of frames in one transaction: tier_metadata's
// last_access_us (microseconds) becomes the latest of its value and At (a
// zero At means now) and its lfu_key advances as driver.LFUKey says; the
// spec's frames.last_accessed (unix seconds, like upstream's created_at)
// and frames.access_count follow. Unknown IDs are ignored. A hit with an
// empty ID or a Count below 1 is refused with driver.ErrInvalidRecord
// before anything is written.
func (s *Store) Touch(ctx context.Context, hits []driver.Access) error {
	if s.closed.Load() {
		return errClosed("touch")
	}
	now := time.Now()
	for i, h := range hits {
		if h.ID == "" || h.Count < 1 {
			return fmt.Errorf("%w: touch: hit %d has ID %q and count %d (need an ID and a count of at least 1)",
				driver.ErrInvalidRecord, i, h.ID, h.Count)
		}
		if h.At.IsZero() {
			hits[i].At = now
		}
	}
	if len(hits) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx cachedTx) error {
		for _, h := range hits {
			res, err := tx.ExecContext(ctx, sqlTouchMetadata, h.At.UnixMicro(), h.Count, h.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			_, err = tx.ExecContext(ctx, sqlTouchFrame, h.At.Unix(), h.Count, h.ID)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return wrapErr("touch", withCtx(ctx, err))
}

// registerFunctions adds tier_lfu_key(prev, at_micros, count), which is
// driver.LFUKey, to a connection of the driver. The triggers do not use
// it: they run in upstream's SQLite too.
func registerFunctions(c *sqlite3.Conn) error {
	return c.CreateFunction("tier_lfu_key", 3, sqlite3.DETERMINISTIC|sqlite3.INNOCUOUS,
		func(ctx sqlite3.Context, arg ...sqlite3.Value) {
			at := time.UnixMicro(arg[1].Int64())
			ctx.ResultFloat(driver.LFUKey(arg[0].Float(), at, arg[2].Int64()))
		})
}

// candidateOrder maps each policy to its tier_metadata sort column and the
// index that serves it.
var candidateOrder = map[driver.Policy]struct{ column, index string }{
	driver.LRU: {"last_access_us", "tier_metadata_by_access"},
	driver.LFU: {"lfu_key", "tier_metadata_by_lfu"},
	driver.AGE: {"created_us", "tier_metadata_by_created"},
}

// Candidates returns up to q.Limit frames (without documents) in the order
// q.Policy gives them up: LRU by last access, LFU by decayed frequency,
// AGE by creation, ties by frame ID, walking the policy's index. A frame
// that is the parent of another frame still in the file is not a
// candidate: frames leave leaves first, so that the file's foreign keys
// (parent_frame_id) keep holding while upstream works on it. Frames
// upstream changed are encoded first, so sizes are current. A Limit below
// 1 returns nothing; an unknown policy fails with driver.ErrInvalidRecord.
func (s *Store) Candidates(ctx context.Context, q driver.CandidateQuery) ([]driver.Meta, error) {
	if s.closed.Load() {
		return nil, errClosed("candidates")
	}
	order, ok := candidateOrder[q.Policy]
	if !ok {
		return nil, fmt.Errorf("%w: candidates: unknown policy %q", driver.ErrInvalidRecord, q.Policy)
	}
	if q.Limit < 1 {
		return nil, nil
	}
	if err := s.refresh(ctx); err != nil {
		return nil, wrapErr("candidates", withCtx(ctx, err))
	}
	where := []string{`m.stale < 2`,
		`NOT EXISTS (SELECT 1 FROM frames c WHERE c.parent_frame_id = m.frame_id AND c.frame_id IS NOT m.frame_id)`}
	var args []any
	if !q.CreatedBefore.IsZero() {
		where = append(where, `m.created_us < ?`)
		args = append(args, q.CreatedBefore.UnixMicro())
	}
	if !q.AccessedBefore.IsZero() {
		where = append(where, `m.last_access_us < ?`)
		args = append(args, q.AccessedBefore.UnixMicro())
	}
	args = append(args, q.Limit)
	query := `SELECT ` + metaColumns + ` FROM tier_metadata m INDEXED BY ` + order.index +
		` JOIN frames f ON f.frame_id = m.frame_id WHERE ` + strings.Join(where, ` AND `) +
		` ORDER BY m.` + order.column + `, m.frame_id LIMIT ?`
	var out []driver.Meta
	err := s.readTx(ctx, func(tx cachedTx) error {
		res, err := tx.QueryxContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			st, err := scanMeta(res)
			if err != nil {
				return err
			}
			out = append(out, st.Meta)
		}
		return res.Err()
	})
	if err != nil {
		return nil, wrapErr("candidates", withCtx(ctx, err))
	}
	return out, nil
}

// Usage reports the number of frames in the file and the sum of their
// document sizes, after encoding the frames upstream changed.
func (s *Store) Usage(ctx context.Context) (driver.Usage, error) {
	if s.closed.Load() {
		return driver.Usage{}, errClosed("usage")
	}
	if err := s.refresh(ctx); err != nil {
		return driver.Usage{}, wrapErr("usage", withCtx(ctx, err))
	}
	var u driver.Usage
	err := s.r.QueryRowxContext(ctx, `SELECT count(*), coalesce(sum(size_bytes), 0) FROM tier_metadata WHERE stale < 2`).Scan(&u.Frames, &u.Bytes)
	if err != nil {
		return driver.Usage{}, wrapErr("usage", withCtx(ctx, err))
	}
	return u, nil
}
