package sqlitedriver

import (
	"context"
)

// Ping checks that the file can be read, by reading its schema version on
// a pooled connection. It fails with driver.ErrClosed after Close and
// driver.ErrUnavailable when the file cannot be read.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("ping")
	}
	var v int
	if err := s.r.GetContext(ctx, &v, `PRAGMA user_version`); err != nil {
		return s.wrap(ctx, "ping", "", err)
	}
	return nil
}

// Compact reclaims space and keeps reads fast: it merges the full-text
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
	steps := []string{
		`INSERT INTO frames_fts(frames_fts) VALUES ('optimize')`,
		`PRAGMA incremental_vacuum`,
		`PRAGMA optimize`,
	}
	for _, q := range steps {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return s.wrap(ctx, "compact", "", err)
		}
	}
	// wal_checkpoint returns a row (busy, log pages, checkpointed pages).
	var busy, logPages, done int
	row := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	if err := row.Scan(&busy, &logPages, &done); err != nil {
		return s.wrap(ctx, "compact", "", err)
	}
	return nil
}
