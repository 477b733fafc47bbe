package pgdriver

import (
	"context"
	"time"
)

// retentionBatch is how many frames one DELETE of DeleteOlderThan removes,
// which keeps each transaction and its locks short.
const retentionBatch = 5000

// maxRetentionBatches bounds one DeleteOlderThan call to 100 million frames.
const maxRetentionBatches = 20000

// compactTimeout bounds Compact when ctx has no deadline.
const compactTimeout = 10 * time.Minute

// DeleteOlderThan deletes the frames created before cutoff, in batches of
// a few thousand read through the created_at index, and returns how many
// it deleted. Each batch gets its own default deadline when ctx has none.
// Deleted frames are gone for good: this is retention, not demotion.
func (s *Store) DeleteOlderThan(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for range maxRetentionBatches {
		var n int64
		err := s.run(ctx, "delete older", true, true, func(ctx context.Context) error {
			tag, err := s.pool.Exec(ctx, `DELETE FROM frames_archive WHERE frame_id IN (
				SELECT frame_id FROM frames_archive WHERE created_at < $1 ORDER BY created_at LIMIT $2)`,
				timestamptz(cutoff), retentionBatch)
			n = tag.RowsAffected()
			return err
		})
		total += n
		if err != nil || n < retentionBatch {
			return total, err
		}
	}
	return total, nil
}

// Compact applies retention, when Options.RetentionDays is set, by deleting
// the frames created more than that many days ago, then runs VACUUM ANALYZE
// on frames_archive so the space is reused and the planner's statistics
// (which choose between the search indexes) stay current. Without a
// deadline in ctx it is bounded by ten minutes.
func (s *Store) Compact(ctx context.Context) error {
	if err := s.checkOpen("compact"); err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, compactTimeout)
		defer cancel()
	}
	if days := s.opts.RetentionDays; days > 0 {
		if _, err := s.DeleteOlderThan(ctx, time.Now().AddDate(0, 0, -days)); err != nil {
			return err
		}
	}
	if err := s.pruneTombstones(ctx); err != nil {
		return err
	}
	return s.run(ctx, "compact", true, true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) frames_archive`)
		return err
	})
}
