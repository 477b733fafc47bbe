package contextdb

import (
	"context"
	"database/sql"
	"errors"
	"math"

	"github.com/stackmemoryai/tier/driver"
)

// Delete removes frame id from the file if its version is at most upTo:
// its events and anchors rows, its frames row, its metadata and its
// full-text entry, in one transaction. Frames whose parent_frame_id names
// it keep that value (see "Foreign keys" in the package documentation).
// Deleting a missing frame, or one with a newer version, returns nil.
func (s *Store) Delete(ctx context.Context, id string, upTo uint64) error {
	return s.DeleteMany(ctx, []driver.Deletion{{ID: id, UpTo: upTo}})
}

// DeleteMany deletes, in one transaction, each frame whose version is at
// most its deletion's UpTo, under the rules of Delete.
func (s *Store) DeleteMany(ctx context.Context, dels []driver.Deletion) error {
	if s.closed.Load() {
		return errClosed("delete")
	}
	if len(dels) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx cachedTx) error {
		for _, d := range dels {
			if err := deleteIn(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	op := "delete many"
	if len(dels) == 1 {
		op = "delete frame " + dels[0].ID
	}
	return wrapErr(op, withCtx(ctx, err))
}

func deleteIn(ctx context.Context, tx cachedTx, d driver.Deletion) error {
	var rowid, version int64
	err := tx.QueryRowxContext(ctx, sqlRowidVersion, d.ID).Scan(&rowid, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	upTo := int64(math.MaxInt64)
	if d.UpTo < math.MaxInt64 {
		upTo = int64(d.UpTo)
	}
	if version > upTo {
		return nil
	}
	for _, q := range []string{sqlDeleteEvents, sqlDeleteAnchors, sqlDeleteFrame, sqlDeleteMetadata} {
		if _, err := tx.ExecContext(ctx, q, d.ID); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, sqlDeleteFTS, rowid)
	return err
}
