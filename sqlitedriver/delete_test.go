package sqlitedriver_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

// TestDeleteManyChecksEachVersion deletes batches in which frames are
// named twice with different bounds, hold the greatest version, or have
// IDs with quotes, backslashes, accents or bytes that are not UTF-8: each
// frame goes exactly when one of its deletions allows it, and
// tier_metadata keeps one row per frame left. (A change of DeleteMany to
// one statement over an encoded list must keep all of that.)
func TestDeleteManyChecksEachVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	ctx := context.Background()
	frame := func(id string, version uint64) driver.Record {
		rec := newRecord(0, `{"w":"word"}`)
		rec.ID, rec.Version = id, version
		return rec
	}
	mustPut(t, s,
		frame("any", 1), frame("newer", 3), frame("twice", 2), frame("max", math.MaxInt64),
		frame(`quo"te\back é`, 5), frame("bad\xff", 1), frame("bad\uFFFD", 1), frame("later", 4))

	check := func(when string, want ...string) {
		t.Helper()
		var got []string
		if err := rawDB(t, path).Select(&got, `SELECT frame_id FROM frames ORDER BY frame_id`); err != nil {
			t.Fatal(err)
		}
		var meta []string
		if err := rawDB(t, path).Select(&meta, `SELECT frame_id FROM tier_metadata ORDER BY frame_id`); err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) || !slices.Equal(meta, want) {
			t.Errorf("%s: frames %q, tier_metadata %q; want %q", when, got, meta, want)
		}
	}
	err := s.DeleteMany(ctx, []driver.Deletion{
		{ID: "any", UpTo: driver.AnyVersion},
		{ID: "newer", UpTo: 2},
		{ID: "twice", UpTo: 1},
		{ID: "twice", UpTo: 2},
		{ID: "max", UpTo: driver.AnyVersion},
		{ID: `quo"te\back é`, UpTo: 5},
		{ID: "missing", UpTo: driver.AnyVersion},
		{ID: "later", UpTo: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	check("after the first batch", "newer", "bad\xff", "bad\uFFFD", "later")

	// An ID that is not valid UTF-8 is matched byte for byte, never as the
	// replacement character an encoding such as JSON would carry.
	err = s.DeleteMany(ctx, []driver.Deletion{{ID: "bad\xff", UpTo: 1}, {ID: "later", UpTo: 4}})
	if err != nil {
		t.Fatal(err)
	}
	check("after the second batch", "newer", "bad\uFFFD")
}
