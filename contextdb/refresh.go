package contextdb

import (
	"context"

	"github.com/stackmemoryai/tier/driver"
)

// refresh encodes the frames upstream changed since the driver last saw
// them (tier_metadata.stale = 1: checksum, size and full-text entry) and
// forgets those it deleted (stale = 2), DefaultRefreshBatch frames per
// write transaction. When nothing changed it costs one indexed read.
func (s *Store) refresh(ctx context.Context) error {
	for {
		var n int
		err := s.r.GetContext(ctx, &n, `SELECT EXISTS (SELECT 1 FROM tier_metadata WHERE stale > 0)`)
		if err != nil || n == 0 {
			return err
		}
		more := false
		err = s.inTx(ctx, func(tx cachedTx) error {
			var err error
			more, err = s.refreshBatch(ctx, tx)
			return err
		})
		if err != nil || !more {
			return err
		}
	}
}

// refreshBatch handles up to DefaultRefreshBatch stale frames and reports
// whether more may remain.
func (s *Store) refreshBatch(ctx context.Context, tx cachedTx) (bool, error) {
	type staleRow struct {
		Rowid   int64  `db:"rowid"`
		FrameID string `db:"frame_id"`
		Stale   int    `db:"stale"`
	}
	var batch []staleRow
	err := tx.SelectContext(ctx, &batch, sqlStaleBatch, DefaultRefreshBatch)
	if err != nil {
		return false, err
	}
	for _, st := range batch {
		var r *rows
		found := false
		if st.Stale == 1 {
			if r, found, err = s.layout.readRows(ctx, tx, st.FrameID); err != nil {
				return false, err
			}
		}
		if !found {
			if _, err := tx.ExecContext(ctx, sqlDeleteFTS, st.Rowid); err != nil {
				return false, err
			}
			if _, err := tx.ExecContext(ctx, sqlForgetMetadata, st.Rowid); err != nil {
				return false, err
			}
			continue
		}
		data := s.layout.encode(r)
		secs := valueInt(r.frame[s.layout.frames.index(colCreated)])
		_, err := tx.ExecContext(ctx, sqlEncoded, int64(driver.Checksum(data)), len(data), secs, st.Rowid)
		if err != nil {
			return false, err
		}
		if err := s.index(ctx, tx, st.FrameID, data); err != nil {
			return false, err
		}
	}
	return len(batch) == DefaultRefreshBatch, nil
}
