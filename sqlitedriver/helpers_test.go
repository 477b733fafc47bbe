package sqlitedriver_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/ext/fts5"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// openStore opens a store on a fresh file private to the test.
func openStore(t testing.TB) *sqlitedriver.Store {
	t.Helper()
	return openStoreAt(t, filepath.Join(t.TempDir(), "frames.db"))
}

// openStoreAt opens a store on path and closes it when the test ends.
func openStoreAt(t testing.TB, path string) *sqlitedriver.Store {
	t.Helper()
	s, err := sqlitedriver.Open(context.Background(), sqlitedriver.Options{Path: path})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// rawDB opens the file as another tool would: plain SQLite with FTS5.
func rawDB(t testing.TB, path string) *sqlx.DB {
	t.Helper()
	db, err := sqlite3driver.Open("file:"+path, func(c *sqlite3.Conn) error { return fts5.Register(c) })
	if err != nil {
		t.Fatalf("raw open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return sqlx.NewDb(db, "sqlite3")
}

var baseTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// newRecord returns a valid record numbered n with the given document.
func newRecord(n int, doc string) driver.Record {
	data := []byte(doc)
	return driver.Record{
		Meta: driver.Meta{
			ID:        fmt.Sprintf("00000000-0000-7000-8000-%012d", n),
			SessionID: "11111111-1111-7111-8111-111111111111",
			ProjectID: "proj",
			CreatedAt: baseTime.Add(time.Duration(n) * time.Second),
			Version:   1,
			Checksum:  driver.Checksum(data),
			Size:      int64(len(data)),
		},
		Data: data,
	}
}

// withData returns rec carrying doc, with checksum and size to match.
func withData(rec driver.Record, doc string) driver.Record {
	rec.Data = []byte(doc)
	rec.Checksum = driver.Checksum(rec.Data)
	rec.Size = int64(len(rec.Data))
	return rec
}

func mustPut(t testing.TB, s driver.Tier, recs ...driver.Record) {
	t.Helper()
	for _, rec := range recs {
		if err := s.Put(context.Background(), rec); err != nil {
			t.Fatalf("Put(%s): %v", rec.ID, err)
		}
	}
}

func mustGet(t testing.TB, s driver.Tier, id string) driver.Record {
	t.Helper()
	rec, ok, err := s.Get(context.Background(), id)
	if err != nil || !ok {
		t.Fatalf("Get(%s) = ok %v, err %v; want the frame", id, ok, err)
	}
	return rec
}

// damageRow changes the first byte of the stored document of frame id, behind
// the driver's back, keeping its length: the checksum no longer matches.
func damageRow(t testing.TB, path, id string) {
	t.Helper()
	db := rawDB(t, path)
	res, err := db.Exec(`UPDATE frames SET data = CAST(
		CASE WHEN substr(data, 1, 1) = x'58' THEN 'Y' ELSE 'X' END || substr(data, 2) AS BLOB)
		WHERE frame_id = ?`, id)
	if err != nil {
		t.Fatalf("damage %s: %v", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("damage %s: no such frame", id)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
