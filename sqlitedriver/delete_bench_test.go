package sqlitedriver_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stackmemoryai/tier/driver"
)

// ftsDeleteVariants are the ways of keeping a full-text index in step with
// deletes that BenchmarkFTSDelete compares, on plain SQLite files of their
// own: the schema, and the statement that empties the deferred queue (if
// any).
var ftsDeleteVariants = []struct {
	name, schema, flush string
}{
	{"no_index", `
CREATE TABLE frames (frame_id TEXT PRIMARY KEY, data BLOB);
CREATE VIRTUAL TABLE fts USING fts5(body, content='', contentless_delete=1);`, ""},
	{"contentless_delete", `
CREATE TABLE frames (frame_id TEXT PRIMARY KEY, data BLOB);
CREATE VIRTUAL TABLE fts USING fts5(body, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER ins AFTER INSERT ON frames BEGIN INSERT INTO fts(rowid, body) VALUES (new.rowid, ` + benchText("new") + `); END;
CREATE TRIGGER del AFTER DELETE ON frames BEGIN DELETE FROM fts WHERE rowid = old.rowid; END;`, ""},
	{"delete_command", `
CREATE TABLE frames (frame_id TEXT PRIMARY KEY, data BLOB);
CREATE VIRTUAL TABLE fts USING fts5(body, content='', tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER ins AFTER INSERT ON frames BEGIN INSERT INTO fts(rowid, body) VALUES (new.rowid, ` + benchText("new") + `); END;
CREATE TRIGGER del AFTER DELETE ON frames BEGIN
	INSERT INTO fts(fts, rowid, body) VALUES ('delete', old.rowid, ` + benchText("old") + `);
END;`, ""},
	{"deferred_contentless_delete", `
CREATE TABLE frames (frame_id TEXT PRIMARY KEY, data BLOB);
CREATE VIRTUAL TABLE fts USING fts5(body, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2');
CREATE TABLE stale (id INTEGER PRIMARY KEY);
CREATE TRIGGER ins AFTER INSERT ON frames BEGIN INSERT INTO fts(rowid, body) VALUES (new.rowid, ` + benchText("new") + `); END;
CREATE TRIGGER del AFTER DELETE ON frames BEGIN INSERT OR IGNORE INTO stale(id) VALUES (old.rowid); END;`,
		`DELETE FROM fts WHERE rowid IN (SELECT id FROM stale); DELETE FROM stale;`},
	{"deferred_delete_command", `
CREATE TABLE frames (frame_id TEXT PRIMARY KEY, data BLOB);
CREATE VIRTUAL TABLE fts USING fts5(body, content='', tokenize='porter unicode61 remove_diacritics 2');
CREATE TABLE stale (id INTEGER PRIMARY KEY, body TEXT);
CREATE TRIGGER ins AFTER INSERT ON frames BEGIN INSERT INTO fts(rowid, body) VALUES (new.rowid, ` + benchText("new") + `); END;
CREATE TRIGGER del AFTER DELETE ON frames BEGIN INSERT OR IGNORE INTO stale(id, body) VALUES (old.rowid, ` + benchText("old") + `); END;`,
		`INSERT INTO fts(fts, rowid, body) SELECT 'delete', id, body FROM stale; DELETE FROM stale;`},
}

// benchText is the indexed text of row r: the string values of its JSON
// document, as in the driver's triggers.
func benchText(r string) string {
	return strings.ReplaceAll(`CASE WHEN json_valid(CAST(R.data AS TEXT))
	THEN (SELECT group_concat(value, ' ') FROM json_tree(CAST(R.data AS TEXT)) WHERE type = 'text')
	ELSE CAST(R.data AS TEXT) END`, "R.", r+".")
}

// BenchmarkFTSDelete measures the cost of deleting one frame, index
// included, from a file of 20000 frames of about 400 bytes: one frame per
// transaction (Delete) and 100 per transaction (DeleteMany). For deferred
// variants the time includes emptying the queue at the end (what Compact
// or the next batch pays), so ns/op compares total work; fg-ns/delete is
// what the deleting caller waits for and flush-ns/delete the deferred part.
func BenchmarkFTSDelete(b *testing.B) {
	const frames = 20000
	for _, v := range ftsDeleteVariants {
		for _, batch := range []int{1, 100} {
			b.Run(fmt.Sprintf("%s/batch=%d", v.name, batch), func(b *testing.B) {
				if b.N > frames {
					b.Fatalf("run at most %d deletions (-benchtime %dx)", frames, frames)
				}
				db := rawDB(b, filepath.Join(b.TempDir(), "f.db"))
				db.SetMaxOpenConns(1)
				mustExec(b, db, `PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;`+v.schema)
				tx := db.MustBegin()
				for i := range frames {
					doc := benchRecord(i).Data
					tx.MustExec(`INSERT INTO frames(frame_id, data) VALUES (?, ?)`, fmt.Sprint(i), doc[:400])
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				mustExec(b, db, `INSERT INTO fts(fts) VALUES ('optimize')`)
				b.ResetTimer()
				for i := 0; i < b.N; i += batch {
					tx := db.MustBegin()
					for j := i; j < min(i+batch, b.N); j++ {
						tx.MustExec(`DELETE FROM frames WHERE frame_id = ?`, fmt.Sprint((j*7919)%frames))
					}
					if err := tx.Commit(); err != nil {
						b.Fatal(err)
					}
				}
				fg := b.Elapsed()
				if v.flush != "" {
					mustExec(b, db, v.flush)
				}
				b.ReportMetric(float64(fg.Nanoseconds())/float64(b.N), "fg-ns/delete")
				b.ReportMetric(float64((b.Elapsed()-fg).Nanoseconds())/float64(b.N), "flush-ns/delete")
			})
		}
	}
}

func mustExec(b *testing.B, db *sqlx.DB, query string) {
	b.Helper()
	if _, err := db.Exec(query); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStoreDelete measures Delete and DeleteMany (100 per call)
// through the driver, per frame, on a file of 20000 frames of about 2 KB.
func BenchmarkStoreDelete(b *testing.B) {
	const frames = 20000
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			if b.N > frames {
				b.Fatalf("run at most %d deletions (-benchtime %dx)", frames, frames)
			}
			s := openStore(b)
			ctx := b.Context()
			recs := make([]driver.Record, 0, 1000)
			for i := range frames {
				recs = append(recs, benchRecord(i))
				if len(recs) == cap(recs) {
					if err := s.PutMany(ctx, recs); err != nil {
						b.Fatal(err)
					}
					recs = recs[:0]
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				var dels []driver.Deletion
				for j := i; j < min(i+batch, b.N); j++ {
					dels = append(dels, driver.Deletion{ID: newRecord((j*7919)%frames, "").ID, UpTo: driver.AnyVersion})
				}
				var err error
				if batch == 1 {
					err = s.Delete(ctx, dels[0].ID, dels[0].UpTo)
				} else {
					err = s.DeleteMany(ctx, dels)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
