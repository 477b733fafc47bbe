package sqliteconn_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ncruces/go-sqlite3"

	"github.com/stackmemoryai/tier/internal/sqliteconn"
)

// The pool opens the file named, whatever characters its path holds, and
// runs init on each connection.
func TestOpenNamesTheFileWhateverItsPathHolds(t *testing.T) {
	for _, name := range []string{"plain", "with space", "hash#1", "query?x=1", "percent%41", "plus+sign"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "frames.db")
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			inits := 0
			db, err := sqliteconn.Open(path, sqliteconn.Immediate, func(c *sqlite3.Conn) error {
				inits++
				return c.Exec(`PRAGMA journal_mode = WAL`)
			})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE t (x); INSERT INTO t VALUES (1)`); err != nil {
				t.Fatalf("write to %s: %v", path, err)
			}
			if inits != 1 {
				t.Errorf("init ran %d times for one connection", inits)
			}
			st, err := os.Stat(path)
			if err != nil || st.Size() == 0 {
				t.Fatalf("the file named is empty or missing (%v): SQLite wrote elsewhere", err)
			}
			if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
				t.Errorf("%d entries beside the directory, want only it", len(entries))
			}
			wal, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			if wal.Mode().Perm() != 0o600 {
				t.Errorf("-wal file has mode %v, want the database's 0600", wal.Mode().Perm())
			}
		})
	}
}
