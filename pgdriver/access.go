package pgdriver

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stackmemoryai/tier/driver"
)

// touchState is the access statistics of one frame being touched.
type touchState struct {
	lfuKey   float64
	accessed pgtype.Timestamptz
	count    int64
}

// Touch records reads of frames: it adds each Count to the frame's access
// count, moves its last access to At if later, and updates its LFU key with
// driver.LFUKey, applying the hits in the order given. Unknown IDs are
// ignored. The whole batch is one transaction of two statements.
func (s *Store) Touch(ctx context.Context, hits []driver.Access) error {
	var uids []pgtype.UUID
	seen := map[[16]byte]bool{}
	for _, h := range hits {
		if u, ok := frameID(h.ID); ok && h.Count > 0 && !seen[u.Bytes] {
			seen[u.Bytes] = true
			uids = append(uids, u)
		}
	}
	if len(uids) == 0 {
		return s.checkOpen("touch")
	}
	// Lock rows in a fixed order so concurrent batches cannot deadlock.
	slices.SortFunc(uids, func(a, b pgtype.UUID) int { return strings.Compare(a.String(), b.String()) })
	// A failure before COMMIT was sent rolls the batch back, so it is retried
	// on another connection; a failed COMMIT is not, since the counts may
	// already be applied.
	var committing bool
	var commitErr error
	return s.run(ctx, "touch", true, true, func(ctx context.Context) error {
		if committing {
			return commitErr
		}
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return err
		}
		if err := touch(ctx, tx, uids, hits); err != nil {
			_ = tx.Rollback(ctx)
			return err
		}
		committing = true
		commitErr = tx.Commit(ctx)
		return commitErr
	})
}

// touchRow is the access statistics of a frame as locked by touch.
type touchRow struct {
	ID       pgtype.UUID        `db:"frame_id"`
	LFUKey   float64            `db:"lfu_key"`
	Accessed pgtype.Timestamptz `db:"last_accessed"`
	Count    int32              `db:"access_count"`
}

// touch applies hits to the frames uids within tx.
func touch(ctx context.Context, tx pgx.Tx, uids []pgtype.UUID, hits []driver.Access) error {
	rows, err := tx.Query(ctx, `SELECT frame_id, lfu_key, last_accessed, coalesce(access_count, 0) AS access_count
		FROM frames_archive WHERE frame_id = ANY($1) ORDER BY frame_id FOR UPDATE`, uids)
	if err != nil {
		return err
	}
	locked, err := pgx.CollectRows(rows, pgx.RowToStructByName[touchRow])
	if err != nil {
		return err
	}
	state := make(map[string]*touchState, len(locked))
	for _, r := range locked {
		state[r.ID.String()] = &touchState{lfuKey: r.LFUKey, accessed: r.Accessed, count: int64(r.Count)}
	}
	for _, h := range hits {
		u, ok := frameID(h.ID)
		st := state[u.String()]
		if !ok || st == nil || h.Count <= 0 {
			continue
		}
		st.lfuKey = driver.LFUKey(st.lfuKey, h.At, h.Count)
		st.count += h.Count
		if !st.accessed.Valid || h.At.After(st.accessed.Time) {
			st.accessed = timestamptz(h.At)
		}
	}
	if len(state) == 0 {
		return nil
	}
	var r columns
	for id, st := range state {
		u, _ := frameID(id)
		r.ids = append(r.ids, u)
		r.lfuKeys = append(r.lfuKeys, st.lfuKey)
		r.accessed = append(r.accessed, st.accessed)
		r.accessCounts = append(r.accessCounts, clampInt32(st.count))
	}
	_, err = tx.Exec(ctx, `UPDATE frames_archive a
		SET lfu_key = u.lfu_key, last_accessed = u.last_accessed, access_count = u.access_count
		FROM unnest($1::uuid[], $2::float8[], $3::timestamptz[], $4::int4[]) AS u(frame_id, lfu_key, last_accessed, access_count)
		WHERE a.frame_id = u.frame_id`, r.ids, r.lfuKeys, r.accessed, r.accessCounts)
	return err
}

// candidateOrder is the ORDER BY of each policy, matching an index.
var candidateOrder = map[driver.Policy]string{
	driver.LRU: "last_accessed NULLS FIRST, frame_id",
	driver.LFU: "lfu_key, frame_id",
	driver.AGE: "created_at, frame_id",
}

// Candidates returns up to q.Limit frames (without documents; none when
// q.Limit <= 0) in the order q.Policy gives them up: LRU by last access,
// LFU by LFU key, AGE by creation time, ties by ID. Each order is read
// from an index, so the cost grows with q.Limit, not with the size of the
// archive. An unknown policy is an error.
func (s *Store) Candidates(ctx context.Context, q driver.CandidateQuery) ([]driver.Meta, error) {
	order, ok := candidateOrder[q.Policy]
	if !ok {
		return nil, wrapErr("candidates", fmt.Errorf("unknown policy %q", q.Policy))
	}
	if q.Limit <= 0 {
		return nil, s.checkOpen("candidates")
	}
	var where []string
	args := []any{q.Limit}
	if !q.CreatedBefore.IsZero() {
		args = append(args, timestamptz(q.CreatedBefore))
		where = append(where, fmt.Sprintf("created_at < $%d", len(args)))
	}
	if !q.AccessedBefore.IsZero() {
		args = append(args, timestamptz(q.AccessedBefore))
		where = append(where, fmt.Sprintf("(last_accessed < $%d OR last_accessed IS NULL)", len(args)))
	}
	sql := "SELECT " + metaColumns + " FROM frames_archive"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY " + order + " LIMIT $1"
	var metas []driver.Meta
	err := s.run(ctx, "candidates", true, true, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		metas, err = pgx.CollectRows(rows, rowToMeta)
		return err
	})
	if err != nil {
		return nil, err
	}
	return metas, nil
}

// Usage counts the archived frames and the sum of their document sizes.
// It reads the whole table (a sequential scan, a few hundred milliseconds
// per million frames), so callers should not run it on every operation.
func (s *Store) Usage(ctx context.Context) (driver.Usage, error) {
	var u driver.Usage
	err := s.run(ctx, "usage", true, true, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(size_bytes), 0)::int8 FROM frames_archive`).Scan(&u.Frames, &u.Bytes)
	})
	return u, err
}
