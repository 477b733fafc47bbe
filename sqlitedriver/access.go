package sqlitedriver

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/ncruces/go-sqlite3"
	"github.com/stackmemoryai/tier/driver"
)

// Touch records reads of frames, all in one transaction: last_accessed
// becomes the latest of its value and At (a zero At means now),
// access_count grows by Count and lfu_key advances as driver.LFUKey says.
// Unknown IDs are ignored. A hit with an empty ID or a Count below 1 is
// refused with driver.ErrInvalidRecord before anything is written.
func (s *Store) Touch(ctx context.Context, hits []driver.Access) error {
	if s.closed.Load() {
		return errClosed("touch")
	}
	now := time.Now()
	args := make([][]any, len(hits))
	for i, h := range hits {
		if h.ID == "" || h.Count < 1 {
			return invalid("touch", "hit %d has ID %q and count %d (need an ID and a count of at least 1)",
				i, h.ID, h.Count)
		}
		at := h.At
		if at.IsZero() {
			at = now
		}
		args[i] = []any{at.UnixMicro(), h.Count, h.ID}
	}
	if len(args) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		touch := tx.StmtxContext(ctx, s.stmts.touch)
		for _, a := range args {
			if _, err := touch.ExecContext(ctx, a...); err != nil {
				return err
			}
		}
		return nil
	})
	return s.fail(ctx, "touch", err)
}

// registerFunctions adds tier_lfu_key(prev, at_micros, count) to a
// connection: driver.LFUKey in SQL, so Touch updates a frame in one
// statement.
func registerFunctions(c *sqlite3.Conn) error {
	return c.CreateFunction("tier_lfu_key", 3, sqlite3.DETERMINISTIC|sqlite3.INNOCUOUS,
		func(ctx sqlite3.Context, arg ...sqlite3.Value) {
			at := time.UnixMicro(arg[1].Int64())
			ctx.ResultFloat(driver.LFUKey(arg[0].Float(), at, arg[2].Int64()))
		})
}

// candidateOrder maps each policy to its sort column and the index that
// serves it.
var candidateOrder = map[driver.Policy]struct{ column, index string }{
	driver.LRU: {"last_accessed", "frames_by_last_accessed"},
	driver.LFU: {"lfu_key", "frames_by_lfu_key"},
	driver.AGE: {"created_at", "frames_by_created"},
}

// candidatesSQL returns the query of Candidates and its arguments. The
// policy's index is forced, so rows come out in order and the scan stops
// after Limit matches.
func candidatesSQL(q driver.CandidateQuery) (string, []any, error) {
	order, ok := candidateOrder[q.Policy]
	if !ok {
		return "", nil, invalid("candidates", "unknown policy %q; want LRU, LFU or AGE", q.Policy)
	}
	var b strings.Builder
	var args []any
	b.WriteString(`SELECT ` + metaColumns + ` FROM frames INDEXED BY ` + order.index)
	var where []string
	if !q.CreatedBefore.IsZero() {
		where = append(where, `created_at < ?`)
		args = append(args, q.CreatedBefore.UnixMicro())
	}
	if !q.AccessedBefore.IsZero() {
		where = append(where, `last_accessed < ?`)
		args = append(args, q.AccessedBefore.UnixMicro())
	}
	if len(where) > 0 {
		b.WriteString(` WHERE ` + strings.Join(where, ` AND `))
	}
	b.WriteString(` ORDER BY ` + order.column + `, frame_id LIMIT ?`)
	args = append(args, q.Limit)
	return b.String(), args, nil
}

// Candidates returns up to q.Limit frames (without data) in the order
// q.Policy gives them up: LRU by last access, LFU by decayed frequency,
// AGE by creation, ties by frame ID. The scan walks the policy's index and
// stops after Limit matches. A Limit below 1 returns nothing; an unknown
// policy fails with driver.ErrInvalidRecord.
func (s *Store) Candidates(ctx context.Context, q driver.CandidateQuery) ([]driver.Meta, error) {
	if s.closed.Load() {
		return nil, errClosed("candidates")
	}
	query, args, err := candidatesSQL(q)
	if err != nil {
		return nil, err
	}
	if q.Limit < 1 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(ctx, "candidates", err)
	}
	defer rows.Close()
	var out []driver.Meta
	for rows.Next() {
		m, err := scanMeta(rows)
		if err != nil {
			return nil, s.fail(ctx, "candidates", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, "candidates", err)
	}
	return out, nil
}

// Usage reports the number of frames and the sum of their sizes, read
// from the narrow tier_metadata table the triggers keep in step.
func (s *Store) Usage(ctx context.Context) (driver.Usage, error) {
	if s.closed.Load() {
		return driver.Usage{}, errClosed("usage")
	}
	var u driver.Usage
	if err := s.stmts.usage.QueryRowContext(ctx).Scan(&u.Frames, &u.Bytes); err != nil {
		return driver.Usage{}, s.fail(ctx, "usage", err)
	}
	return u, nil
}
