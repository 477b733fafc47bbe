package sqlitedriver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
	rows, err := s.stmts.get.QueryContext(ctx, id)
	if err != nil {
		return driver.Record{}, false, s.fail(ctx, "get frame "+id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return driver.Record{}, false, s.fail(ctx, "get frame "+id, rows.Err())
	}
	rec, err := scanRecord(rows)
	if err == nil {
		err = rows.Close()
	}
	if err != nil {
		return driver.Record{}, false, s.fail(ctx, "get frame "+id, err)
	}
	return rec, true, nil
}

// GetMany returns the stored copies of the given frames, in no particular
// order; missing IDs are left out. Damaged copies are left out too: the
// sound copies come back with a *driver.CorruptError naming the damaged
// ones (it wraps driver.ErrCorrupt).
func (s *Store) GetMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	if s.closed.Load() {
		return nil, errClosed("get many")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list, _ := json.Marshal(ids) // a []string always marshals
	rows, err := s.stmts.getMany.QueryContext(ctx, string(list))
	if err != nil {
		return nil, s.fail(ctx, "get many", err)
	}
	defer rows.Close()
	recs := make([]driver.Record, 0, len(ids))
	var damaged *driver.CorruptError
	for rows.Next() {
		rec, err := scanRecord(rows)
		if errors.Is(err, driver.ErrCorrupt) {
			if damaged == nil {
				damaged = &driver.CorruptError{Err: err}
			}
			damaged.IDs = append(damaged.IDs, rec.ID)
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, "get many", err)
		}
		recs = append(recs, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, "get many", err)
	}
	if damaged != nil {
		return recs, fmt.Errorf("sqlitedriver: get many: %w", damaged)
	}
	return recs, nil
}

// GetMetas returns what the file knows of the given frames (version,
// checksum, size, access statistics ...) without reading their documents,
// in no particular order; missing IDs are left out. A row whose columns
// cannot be read is left out and named in a *driver.CorruptError returned
// with the others.
func (s *Store) GetMetas(ctx context.Context, ids []string) ([]driver.Meta, error) {
	if s.closed.Load() {
		return nil, errClosed("get metas")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list, _ := json.Marshal(ids)
	rows, err := s.stmts.getMetas.QueryContext(ctx, string(list))
	if err != nil {
		return nil, s.fail(ctx, "get metas", err)
	}
	defer rows.Close()
	metas := make([]driver.Meta, 0, len(ids))
	var damaged *driver.CorruptError
	for rows.Next() {
		m, err := scanMeta(rows)
		if errors.Is(err, driver.ErrCorrupt) {
			if damaged == nil {
				damaged = &driver.CorruptError{Err: err}
			}
			damaged.IDs = append(damaged.IDs, m.ID)
			continue
		}
		if err != nil {
			return nil, s.fail(ctx, "get metas", err)
		}
		metas = append(metas, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, "get metas", err)
	}
	if damaged != nil {
		return metas, fmt.Errorf("sqlitedriver: get metas: %w", damaged)
	}
	return metas, nil
}

// metaColumns lists the columns read by scanMeta, in order.
const metaColumns = `frames.frame_id, frames.session_id, frames.project_id, frames.parent_id,
	frames.created_at, frames.version, frames.checksum, frames.size_bytes,
	frames.last_accessed, frames.access_count, frames.lfu_key`

const nMetaColumns = 11

// scanMeta reads metaColumns.
func scanMeta(rows *sql.Rows) (driver.Meta, error) {
	var vals [nMetaColumns]any
	dest := make([]any, nMetaColumns)
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return driver.Meta{}, err
	}
	return decodeMeta(vals[:])
}

// scanRecord reads metaColumns followed by data, and verifies the data
// against the stored checksum and size. A row that cannot be read or
// verified is reported with an error wrapping driver.ErrCorrupt, and the
// returned record carries only its ID.
func scanRecord(rows *sql.Rows, extra ...any) (driver.Record, error) {
	var vals [nMetaColumns + 1]any
	dest := make([]any, 0, len(vals)+len(extra))
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	if err := rows.Scan(append(dest, extra...)...); err != nil {
		return driver.Record{}, err
	}
	meta, err := decodeMeta(vals[:nMetaColumns])
	if err != nil {
		return driver.Record{Meta: driver.Meta{ID: meta.ID}}, err
	}
	rec := driver.Record{Meta: meta}
	switch d := vals[nMetaColumns].(type) {
	case nil:
		rec.Data = []byte{}
	case []byte:
		rec.Data = d
	case string:
		rec.Data = []byte(d)
	default:
		return driver.Record{Meta: driver.Meta{ID: meta.ID}}, corrupt(meta.ID, "data is %T, not a BLOB", d)
	}
	if err := verify(rec); err != nil {
		return driver.Record{Meta: driver.Meta{ID: meta.ID}}, err
	}
	return rec, nil
}

// decodeMeta converts the values of metaColumns. A value of the wrong type
// (text in an integer column: written by another tool, or damaged) makes
// the row corrupt; meta.ID is set whenever the ID could be read.
func decodeMeta(v []any) (driver.Meta, error) {
	var meta driver.Meta
	id, ok := v[0].(string)
	if !ok {
		return meta, corrupt("(unreadable ID)", "frame_id is %T, not TEXT", v[0])
	}
	meta.ID = id
	texts := []*string{&meta.SessionID, &meta.ProjectID, &meta.ParentID}
	for i, p := range texts {
		switch t := v[1+i].(type) {
		case nil:
		case string:
			*p = t
		default:
			return meta, corrupt(id, "column %d is %T, not TEXT", 2+i, t)
		}
	}
	var ints [6]int64 // created_at, version, checksum, size_bytes, last_accessed, access_count
	for i := range ints {
		n, ok := v[4+i].(int64)
		if !ok {
			return meta, corrupt(id, "column %d is %T, not INTEGER", 5+i, v[4+i])
		}
		ints[i] = n
	}
	lfu, ok := v[10].(float64)
	if !ok {
		n, isInt := v[10].(int64)
		if !isInt {
			return meta, corrupt(id, "lfu_key is %T, not REAL", v[10])
		}
		lfu = float64(n)
	}
	if ints[1] < 0 || ints[2] < 0 || ints[2] > 1<<32-1 || ints[3] < 0 {
		return meta, corrupt(id, "version %d, checksum %d or size %d out of range", ints[1], ints[2], ints[3])
	}
	meta.CreatedAt = time.UnixMicro(ints[0]).UTC()
	meta.Version = uint64(ints[1])
	meta.Checksum = uint32(ints[2])
	meta.Size = ints[3]
	meta.LastAccess = time.UnixMicro(ints[4]).UTC()
	meta.AccessCount = ints[5]
	meta.LFUKey = lfu
	return meta, nil
}

// verify checks a record read from the file against its stored checksum
// and size. The error names the frame, never its bytes.
func verify(rec driver.Record) error {
	if int64(len(rec.Data)) != rec.Size {
		return corrupt(rec.ID, "%d bytes stored, size column says %d", len(rec.Data), rec.Size)
	}
	if sum := driver.Checksum(rec.Data); sum != rec.Checksum {
		return corrupt(rec.ID, "checksum %08x, stored %08x", sum, rec.Checksum)
	}
	return nil
}

func corrupt(id, format string, args ...any) error {
	return fmt.Errorf("sqlitedriver: frame %s: %w: %s", id, driver.ErrCorrupt, fmt.Sprintf(format, args...))
}
