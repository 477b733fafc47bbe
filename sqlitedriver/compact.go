package sqlitedriver

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Compact reclaims space and keeps reads fast: it removes the queued index
// entries of deleted frames, merges the full-text
// index's segments, returns free pages to the file system (incremental
// vacuum, on files created by this package), refreshes the query planner's
// statistics, and checkpoints the WAL into the database file, truncating
// it. Frames are never moved or renumbered. A checkpoint that cannot
// finish because another process is reading is not an error; the next
// Compact completes it.
func (s *Store) Compact(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("compact")
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error { return flushStale(ctx, tx, 0) })
	if err != nil {
		return s.fail(ctx, "compact", err)
	}
	steps := []string{
		`INSERT INTO frames_fts(frames_fts) VALUES ('optimize')`,
		`PRAGMA incremental_vacuum`,
		`PRAGMA optimize`,
	}
	for _, q := range steps {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return s.fail(ctx, "compact", err)
		}
	}
	// wal_checkpoint returns a row (busy, log pages, checkpointed pages).
	var busy, logPages, done int
	row := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	if err := row.Scan(&busy, &logPages, &done); err != nil {
		return s.fail(ctx, "compact", err)
	}
	return nil
}
