package state

import (
	"context"
	"encoding/json"
	"time"
)

// Change is a change a tier has not received yet.
type Change struct {
	Seq     int64  `db:"seq"`
	Level   int    `db:"level"`
	Op      string `db:"op"`
	FrameID string `db:"frame_id"`
	Version uint64 `db:"version"`
}

// Kinds of change.
const (
	// OpDelete removes copies of a deleted frame up to a version.
	OpDelete = "delete"
	// OpDropStale removes copies of a frame older than a newer copy that
	// a move put in a lower tier.
	OpDropStale = "drop-stale"
)

// Enqueue records changes for tiers that could not take them now.
func (s *Store) Enqueue(ctx context.Context, changes []Change) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UnixMicro()
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tier_outbox (level, op, frame_id, version, created_at)
			VALUES (?, ?, ?, ?, ?)`, c.Level, c.Op, c.FrameID, int64(c.Version), now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Pending returns queued changes in the order they were made.
func (s *Store) Pending(ctx context.Context, limit int) ([]Change, error) {
	var out []Change
	err := s.db.SelectContext(ctx, &out, `SELECT seq, level, op, frame_id, version FROM tier_outbox
		ORDER BY seq LIMIT ?`, limit)
	return out, err
}

// Done removes applied changes.
func (s *Store) Done(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, seq := range seqs {
		if _, err := tx.ExecContext(ctx, `DELETE FROM tier_outbox WHERE seq = ?`, seq); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RetiredUpTo returns the greatest version of id that a recent delete or
// a pending change removes (a delete, or a stale copy), or 0 when none.
// Copies up to that version must not be served or copied.
func (s *Store) RetiredUpTo(ctx context.Context, id string) (uint64, error) {
	var v int64
	err := s.retiredUpTo.GetContext(ctx, &v, id)
	return uint64(v), err
}

// CountPending returns the number of queued changes.
func (s *Store) CountPending(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM tier_outbox`)
	return n, err
}

// AddStats adds deltas to persisted counters in one transaction.
func (s *Store) AddStats(ctx context.Context, deltas map[string]int64) error {
	if len(deltas) == 0 {
		return nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for k, d := range deltas {
		if d == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tier_stats (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = value + excluded.value`, k, d); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Stats returns every persisted counter.
func (s *Store) Stats(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryxContext(ctx, `SELECT key, value FROM tier_stats`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// ResetStats deletes every persisted counter.
func (s *Store) ResetStats(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM tier_stats`)
	return err
}

// AddTombstone records that copies of id up to version upTo are deleted,
// so that every process sharing the store stops moving or serving them,
// and forgets the version the shared tiers held (ForgetShared), in one
// transaction.
func (s *Store) AddTombstone(ctx context.Context, id string, upTo uint64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `INSERT INTO tier_tombstones (frame_id, up_to, created_at) VALUES (?, ?, ?)
		ON CONFLICT (frame_id) DO UPDATE SET up_to = max(up_to, excluded.up_to), created_at = excluded.created_at`,
		id, int64(upTo), time.Now().UnixMicro()); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM tier_shared WHERE frame_id = ?`, id); err != nil {
		return err
	}
	return tx.Commit()
}

// PruneTombstones forgets tombstones recorded before the given time.
func (s *Store) PruneTombstones(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM tier_tombstones WHERE created_at < ?`, before.UnixMicro())
	return err
}

// RetiredUpToMany is RetiredUpTo for many frames in one query: the frames
// of ids with a retired version, and that version.
func (s *Store) RetiredUpToMany(ctx context.Context, ids []string) (map[string]uint64, error) {
	if len(ids) == 0 {
		return map[string]uint64{}, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return s.versions(ctx, `SELECT frame_id, max(v) FROM (
		SELECT frame_id, version AS v FROM tier_outbox WHERE frame_id IN (SELECT value FROM json_each(?1))
		UNION ALL
		SELECT frame_id, up_to FROM tier_tombstones WHERE frame_id IN (SELECT value FROM json_each(?1))
	) GROUP BY frame_id`, string(list))
}
