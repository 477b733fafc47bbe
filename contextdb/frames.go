package contextdb

import (
	"context"
	"database/sql"
	"errors"
	"iter"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/stackmemoryai/tier/driver"
)

// Frames reads the frames of the context.db at path, oldest first
// (created_at, then frame_id), as records ready to be put into any tier:
// what `storage import` copies into a chain. It opens the file read-only
// and neither adopts nor changes it, so it also reads a file upstream
// StackMemory alone has used. (On a WAL file no process has open, SQLite
// creates the -wal and -shm files a reader needs; the next writer to
// close the file removes them. [IsContextDB] avoids even that.)
//
// Each record's document is the one [Store.Get] returns. On a file never
// adopted, Version is the frame's creation time in microseconds (the
// version adoption gives it), LastAccess its creation time and
// AccessCount 1. On an adopted file they are those the tier keeps.
//
// Iteration stops at the first error, yielded with a zero record: an
// error wrapping ErrNotContextDB when the file is not a context.db.
// Frames deleted while the iteration runs are skipped.
func Frames(ctx context.Context, path string) iter.Seq2[driver.Record, error] {
	return func(yield func(driver.Record, error) bool) {
		if err := readFrames(ctx, path, yield); err != nil {
			yield(driver.Record{}, wrapErr("read frames of "+path, withCtx(ctx, err)))
		}
	}
}

// readFrames yields the frames of path; it returns the error that stopped
// it, or nil when done or when yield asked to stop.
func readFrames(ctx context.Context, path string, yield func(driver.Record, error) bool) error {
	if err := probe(ctx, path); err != nil {
		return err
	}
	db, err := openReadOnly(path, false)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	l, err := readLayout(ctx, tx)
	if err != nil {
		return err
	}
	var adopted int
	if err := tx.GetContext(ctx, &adopted, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tier_adoption'`); err != nil {
		return err
	}
	var ids []string
	if err := tx.SelectContext(ctx, &ids, `SELECT frame_id FROM frames WHERE frame_id IS NOT NULL ORDER BY created_at, frame_id`); err != nil {
		return err
	}
	for _, id := range ids {
		rec, ok, err := readFrame(ctx, tx, l, adopted > 0, id)
		if err != nil {
			return err
		}
		if ok && !yield(rec, nil) {
			return nil
		}
	}
	return nil
}

// readFrame reads one frame of a file opened read-only.
func readFrame(ctx context.Context, tx *sqlx.Tx, l *layout, adopted bool, id string) (driver.Record, bool, error) {
	if adopted {
		st, err := scanMeta(tx.QueryRowxContext(ctx, sqlMetaByID, id))
		if err == nil {
			data, err := l.document(ctx, tx, &st)
			if errors.Is(err, errGone) {
				return driver.Record{}, false, nil
			}
			return driver.Record{Meta: st.Meta, Data: data}, err == nil, err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return driver.Record{}, false, err
		}
		// A frame upstream inserted with the triggers missing: read as
		// if never adopted.
	}
	r, ok, err := l.readRows(ctx, tx, id)
	if err != nil || !ok {
		return driver.Record{}, false, err
	}
	data := l.encode(r)
	created := time.Unix(valueInt(r.frame[l.frames.index(colCreated)]), 0).UTC()
	meta := driver.Meta{
		ID:          id,
		SessionID:   valueString(r.frame[l.frames.index(colRunID)]),
		ProjectID:   valueString(r.frame[l.frames.index(colProject)]),
		ParentID:    valueString(r.frame[l.frames.index(colParent)]),
		CreatedAt:   created,
		Version:     uint64(max(created.UnixMicro(), 1)),
		Checksum:    driver.Checksum(data),
		Size:        int64(len(data)),
		LastAccess:  created,
		AccessCount: 1,
		LFUKey:      driver.NewLFUKey(created, 1),
	}
	return driver.Record{Meta: meta, Data: data}, true, nil
}
