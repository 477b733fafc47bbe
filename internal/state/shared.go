package state

import (
	"context"
	"fmt"
	"strings"
)

// The shared table remembers, for frames of the first tier, the version
// the shared tiers below are known to hold (replicated there, or brought
// up from there). A frame missing below whose first-tier copy is not newer
// than that version was deleted by another machine; one that is newer was
// never shared, and must not be dropped.

// MarkShared records that the shared tiers hold each frame at least at
// the given version.
func (s *Store) MarkShared(ctx context.Context, versions map[string]uint64) error {
	if len(versions) == 0 {
		return nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PreparexContext(ctx, `INSERT INTO tier_shared (frame_id, version) VALUES (?, ?)
		ON CONFLICT (frame_id) DO UPDATE SET version = max(version, excluded.version)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for id, v := range versions {
		if _, err := stmt.ExecContext(ctx, id, int64(v)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SharedVersions returns the recorded versions of the frames ids that
// have one.
func (s *Store) SharedVersions(ctx context.Context, ids []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := fmt.Sprintf(`SELECT frame_id, version FROM tier_shared WHERE frame_id IN (?%s)`, strings.Repeat(",?", len(ids)-1))
	return s.versions(ctx, q, args...)
}

// versions runs a query whose rows are (frame_id, version) and returns
// them as a map.
func (s *Store) versions(ctx context.Context, query string, args ...any) (map[string]uint64, error) {
	rows, err := s.db.QueryxContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]uint64)
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		out[id] = uint64(v)
	}
	return out, rows.Err()
}

// ForgetShared drops the records of frames the first tier no longer
// holds.
func (s *Store) ForgetShared(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += 500 {
		batch := ids[start:min(start+500, len(ids))]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		q := fmt.Sprintf(`DELETE FROM tier_shared WHERE frame_id IN (?%s)`, strings.Repeat(",?", len(batch)-1))
		if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
