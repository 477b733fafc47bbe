package sqlitedriver

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/stackmemoryai/tier/driver"
)

// Delete removes frame id if its stored Version is at most upTo. Deleting
// a missing frame, or one with a newer version, returns nil.
func (s *Store) Delete(ctx context.Context, id string, upTo uint64) error {
	if s.closed.Load() {
		return errClosed("delete")
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.StmtxContext(ctx, s.stmts.del).ExecContext(ctx, id, clampVersion(upTo)); err != nil {
			return err
		}
		return s.flushStaleEvery(ctx, tx, 1)
	})
	return s.fail(ctx, "delete frame "+id, err)
}

// flushStale empties the queue of deleted frames' index entries when it
// holds at least atLeast of them.
func flushStale(ctx context.Context, tx *sqlx.Tx, atLeast int) error {
	if atLeast > 0 {
		var queued int
		err := tx.GetContext(ctx, &queued, `SELECT count(*) FROM (SELECT 1 FROM frames_fts_stale LIMIT ?)`, atLeast)
		if err != nil || queued < atLeast {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, flushStaleSQL)
	return err
}

// DeleteMany removes, in one transaction, each frame whose stored version
// is at most its deletion's UpTo.
func (s *Store) DeleteMany(ctx context.Context, dels []driver.Deletion) error {
	if s.closed.Load() {
		return errClosed("delete many")
	}
	if len(dels) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		del := tx.StmtxContext(ctx, s.stmts.del)
		for _, d := range dels {
			if _, err := del.ExecContext(ctx, d.ID, clampVersion(d.UpTo)); err != nil {
				return err
			}
		}
		return s.flushStaleEvery(ctx, tx, len(dels))
	})
	return s.fail(ctx, "delete many", err)
}

// flushStaleEvery counts n deletes of this process and, once every
// staleCheckEvery of them, empties the queue of deleted frames' index
// entries if it holds staleFlushAt or more.
func (s *Store) flushStaleEvery(ctx context.Context, tx *sqlx.Tx, n int) error {
	if s.deletes.Add(int64(n)) < staleCheckEvery {
		return nil
	}
	s.deletes.Store(0)
	return flushStale(ctx, tx, staleFlushAt)
}
