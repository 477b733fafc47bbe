package contextdb

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/stackmemoryai/tier/driver"
)

// MaxFrameSize is the largest document the tier stores. A frame of an
// upstream context.db is a row and its events and anchors; SQLite's
// WebAssembly build works on several copies of a document at once within
// its heap, so the limit is well below sqlitedriver's.
const MaxFrameSize = 4 << 20

// MaxFrameSize implements driver.SizeLimiter.
func (s *Store) MaxFrameSize() int64 { return MaxFrameSize }

var _ driver.SizeLimiter = (*Store)(nil)

// Put stores rec as upstream rows unless the file holds the frame with a
// greater Version (then it does nothing). The frame's events and anchors
// become exactly those of the document: rows of the frame the document no
// longer lists are deleted. Access statistics come from rec for a frame
// new to the file and are kept otherwise.
//
// rec is refused with an error wrapping driver.ErrInvalidRecord, before
// anything is written, when its ID is empty, its Version exceeds
// math.MaxInt64, its Checksum or a non-zero Size does not match Data, or
// its document does not have the shape of a context.db frame (the error
// names every missing or unexpected key), or when an event or anchor it
// lists belongs to another frame.
func (s *Store) Put(ctx context.Context, rec driver.Record) error {
	return s.PutMany(ctx, []driver.Record{rec})
}

// PutMany stores every record under the rules of Put, in one transaction:
// all are written or none. Every record is checked before anything is
// written.
func (s *Store) PutMany(ctx context.Context, recs []driver.Record) error {
	if s.closed.Load() {
		return errClosed("put")
	}
	all := make([]*rows, len(recs))
	for i, rec := range recs {
		if err := checkRecord(rec); err != nil {
			return err
		}
		if len(rec.Data) > MaxFrameSize {
			return invalid(rec.ID, "document is %d bytes, more than the %d a context.db frame may hold", len(rec.Data), MaxFrameSize)
		}
		r, err := s.layout.rowsOf(rec)
		if err != nil {
			return err
		}
		all[i] = r
	}
	if len(recs) == 0 {
		return nil
	}
	now := time.Now()
	err := s.inTx(ctx, func(tx cachedTx) error {
		for i, rec := range recs {
			if err := s.putIn(ctx, tx, rec, all[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	op := "put"
	if len(recs) == 1 {
		op += " frame " + recs[0].ID
	} else {
		op += " many"
	}
	return wrapErr(op, withCtx(ctx, err))
}

// checkRecord refuses a record whose metadata does not match its data.
func checkRecord(rec driver.Record) error {
	switch {
	case rec.ID == "":
		return fmt.Errorf("%w: empty frame ID", driver.ErrInvalidRecord)
	case rec.Version > math.MaxInt64:
		return invalid(rec.ID, "version %d exceeds %d", rec.Version, int64(math.MaxInt64))
	case rec.Size != 0 && rec.Size != int64(len(rec.Data)):
		return invalid(rec.ID, "size %d does not match %d data bytes", rec.Size, len(rec.Data))
	}
	if sum := driver.Checksum(rec.Data); sum != rec.Checksum {
		return invalid(rec.ID, "checksum %08x does not match the data (%08x)", rec.Checksum, sum)
	}
	return nil
}

// putIn writes one frame's rows and metadata inside tx.
func (s *Store) putIn(ctx context.Context, tx cachedTx, rec driver.Record, r *rows, now time.Time) error {
	var cur int64
	err := tx.GetContext(ctx, &cur, sqlVersionByID, rec.ID)
	existed := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if existed && uint64(cur) > rec.Version {
		return nil
	}
	for _, q := range []string{sqlDeleteEvents, sqlDeleteAnchors} {
		if _, err := tx.ExecContext(ctx, q, rec.ID); err != nil {
			return err
		}
	}
	l := s.layout
	last := rec.LastAccess
	if last.IsZero() {
		last = now
	}
	count := max(rec.AccessCount, 1)
	cols, args := present(&l.frames, r.frame)
	args = append(args, last.Unix(), count)
	_, err = tx.ExecContext(ctx, l.upsertFrameSQL(cols), args...)
	if err != nil {
		return err
	}
	for _, child := range []struct {
		t    *table
		rows [][]any
	}{{&l.events, r.events}, {&l.anchors, r.anchors}} {
		for _, row := range child.rows {
			cols, args := present(child.t, row)
			_, err := tx.ExecContext(ctx, insertSQL(child.t, cols), args...)
			if isConstraint(err) {
				return invalid(rec.ID, "%s %s %v: %v (is it another frame's?)", child.t.name, child.t.key, row[child.t.index(child.t.key)], err)
			}
			if err != nil {
				return err
			}
		}
	}
	written, ok, err := l.readRows(ctx, tx, rec.ID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("frame %s: its row vanished while it was written", rec.ID)
	}
	canonical := l.encode(written)
	var keep []byte // the document's own bytes, when the rows do not give them back
	if !bytes.Equal(canonical, rec.Data) {
		keep = rec.Data
		if keep == nil {
			keep = []byte{}
		}
	}
	key := rec.LFUKey
	if key == 0 {
		key = driver.NewLFUKey(last, count)
	}
	_, err = tx.ExecContext(ctx, sqlUpsertMetadata,
		rec.ID, now.UnixMicro(), len(rec.Data), int64(rec.Version), int64(rec.Checksum),
		rec.CreatedAt.UnixMicro(), last.UnixMicro(), key, keep, existed)
	if err != nil {
		return err
	}
	return s.index(ctx, tx, rec.ID, rec.Data)
}

// upsertFrameSQL writes a frames row with the given columns: on insert
// the spec's last_accessed and access_count come from the record (the
// last two arguments); on update every upstream column but frame_id takes
// the new value, a column left out its default.
func (l *layout) upsertFrameSQL(cols []string) string {
	var set []string
	for _, c := range l.frames.cols {
		if c.name != colFrameID {
			set = append(set, quoteIdent(c.name)+` = excluded.`+quoteIdent(c.name))
		}
	}
	return `INSERT INTO frames (` + quoteList(cols) + `, last_accessed, access_count) VALUES (` +
		placeholders(len(cols)+2) + `) ON CONFLICT (frame_id) DO UPDATE SET ` + strings.Join(set, `, `)
}

// insertSQL inserts a row of t with the given columns.
func insertSQL(t *table, cols []string) string {
	return `INSERT INTO ` + quoteIdent(t.name) + ` (` + quoteList(cols) + `) VALUES (` + placeholders(len(cols)) + `)`
}

// index replaces the full-text entry of frame id with the string values
// of data.
func (s *Store) index(ctx context.Context, tx cachedTx, id string, data []byte) error {
	var rowid int64
	if err := tx.GetContext(ctx, &rowid, sqlRowidByID, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, sqlDeleteFTS, rowid); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, sqlInsertFTS, rowid, searchText(data))
	return err
}

func isConstraint(err error) bool {
	var code sqlite3.ErrorCode
	return errors.As(err, &code) && code == sqlite3.CONSTRAINT
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
