package sqlitedriver_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// TestVersion1FileUpgradesInPlace opens a file written by the first
// schema: it is migrated, keeps every frame and its search, and deletes
// from then on queue their index entries.
func TestVersion1FileUpgradesInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	db := rawDB(t, path)
	if _, err := db.Exec(sqlitedriver.Migrations[0] + `PRAGMA user_version = 1;`); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		r := newRecord(i, fmt.Sprintf(`{"note":"legacy frame %d"}`, i))
		_, err := db.Exec(`INSERT INTO frames (frame_id, session_id, project_id, created_at, version, checksum,
			size_bytes, data, last_accessed, lfu_key) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, 0)`,
			r.ID, r.SessionID, r.ProjectID, r.CreatedAt.UnixMicro(), int64(r.Checksum), r.Size, r.Data, r.CreatedAt.UnixMicro())
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openStoreAt(t, path)
	ctx := context.Background()
	hits, err := s.Query(ctx, driver.Query{Text: "legacy", Limit: 100})
	if err != nil || len(hits) != 20 {
		t.Fatalf("search after upgrade = %d hits, %v; want 20", len(hits), err)
	}
	if err := s.Delete(ctx, newRecord(3, "").ID, driver.AnyVersion); err != nil {
		t.Fatal(err)
	}
	var version, queued int
	raw := rawDB(t, path)
	if err := raw.Get(&version, `PRAGMA user_version`); err != nil || version != sqlitedriver.SchemaVersion {
		t.Errorf("user_version = %d, %v; want %d", version, err, sqlitedriver.SchemaVersion)
	}
	if err := raw.Get(&queued, `SELECT count(*) FROM frames_fts_stale`); err != nil || queued != 1 {
		t.Errorf("queued index entries after a delete = %d, %v; want 1", queued, err)
	}
	hits, err = s.Query(ctx, driver.Query{Text: "legacy", Limit: 100})
	if err != nil || len(hits) != 19 {
		t.Errorf("search after a delete = %d hits, %v; want 19", len(hits), err)
	}
}

// TestDeletedFramesLeaveNoSearchTrace deletes frames (their index entries
// queued), writes new frames that reuse their rowids, and searches: only
// the new documents' words match them, before and after Compact.
func TestDeletedFramesLeaveNoSearchTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	ctx := context.Background()
	for i := range 5 {
		mustPut(t, s, newRecord(i, `{"w":"oldword"}`))
	}
	// Deleting the newest rows lets SQLite give their rowids to new rows.
	if err := s.DeleteMany(ctx, []driver.Deletion{
		{ID: newRecord(3, "").ID, UpTo: driver.AnyVersion}, {ID: newRecord(4, "").ID, UpTo: driver.AnyVersion},
	}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, newRecord(10, `{"w":"newword"}`), newRecord(11, `{"w":"newword"}`))
	check := func(when string) {
		t.Helper()
		for word, want := range map[string]int{"oldword": 3, "newword": 2} {
			hits, err := s.Query(ctx, driver.Query{Text: word, Limit: 100})
			if err != nil || len(hits) != want {
				t.Errorf("%s: search %q = %d hits, %v; want %d", when, word, len(hits), err, want)
			}
		}
	}
	check("before Compact")
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	check("after Compact")
	var queued int
	if err := rawDB(t, path).Get(&queued, `SELECT count(*) FROM frames_fts_stale`); err != nil || queued != 0 {
		t.Errorf("queue after Compact = %d, %v; want 0", queued, err)
	}
}

// Deletes one by one keep the queue of deleted frames' index entries
// bounded: it is emptied once it holds about 1000 entries, without
// Compact, so searches do not walk an ever longer queue.
func TestDeletesOneByOneKeepTheIndexQueueBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	ctx := context.Background()
	const n = 1300
	var recs []driver.Record
	for i := range n {
		recs = append(recs, newRecord(i, `{"w":"word"}`))
	}
	mustPut(t, s, recs...)
	raw := rawDB(t, path)
	most := 0
	for _, r := range recs {
		if err := s.Delete(ctx, r.ID, driver.AnyVersion); err != nil {
			t.Fatal(err)
		}
		var queued int
		if err := raw.Get(&queued, `SELECT count(*) FROM frames_fts_stale`); err != nil {
			t.Fatal(err)
		}
		most = max(most, queued)
	}
	if most > 1000+64 || most < 1000 {
		t.Fatalf("the queue held at most %d entries over %d deletes; want it emptied from 1000 on, within 64 deletes", most, n)
	}
	var queued int
	if err := raw.Get(&queued, `SELECT count(*) FROM frames_fts_stale`); err != nil || queued >= n-1000 {
		t.Fatalf("queue after %d deletes = %d, %v; want it emptied once", n, queued, err)
	}
}
