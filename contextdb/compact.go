package contextdb

import "context"

// Compact encodes the frames upstream changed, merges the segments of the
// driver's full-text index, refreshes the query planner's statistics and
// checkpoints the WAL, truncating it. Upstream's tables and its own
// frames_fts index are left as they are. A checkpoint that cannot finish
// because another process is reading is not an error.
func (s *Store) Compact(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("compact")
	}
	if err := s.refresh(ctx); err != nil {
		return wrapErr("compact", withCtx(ctx, err))
	}
	for _, q := range []string{
		`INSERT INTO tier_fts(tier_fts) VALUES ('optimize')`,
		`PRAGMA optimize`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return wrapErr("compact", withCtx(ctx, err))
		}
	}
	var busy, logPages, done int
	err := s.w.QueryRowxContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done)
	return wrapErr("compact", withCtx(ctx, err))
}
