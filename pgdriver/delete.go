package pgdriver

import (
	"context"
	"math"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stackmemoryai/tier/driver"
)

// Delete removes the frame if its stored Version is at most upTo
// (driver.AnyVersion removes any). Deleting a missing frame, or an ID that
// is not a UUID, returns nil.
func (s *Store) Delete(ctx context.Context, id string, upTo uint64) error {
	uid, ok := frameID(id)
	if !ok {
		return s.checkOpen("delete")
	}
	return s.run(ctx, "delete", false, true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `DELETE FROM frames_archive WHERE frame_id = $1 AND version <= $2`, uid, versionLimit(upTo))
		return err
	})
}

// DeleteMany removes, in one statement, each frame of dels whose stored
// Version is at most its UpTo, under the rules of [Store.Delete]. IDs that
// are not UUIDs are skipped. The statement is atomic.
func (s *Store) DeleteMany(ctx context.Context, dels []driver.Deletion) error {
	ids := make([]pgtype.UUID, 0, len(dels))
	limits := make([]int64, 0, len(dels))
	for _, d := range dels {
		if u, ok := frameID(d.ID); ok {
			ids = append(ids, u)
			limits = append(limits, versionLimit(d.UpTo))
		}
	}
	if len(ids) == 0 {
		return s.checkOpen("delete many")
	}
	return s.run(ctx, "delete many", true, true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `DELETE FROM frames_archive a
			USING unnest($1::uuid[], $2::int8[]) AS d(frame_id, up_to)
			WHERE a.frame_id = d.frame_id AND a.version <= d.up_to`, ids, limits)
		return err
	})
}

// versionLimit turns an UpTo version into the archive's BIGINT range.
func versionLimit(upTo uint64) int64 {
	if upTo >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(upTo)
}
