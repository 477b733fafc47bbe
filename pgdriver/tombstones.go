package pgdriver

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// A write and a Bury of the same frame on two connections must not
// interleave so that the write lands after the tombstone it did not see:
// each takes an advisory lock on the frame for its transaction, shared for
// writes (they do not wait for one another), exclusive for Bury, and the
// write checks the tombstones in a statement that starts after the lock
// is held (READ COMMITTED: each statement sees what committed before it).

// tombstoneLockClass is the first key of the two-key advisory locks on
// frames ("tier"); the second is hashtext of the frame ID.
const tombstoneLockClass = 0x74696572

// lockFramesSharedSQL takes the shared lock of each frame of a batch write.
const lockFramesSharedSQL = `SELECT count(pg_advisory_xact_lock_shared($2, hashtext(id::text)))
	FROM unnest($1::uuid[]) AS id`

// burySQL records the tombstone (keeping the greater up_to) and deletes
// the frame up to that version.
const burySQL = `WITH t AS (
	INSERT INTO frame_tombstones AS t (frame_id, up_to) VALUES ($1, $2)
	ON CONFLICT (frame_id) DO UPDATE SET up_to = greatest(t.up_to, excluded.up_to), deleted_at = now())
DELETE FROM frames_archive WHERE frame_id = $1 AND version <= $2`

// Bury implements driver.Tombstoner: it deletes the frame up to upTo and
// leaves a tombstone that keeps Put and PutMany from archiving it again at
// a version up to upTo, until Compact removes tombstones older than
// Options.TombstoneDays. An ID that is not a UUID is ignored.
func (s *Store) Bury(ctx context.Context, id string, upTo uint64) error {
	uid, ok := frameID(id)
	if !ok {
		return s.checkOpen("bury")
	}
	return s.run(ctx, "bury", false, true, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2::uuid::text))`, tombstoneLockClass, uid); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, burySQL, uid, versionLimit(upTo))
			return err
		})
	})
}

// Tombstones implements driver.Tombstoner.
func (s *Store) Tombstones(ctx context.Context, ids []string) (map[string]uint64, error) {
	uids := uuids(ids)
	out := map[string]uint64{}
	err := s.run(ctx, "tombstones", true, true, func(ctx context.Context) error {
		clear(out)
		if len(uids) == 0 {
			return nil
		}
		rows, err := s.pool.Query(ctx, `SELECT frame_id, up_to FROM frame_tombstones WHERE frame_id = ANY($1)`, uids)
		if err != nil {
			return err
		}
		var id pgtype.UUID
		var upTo int64
		_, err = pgx.ForEachRow(rows, []any{&id, &upTo}, func() error {
			out[id.String()] = uint64(upTo)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pruneTombstones removes the tombstones older than the retention.
func (s *Store) pruneTombstones(ctx context.Context) error {
	cutoff := time.Now().AddDate(0, 0, -s.opts.TombstoneDays)
	return s.run(ctx, "prune tombstones", true, true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `DELETE FROM frame_tombstones WHERE deleted_at < $1`, timestamptz(cutoff))
		return err
	})
}
