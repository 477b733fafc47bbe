package sqlitedriver_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// FuzzSearchText runs arbitrary search text through the translation to an
// FTS5 MATCH expression and through a real query: whatever the user types,
// the query must run (no FTS5 syntax error reaches the user), and text the
// translation drops entirely matches nothing.
func FuzzSearchText(f *testing.F) {
	for _, s := range []string{
		"refactor", `"exact phrase"`, "a OR b", "-excluded word", "pre*", `NEAR(a b)`, `col:value`,
		`"unbalanced`, `(((`, `AND OR NOT`, `-"neg phrase"`, `**`, `-`, `OR`, `a OR`, `OR b`, `a - b`,
		"caf\u00e9", "\u00e9\u0301", "日本語", `"" ""`, "\x00", `a"b"c`, `^start`, `x:`, `{a b}`, `a+b`,
	} {
		f.Add(s)
	}
	s := openStore(f)
	ctx := context.Background()
	for i, doc := range []string{
		`{"task":"refactor the parser","files":["a.go"]}`,
		`{"note":"café au lait","n":"日本語 テキスト"}`,
		`{"text":"OR AND NOT NEAR quoted \"phrase\""}`,
	} {
		mustPut(f, s, newRecord(i+1, doc))
	}
	f.Fuzz(func(t *testing.T, text string) {
		_, ok := sqlitedriver.MatchExpression(text)
		hits, err := s.Query(ctx, driver.Query{Text: text, Limit: 10})
		if err != nil {
			t.Fatalf("search %q: %v", text, err)
		}
		if !ok && len(hits) > 0 {
			t.Fatalf("search %q has no term but matched %d frames", text, len(hits))
		}
	})
}

// FuzzStoredRow writes arbitrary values into a frame's row behind the
// driver's back, as a damaged file or another tool could, then reads the
// frame: the driver must not panic, must never return a document that does
// not match the checksum it returns, and must report a damaged row as
// driver.ErrCorrupt.
func FuzzStoredRow(f *testing.F) {
	good := newRecord(1, `{"task":"fuzz"}`)
	f.Add(good.Data, false, int64(good.Checksum), good.Size, int64(1), int64(0), int64(1), 0.0, "11111111-1111-7111-8111-111111111111")
	f.Add(good.Data, true, int64(good.Checksum), good.Size, int64(1), int64(0), int64(1), 0.0, "")
	f.Add(good.Data, false, int64(good.Checksum)+1, good.Size, int64(1), int64(0), int64(1), 0.0, "")
	f.Add(good.Data, false, int64(good.Checksum), good.Size+1, int64(1), int64(0), int64(1), 0.0, "")
	f.Add(good.Data, false, int64(good.Checksum)-(1<<32), good.Size, int64(-1), int64(-1), int64(-5), -1e308, "x")
	f.Add([]byte{}, false, int64(0), int64(0), int64(1), int64(0), int64(1), 0.0, "")
	f.Add(good.Data, false, int64(good.Checksum), int64(-1), int64(9223372036854775807), int64(-9223372036854775808), int64(0), 1e308, "")
	path := filepath.Join(f.TempDir(), "frames.db")
	s := openStoreAt(f, path)
	db := rawDB(f, path)
	mustPut(f, s, good)
	f.Fuzz(func(t *testing.T, data []byte, asText bool, checksum, size int64, version, created, count int64, lfu float64, session string) {
		var dataArg any = data
		if asText {
			dataArg = string(data)
		}
		err := damage(db, good.ID, dataArg, checksum, size, version, created, count, lfu, session)
		if err != nil {
			return // a value SQLite itself refuses (NOT NULL, NaN)
		}
		checkRead(t, s, good.ID)
	})
}

// damage overwrites the columns of a frame's row.
func damage(db *sqlx.DB, id string, data any, checksum, size int64, version any, created, count int64, lfu float64, session string) error {
	_, err := db.Exec(`UPDATE frames SET data = ?, checksum = ?, size_bytes = ?, version = ?, created_at = ?,
			last_accessed = ?, access_count = ?, lfu_key = ?, session_id = ? WHERE frame_id = ?`,
		data, checksum, size, version, created, created, count, lfu, session, id)
	return err
}

// checkRead reads a damaged frame every way the driver reads rows.
func checkRead(t *testing.T, s *sqlitedriver.Store, id string) {
	t.Helper()
	ctx := context.Background()
	{
		check := func(op string, rec driver.Record, ok bool, err error) {
			switch {
			case err != nil && !errors.Is(err, driver.ErrCorrupt):
				t.Fatalf("%s of a damaged row: %v, want ErrCorrupt", op, err)
			case err == nil && ok && (driver.Checksum(rec.Data) != rec.Checksum || int64(len(rec.Data)) != rec.Size):
				t.Fatalf("%s returned %d bytes not matching size %d and checksum %08x", op, len(rec.Data), rec.Size, rec.Checksum)
			}
		}
		rec, ok, err := s.Get(ctx, id)
		check("Get", rec, ok, err)
		recs, err := s.GetMany(ctx, []string{id})
		for _, r := range recs {
			check("GetMany", r, true, nil)
		}
		check("GetMany", driver.Record{}, false, err)
		if _, err := s.Candidates(ctx, driver.CandidateQuery{Policy: "LRU", Limit: 5}); err != nil && !errors.Is(err, driver.ErrCorrupt) {
			t.Fatalf("Candidates over a damaged row: %v", err)
		}
	}
}

// TestDamagedColumnTypeIsCorrupt stores text where the schema has an
// INTEGER (SQLite's dynamic typing allows it; a damaged file or another
// tool can do it): reading the frame must report driver.ErrCorrupt, so the
// manager repairs the copy from another tier, like any damaged row.
func TestDamagedColumnTypeIsCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	good := newRecord(1, `{"task":"fuzz"}`)
	mustPut(t, s, good)
	if err := damage(rawDB(t, path), good.ID, good.Data, int64(good.Checksum), good.Size, "seven", 0, 1, 0, ""); err != nil {
		t.Fatal(err)
	}
	checkRead(t, s, good.ID)
}
