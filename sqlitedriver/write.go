package sqlitedriver

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stackmemoryai/tier/driver"
)

// Put stores rec unless the file holds the same frame with a greater
// Version; writing the same Version again replaces the copy. Access
// statistics come from rec for a frame new to the file (a zero LastAccess
// means now, a zero AccessCount means 1, a zero LFUKey is computed) and are
// kept for a frame already there.
//
// rec is refused with driver.ErrInvalidRecord, and nothing written, when
// its ID is empty, its Version exceeds math.MaxInt64, its Checksum or a
// non-zero Size does not match Data, or Data is larger than MaxFrameSize.
func (s *Store) Put(ctx context.Context, rec driver.Record) error {
	if s.closed.Load() {
		return errClosed("put")
	}
	args, err := putArgs(rec, time.Now())
	if err != nil {
		return err
	}
	_, err = s.stmts.put.ExecContext(ctx, args...)
	return s.fail(ctx, "put frame "+rec.ID, err)
}

// PutMany stores every record under the rules of Put, in one transaction:
// all are written or none. Every record is checked before anything is
// written.
func (s *Store) PutMany(ctx context.Context, recs []driver.Record) error {
	if s.closed.Load() {
		return errClosed("put many")
	}
	now := time.Now()
	all := make([][]any, len(recs))
	for i, rec := range recs {
		args, err := putArgs(rec, now)
		if err != nil {
			return err
		}
		all[i] = args
	}
	if len(all) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		put := tx.StmtxContext(ctx, s.stmts.put)
		for _, args := range all {
			if _, err := put.ExecContext(ctx, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return s.fail(ctx, "put many", err)
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE) on the writer
// connection, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sqlx.Tx) error) error {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return tx.Commit()
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// putArgs checks rec and returns the arguments of upsertSQL.
func putArgs(rec driver.Record, now time.Time) ([]any, error) {
	if rec.ID == "" {
		return nil, invalid("put", "empty frame ID")
	}
	op := "put frame " + rec.ID
	if rec.Version > math.MaxInt64 {
		return nil, invalid(op, "version %d exceeds %d", rec.Version, int64(math.MaxInt64))
	}
	if len(rec.Data) > MaxFrameSize {
		return nil, invalid(op, "document of %d bytes is larger than the %d bytes (MaxFrameSize) the SQLite tier holds", len(rec.Data), MaxFrameSize)
	}
	if rec.Size != 0 && rec.Size != int64(len(rec.Data)) {
		return nil, invalid(op, "size %d does not match %d data bytes", rec.Size, len(rec.Data))
	}
	if sum := driver.Checksum(rec.Data); sum != rec.Checksum {
		return nil, invalid(op, "checksum %08x does not match data (%08x)", rec.Checksum, sum)
	}
	data := rec.Data
	if data == nil {
		data = []byte{} // a nil slice would bind NULL
	}
	last := rec.LastAccess
	if last.IsZero() {
		last = now
	}
	count := rec.AccessCount
	if count < 1 {
		count = 1
	}
	key := rec.LFUKey
	if key == 0 {
		key = driver.NewLFUKey(last, count)
	}
	return []any{
		rec.ID, rec.SessionID, rec.ProjectID, rec.ParentID,
		rec.CreatedAt.UnixMicro(), int64(rec.Version), int64(rec.Checksum), int64(len(data)),
		data, last.UnixMicro(), count, key,
	}, nil
}

// clampVersion maps a version bound to SQLite's signed INTEGER; stored
// versions never exceed math.MaxInt64, so the clamp loses nothing.
func clampVersion(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
