package pgdriver

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stackmemoryai/tier/driver"
)

const getSQL = `SELECT ` + recordColumns + ` FROM frames_archive WHERE frame_id = $1`

// Get returns the frame with the given ID, its document byte for byte as it
// was stored, and Compressed filled when the archive keeps it compressed. A
// missing frame, or an ID that is not a UUID, gives ok == false and a nil
// error. A copy failing its size or checksum gives an error wrapping
// driver.ErrCorrupt. Get does not count as an access.
func (s *Store) Get(ctx context.Context, id string) (rec driver.Record, ok bool, err error) {
	uid, valid := frameID(id)
	if !valid {
		return driver.Record{}, false, s.checkOpen("get")
	}
	var st stored
	err = s.run(ctx, "get", 0, true, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, getSQL, uid).Scan(st.recordTargets()...)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	if err != nil || !ok {
		return driver.Record{}, false, err
	}
	rec, err = st.record()
	if err != nil {
		return driver.Record{}, false, fmt.Errorf("pgdriver: get: %w", err)
	}
	return rec, true, nil
}

const getManySQL = `SELECT ` + recordColumns + ` FROM frames_archive WHERE frame_id = ANY($1)`

// GetMany returns the frames found among ids, in no particular order; IDs
// that are missing or not UUIDs are left out. Copies failing verification
// are left out too, and reported in an error wrapping driver.ErrCorrupt
// returned along with the good records.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]driver.Record, error) {
	uids := make([]pgtype.UUID, 0, len(ids))
	for _, id := range ids {
		if u, ok := frameID(id); ok {
			uids = append(uids, u)
		}
	}
	var found []stored
	err := s.run(ctx, "get many", len(uids), true, func(ctx context.Context) error {
		found = found[:0]
		if len(uids) == 0 {
			return nil
		}
		return s.scanAll(ctx, &found, getManySQL, uids)
	})
	if err != nil {
		return nil, err
	}
	return records(found, "get many")
}

// scanAll runs a query returning recordColumns and appends its rows to dst.
func (s *Store) scanAll(ctx context.Context, dst *[]stored, sql string, args ...any) error {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var st stored
		if err := rows.Scan(st.recordTargets()...); err != nil {
			return err
		}
		*dst = append(*dst, st)
	}
	return rows.Err()
}

// records verifies and decodes rows, keeping the good ones and joining the
// errors of the damaged ones.
func records(found []stored, op string) ([]driver.Record, error) {
	recs := make([]driver.Record, 0, len(found))
	var errs []error
	for i := range found {
		rec, err := found[i].record()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec)
	}
	if len(errs) > 0 {
		return recs, fmt.Errorf("pgdriver: %s: %w", op, errors.Join(errs...))
	}
	return recs, nil
}
