package pgdriver

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stackmemoryai/tier/driver"
)

// getSQL reads a frame's row, with its document only when the document is
// smaller than LargeDocument ($2): a larger one is read again under the
// batch deadline.
const getSQL = `SELECT ` + metaColumns + `,
	CASE WHEN size_bytes < $2 THEN frame_data_raw END AS frame_data_raw,
	CASE WHEN size_bytes < $2 THEN frame_data_compressed END AS frame_data_compressed
	FROM frames_archive WHERE frame_id = $1`

// Get returns the frame with the given ID, its document byte for byte as it
// was stored, and Compressed filled when the archive keeps it compressed. A
// missing frame, or an ID that is not a UUID, gives ok == false and a nil
// error. A copy failing its size or checksum gives an error wrapping
// driver.ErrCorrupt. Get does not count as an access.
//
// Get runs under Options.Timeout; a document of at least [LargeDocument]
// bytes is then read in a second statement under Options.BatchTimeout.
func (s *Store) Get(ctx context.Context, id string) (rec driver.Record, ok bool, err error) {
	uid, valid := frameID(id)
	if !valid {
		return driver.Record{}, false, s.checkOpen("get")
	}
	row, ok, err := s.getRow(ctx, uid, false)
	if err == nil && ok && row.Size.Int32 >= LargeDocument {
		row, ok, err = s.getRow(ctx, uid, true)
	}
	if err != nil || !ok {
		return driver.Record{}, false, err
	}
	rec, err = row.record()
	if err != nil {
		return driver.Record{}, false, wrapErr("get", err)
	}
	return rec, true, nil
}

// getRow reads the row of one frame, with its document whatever its size
// when large is set.
func (s *Store) getRow(ctx context.Context, uid pgtype.UUID, large bool) (row recordRow, ok bool, err error) {
	limit := int32(LargeDocument)
	if large {
		limit = MaxFrameSize + 1
	}
	err = s.run(ctx, "get", large, true, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, getSQL, uid, limit)
		if err != nil {
			return err
		}
		row, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[recordRow])
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	return row, ok, err
}

const getManySQL = `SELECT ` + recordColumns + ` FROM frames_archive WHERE frame_id = ANY($1)`

// GetMany returns the frames found among ids, in no particular order; IDs
// that are missing or not UUIDs are left out. Copies failing verification
// are left out too: GetMany then returns every sound copy together with a
// *driver.CorruptError (which matches driver.ErrCorrupt) naming the
// damaged frames.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	uids := uuids(ids)
	var found []recordRow
	err := s.run(ctx, "get many", true, true, func(ctx context.Context) error {
		found = nil
		if len(uids) == 0 {
			return nil
		}
		rows, err := s.pool.Query(ctx, getManySQL, uids)
		if err != nil {
			return err
		}
		found, err = pgx.CollectRows(rows, pgx.RowToStructByName[recordRow])
		return err
	})
	if err != nil {
		return nil, err
	}
	return records("get many", found)
}

const getMetasSQL = `SELECT ` + metaColumns + ` FROM frames_archive WHERE frame_id = ANY($1)`

// GetMetas returns what the archive knows of the frames found among ids
// (version, checksum, size, access statistics ...) without reading their
// documents, in no particular order; IDs that are missing or not UUIDs are
// left out. It costs one index lookup per frame.
func (s *Store) GetMetas(ctx context.Context, ids []string) ([]driver.Meta, error) {
	uids := uuids(ids)
	var metas []driver.Meta
	err := s.run(ctx, "get metas", true, true, func(ctx context.Context) error {
		metas = nil
		if len(uids) == 0 {
			return nil
		}
		rows, err := s.pool.Query(ctx, getMetasSQL, uids)
		if err != nil {
			return err
		}
		metas, err = pgx.CollectRows(rows, rowToMeta)
		return err
	})
	if err != nil {
		return nil, err
	}
	return metas, nil
}

// rowToMeta reads one row of metaColumns. It scans by position rather
// than with pgx.RowToStructByName: GetMetas and Candidates read many
// rows, and matching columns to fields by name for each of them costs
// more than the query (see BenchmarkGetMetas).
func rowToMeta(row pgx.CollectableRow) (driver.Meta, error) {
	var m metaRow
	err := row.Scan(&m.ID, &m.Session, &m.Project, &m.Parent, &m.Created, &m.Version, &m.Checksum,
		&m.Size, &m.Accessed, &m.AccessCount, &m.LFUKey)
	return m.meta(), err
}

// uuids parses the frame IDs that are UUIDs, dropping the others.
func uuids(ids []string) []pgtype.UUID {
	out := make([]pgtype.UUID, 0, len(ids))
	for _, id := range ids {
		if u, ok := frameID(id); ok {
			out = append(out, u)
		}
	}
	return out
}

// records verifies and decodes rows, keeping the sound copies. The
// damaged ones are named in a *driver.CorruptError, or the error is nil.
func records(op string, found []recordRow) ([]driver.Record, error) {
	recs := make([]driver.Record, 0, len(found))
	var bad *driver.CorruptError
	for i := range found {
		rec, err := found[i].record()
		if err != nil {
			if bad == nil {
				bad = &driver.CorruptError{Err: err}
			}
			bad.IDs = append(bad.IDs, found[i].ID.String())
			continue
		}
		recs = append(recs, rec)
	}
	if bad != nil {
		return recs, wrapErr(op, bad)
	}
	return recs, nil
}
