package contextdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// metaColumns are the columns scanMeta reads: identity from the frames
// row, the rest from tier_metadata m.
const metaColumns = `m.frame_id, +f.run_id, +f.project_id, +f.parent_frame_id, +f.created_at,
	m.rowid, m.version, m.checksum, m.size_bytes, m.stale, m.created_us, m.last_access_us, m.lfu_key,
	+f.access_count, m.document`

// metaFrom joins a frame's metadata to its row; frames whose row is gone
// (stale = 2) are left out.
const metaFrom = ` FROM tier_metadata m JOIN frames f ON f.frame_id = m.frame_id`

// stored is a frame's metadata as read by scanMeta, with what the driver
// needs besides driver.Meta.
type stored struct {
	driver.Meta
	rowid    int64
	stale    int
	document []byte // the bytes a host put, when not canonical
}

type scanner interface{ Scan(dest ...any) error }

func scanMeta(row scanner) (stored, error) {
	var st stored
	var run, project, parent, created, count any
	var version, checksum, createdUs, lastUs int64
	err := row.Scan(&st.ID, &run, &project, &parent, &created, &st.rowid, &version, &checksum,
		&st.Size, &st.stale, &createdUs, &lastUs, &st.LFUKey, &count, &st.document)
	if err != nil {
		return st, err
	}
	st.SessionID, st.ProjectID, st.ParentID = valueString(run), valueString(project), valueString(parent)
	// created_us keeps the microseconds a host gave; upstream's created_at
	// (seconds) wins when upstream changed it.
	if secs := valueInt(created); floorDiv(createdUs, 1_000_000) != secs {
		createdUs = secs * 1_000_000
	}
	st.CreatedAt = time.UnixMicro(createdUs).UTC()
	st.Version, st.Checksum = uint64(version), uint32(checksum)
	st.LastAccess = time.UnixMicro(lastUs).UTC()
	st.AccessCount = valueInt(count)
	if count == nil {
		st.AccessCount = 1
	}
	return st, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// readRows reads frame id's upstream rows: the frames row, then its events
// and anchors in the order they were inserted (rowid).
func (l *layout) readRows(ctx context.Context, q queryer, id string) (*rows, bool, error) {
	frames, err := selectRows(ctx, q, l.rowsSQL(&l.frames, rowsOfFrame), len(l.frames.cols), id)
	if err != nil || len(frames) == 0 {
		return nil, false, err
	}
	r := &rows{frame: frames[0]}
	if r.events, err = selectRows(ctx, q, l.rowsSQL(&l.events, rowsOfChild), len(l.events.cols), id); err != nil {
		return nil, false, err
	}
	if r.anchors, err = selectRows(ctx, q, l.rowsSQL(&l.anchors, rowsOfChild), len(l.anchors.cols), id); err != nil {
		return nil, false, err
	}
	return r, true, nil
}

// Conditions of rowsSQL.
const (
	rowsOfFrame = `frame_id = ?`
	rowsOfChild = `frame_id = ? ORDER BY rowid`
)

// rowsSQL selects the columns of t, as stored, from the rows matching where.
func (l *layout) rowsSQL(t *table, where string) string {
	return `SELECT ` + t.selectList("") + ` FROM ` + quoteIdent(t.name) + ` WHERE ` + where
}

func selectRows(ctx context.Context, q queryer, query string, ncols int, args ...any) ([][]any, error) {
	res, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out [][]any
	for res.Next() {
		vals := make([]any, ncols)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := res.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, res.Err()
}

// document returns the frame's document and completes st's checksum and
// size: the bytes a host put when the rows have not changed since, else
// the canonical encoding of the rows. A frame whose rows upstream did not
// change must match its stored checksum and size; a mismatch is damage,
// reported with driver.ErrCorrupt.
func (l *layout) document(ctx context.Context, q queryer, st *stored) ([]byte, error) {
	data := st.document
	if data == nil || st.stale != 0 {
		r, ok, err := l.readRows(ctx, q, st.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errGone
		}
		data = l.encode(r)
	}
	if st.stale != 0 {
		st.Checksum, st.Size = driver.Checksum(data), int64(len(data))
		return data, nil
	}
	if sum := driver.Checksum(data); sum != st.Checksum || int64(len(data)) != st.Size {
		return nil, fmt.Errorf("contextdb: frame %s: %w: document of %d bytes with checksum %08x, stored %d bytes with %08x",
			st.ID, driver.ErrCorrupt, len(data), sum, st.Size, st.Checksum)
	}
	return data, nil
}

// errGone reports a frame deleted between two statements of a read.
var errGone = errors.New("frame gone")

// getIn reads frame id in q, a read transaction.
func (s *Store) getIn(ctx context.Context, q queryer, id string) (driver.Record, bool, error) {
	row := q.QueryRowxContext(ctx, sqlMetaByID, id)
	st, err := scanMeta(row)
	if errors.Is(err, sql.ErrNoRows) {
		return driver.Record{}, false, nil
	}
	if err != nil {
		return driver.Record{}, false, err
	}
	data, err := s.layout.document(ctx, q, &st)
	if errors.Is(err, errGone) {
		return driver.Record{}, false, nil
	}
	if err != nil {
		return driver.Record{}, false, err
	}
	return driver.Record{Meta: st.Meta, Data: data}, true, nil
}

// Get returns frame id: its document (see the package documentation) and
// metadata. A missing frame is ok == false with a nil error. A frame whose
// rows or stored document no longer match its checksum, while upstream
// did not change them, fails with driver.ErrCorrupt and no bytes.
func (s *Store) Get(ctx context.Context, id string) (driver.Record, bool, error) {
	if s.closed.Load() {
		return driver.Record{}, false, errClosed("get")
	}
	var rec driver.Record
	var ok bool
	err := s.readTx(ctx, func(tx cachedTx) error {
		var err error
		rec, ok, err = s.getIn(ctx, tx, id)
		return err
	})
	if err != nil {
		return driver.Record{}, false, wrapErr("get frame "+id, withCtx(ctx, err))
	}
	return rec, ok, nil
}

// GetMany returns the frames found among ids, in one read transaction;
// missing IDs are left out. Damaged copies are left out too and named by
// a *driver.CorruptError returned with every sound copy.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	if s.closed.Load() {
		return nil, errClosed("get many")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ids = unique(ids)
	out := make([]driver.Record, 0, len(ids))
	var bad driver.CorruptError
	err := s.readTx(ctx, func(tx cachedTx) error {
		for _, id := range ids {
			rec, ok, err := s.getIn(ctx, tx, id)
			switch {
			case errors.Is(err, driver.ErrCorrupt):
				bad.IDs = append(bad.IDs, id)
				if bad.Err == nil {
					bad.Err = err
				}
			case err != nil:
				return err
			case ok:
				out = append(out, rec)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("get many", withCtx(ctx, err))
	}
	if len(bad.IDs) > 0 {
		return out, &bad
	}
	return out, nil
}

// GetMetas returns the metadata of the frames found among ids without
// returning documents; missing IDs are left out. Frames upstream changed
// since they were last encoded are encoded to know their checksum and
// size.
func (s *Store) GetMetas(ctx context.Context, ids []string) ([]driver.Meta, error) {
	if s.closed.Load() {
		return nil, errClosed("get metas")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ids = unique(ids)
	out := make([]driver.Meta, 0, len(ids))
	err := s.readTx(ctx, func(tx cachedTx) error {
		for _, id := range ids {
			row := tx.QueryRowxContext(ctx, sqlMetaByID, id)
			st, err := scanMeta(row)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if st.stale != 0 {
				if _, err := s.layout.document(ctx, tx, &st); errors.Is(err, errGone) {
					continue
				} else if err != nil {
					return err
				}
			}
			out = append(out, st.Meta)
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("get metas", withCtx(ctx, err))
	}
	return out, nil
}

func unique(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
