package sqlitedriver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/ncruces/go-sqlite3"
	"github.com/stackmemoryai/tier/driver"
)

// Get returns the stored copy of frame id, or ok == false when the file
// holds none. The data's CRC-32C and length are checked against the stored
// checksum and size; a mismatch fails with an error wrapping
// driver.ErrCorrupt that names the frame, and the bytes are not returned.
// Get does not count as an access (see Touch).
func (s *Store) Get(ctx context.Context, id string) (driver.Record, bool, error) {
	if s.closed.Load() {
		return driver.Record{}, false, errClosed("get")
	}
	rec, err := scanRecord(s.stmts.get.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return driver.Record{}, false, nil
	}
	if err != nil {
		return driver.Record{}, false, s.wrap(ctx, "get", id, err)
	}
	if err := verify(rec); err != nil {
		return driver.Record{}, false, err
	}
	return rec, true, nil
}

// GetMany returns the stored copies of the given frames, in no particular
// order; missing IDs are left out. If any copy fails verification, GetMany
// returns no records and an error wrapping driver.ErrCorrupt naming it.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	if s.closed.Load() {
		return nil, errClosed("get many")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("%w: ids: %v", ErrInvalidInput, err)
	}
	rows, err := s.stmts.getMany.QueryContext(ctx, string(list))
	if err != nil {
		return nil, s.wrap(ctx, "get many", "", err)
	}
	defer rows.Close()
	recs := make([]driver.Record, 0, len(ids))
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, s.wrap(ctx, "get many", "", err)
		}
		if err := verify(rec); err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(ctx, "get many", "", err)
	}
	return recs, nil
}

// Put stores rec unless the file holds the same frame with a greater
// Version; writing the same Version again replaces the copy. Access
// statistics come from rec for a frame new to the file (a zero LastAccess
// means now, a zero AccessCount means 1, a zero LFUKey is computed) and are
// kept for a frame already there.
//
// rec is refused with ErrInvalidInput, and nothing written, when its ID is
// empty, its Version exceeds math.MaxInt64, or its Checksum or a non-zero
// Size does not match Data.
func (s *Store) Put(ctx context.Context, rec driver.Record) error {
	if s.closed.Load() {
		return errClosed("put")
	}
	args, err := putArgs(rec, time.Now())
	if err != nil {
		return err
	}
	if _, err := s.stmts.put.ExecContext(ctx, args...); err != nil {
		return s.wrap(ctx, "put", rec.ID, err)
	}
	return nil
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
	return s.wrap(ctx, "put many", "", err)
}

// Delete removes frame id if its stored Version is at most upTo. Deleting
// a missing frame, or one with a newer version, returns nil.
func (s *Store) Delete(ctx context.Context, id string, upTo uint64) error {
	if s.closed.Load() {
		return errClosed("delete")
	}
	if _, err := s.stmts.del.ExecContext(ctx, id, clampVersion(upTo)); err != nil {
		return s.wrap(ctx, "delete", id, err)
	}
	return nil
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
		return nil
	})
	return s.wrap(ctx, "delete many", "", err)
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
		return nil, fmt.Errorf("%w: put: empty frame ID", ErrInvalidInput)
	}
	if rec.Version > math.MaxInt64 {
		return nil, fmt.Errorf("%w: put frame %s: version %d exceeds %d", ErrInvalidInput, rec.ID, rec.Version, int64(math.MaxInt64))
	}
	if rec.Size != 0 && rec.Size != int64(len(rec.Data)) {
		return nil, fmt.Errorf("%w: put frame %s: size %d does not match %d data bytes", ErrInvalidInput, rec.ID, rec.Size, len(rec.Data))
	}
	if sum := driver.Checksum(rec.Data); sum != rec.Checksum {
		return nil, fmt.Errorf("%w: put frame %s: checksum %08x does not match data (%08x)", ErrInvalidInput, rec.ID, rec.Checksum, sum)
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

// verify checks a record read from the file against its stored checksum
// and size. The error names the frame, never its bytes.
func verify(rec driver.Record) error {
	if int64(len(rec.Data)) != rec.Size {
		return fmt.Errorf("sqlitedriver: frame %s: %w: %d bytes stored, size column says %d",
			rec.ID, driver.ErrCorrupt, len(rec.Data), rec.Size)
	}
	if sum := driver.Checksum(rec.Data); sum != rec.Checksum {
		return fmt.Errorf("sqlitedriver: frame %s: %w: checksum %08x, stored %08x",
			rec.ID, driver.ErrCorrupt, sum, rec.Checksum)
	}
	return nil
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanRecord reads metaColumns followed by data.
func scanRecord(row rowScanner) (driver.Record, error) {
	var rec driver.Record
	var m rawMeta
	err := row.Scan(append(m.dest(&rec.Meta), &rec.Data)...)
	if err != nil {
		return rec, scanError(err)
	}
	m.fill(&rec.Meta)
	if rec.Data == nil {
		rec.Data = []byte{}
	}
	return rec, nil
}

// scanError marks a row whose columns cannot be converted (text in an
// integer column, say: written by another tool, or damaged) as corrupt.
// Errors of SQLite itself, of the context, and "no rows" pass unchanged.
func scanError(err error) error {
	var code sqlite3.ErrorCode
	if errors.Is(err, sql.ErrNoRows) || errors.As(err, &code) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: a stored row cannot be read: %v", driver.ErrCorrupt, err)
}

// scanMeta reads metaColumns.
func scanMeta(row rowScanner) (driver.Meta, error) {
	var meta driver.Meta
	var m rawMeta
	if err := row.Scan(m.dest(&meta)...); err != nil {
		return meta, scanError(err)
	}
	m.fill(&meta)
	return meta, nil
}

// rawMeta holds the columns of metaColumns whose SQL type differs from the
// Go field they fill.
type rawMeta struct {
	created, version, checksum, last int64
}

func (m *rawMeta) dest(meta *driver.Meta) []any {
	return []any{&meta.ID, &meta.SessionID, &meta.ProjectID, &meta.ParentID,
		&m.created, &m.version, &m.checksum, &meta.Size,
		&m.last, &meta.AccessCount, &meta.LFUKey}
}

func (m *rawMeta) fill(meta *driver.Meta) {
	meta.CreatedAt = time.UnixMicro(m.created).UTC()
	meta.Version = uint64(m.version)
	meta.Checksum = uint32(m.checksum)
	meta.LastAccess = time.UnixMicro(m.last).UTC()
}
