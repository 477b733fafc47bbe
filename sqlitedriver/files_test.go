package sqlitedriver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// The file, its companions and its directory get private modes, in a
// plain directory and in one whose name holds a space and characters that
// mean something in a URI (the file opened was once another one, or none).
func TestFileAndDirectoryModes(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask would give 0644 and 0755
	defer syscall.Umask(old)
	for _, name := range []string{".stackmemory", "My Projects #1?v=%41"} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			dir := filepath.Join(home, name)
			path := filepath.Join(dir, "frames.db")
			s := openStoreAt(t, path)
			mustPut(t, s, newRecord(1, `{"a":1}`)) // makes SQLite write the WAL

			check := func(name string, want os.FileMode) {
				t.Helper()
				fi, err := os.Stat(name)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != want {
					t.Errorf("%s mode = %o, want %o", filepath.Base(name), got, want)
				}
			}
			check(dir, 0o700)
			check(path, 0o600)
			check(path+"-wal", 0o600)
			check(path+"-shm", 0o600)
			if entries, _ := os.ReadDir(home); len(entries) != 1 {
				t.Errorf("%d entries beside the directory, want only it", len(entries))
			}
		})
	}
}

func TestSchemaContract(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	mustPut(t, s, newRecord(1, `{"a":1}`))
	db := rawDB(t, path)

	columns := func(table string) map[string]string {
		rows, err := db.Query(`SELECT name, type FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				t.Fatal(err)
			}
			out[name] = typ
		}
		return out
	}
	frames := columns("frames")
	for _, c := range []string{"frame_id", "session_id", "project_id", "parent_id", "created_at",
		"version", "checksum", "size_bytes", "data", "tier_status", "last_accessed", "access_count", "lfu_key"} {
		if _, ok := frames[c]; !ok {
			t.Errorf("frames has no column %s (has %v)", c, frames)
		}
	}
	meta := columns("tier_metadata")
	for _, c := range []string{"frame_id", "tier_level", "promoted_at", "access_pattern", "size_bytes"} {
		if _, ok := meta[c]; !ok {
			t.Errorf("tier_metadata has no column %s (has %v)", c, meta)
		}
	}
	var status string
	var count, level, size int
	err := db.QueryRow(`SELECT f.tier_status, f.access_count, m.tier_level, m.size_bytes
		FROM frames f JOIN tier_metadata m USING (frame_id)`).Scan(&status, &count, &level, &size)
	if err != nil {
		t.Fatal(err)
	}
	if status != "hot" || count != 1 || level != 1 || size != len(`{"a":1}`) {
		t.Errorf("row = status %q, count %d, level %d, size %d; want hot, 1, 1, 7", status, count, level, size)
	}
	var mode string
	if err := db.Get(&mode, `PRAGMA journal_mode`); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var version int
	if err := db.Get(&version, `PRAGMA user_version`); err != nil || version != sqlitedriver.SchemaVersion {
		t.Errorf("user_version = %d, %v; want %d", version, err, sqlitedriver.SchemaVersion)
	}
}

func TestFutureSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if _, err := db.Exec(`PRAGMA user_version = 999`); err != nil {
		t.Fatal(err)
	}
	_, err := sqlitedriver.Open(context.Background(), sqlitedriver.Options{Path: path})
	if !errors.Is(err, sqlitedriver.ErrSchemaTooNew) {
		t.Fatalf("Open of a file from the future = %v, want ErrSchemaTooNew", err)
	}
	var version int
	if err := db.Get(&version, `PRAGMA user_version`); err != nil || version != 999 {
		t.Errorf("user_version after refused open = %d, %v; want 999 untouched", version, err)
	}
}

func TestReopenKeepsFrames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	rec := newRecord(1, `{"keep":"me"}`)
	mustPut(t, s, rec)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStoreAt(t, path)
	if got := mustGet(t, s2, rec.ID); string(got.Data) != string(rec.Data) {
		t.Errorf("after reopen data = %s", got.Data)
	}
}

func TestOpenRefusesAFileThatIsNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	junk := make([]byte, 8192)
	for i := range junk {
		junk[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlitedriver.Open(context.Background(), sqlitedriver.Options{Path: path})
	if err == nil {
		s.Close()
		t.Fatal("Open of a junk file succeeded")
	}
	if !errors.Is(err, driver.ErrUnavailable) {
		t.Errorf("Open of a junk file = %v, want an error wrapping ErrUnavailable", err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(junk) {
		t.Error("Open changed a file that is not a database")
	}
}

// TestWriterPragmas checks the settings writerPragmas gives the write
// connection, and that the read pool keeps SQLite's default cache.
func TestWriterPragmas(t *testing.T) {
	s := openStore(t)
	for pragma, want := range map[string]int{"cache_size": -65536, "wal_autocheckpoint": 10000} {
		var got int
		if err := sqlitedriver.Writer(s).Get(&got, `PRAGMA `+pragma); err != nil || got != want {
			t.Errorf("writer: PRAGMA %s = %d, %v; want %d", pragma, got, err, want)
		}
	}
	var pool *sqlx.DB
	var cache int
	if !s.As(&pool) {
		t.Fatal("As(**sqlx.DB) = false")
	}
	if err := pool.Get(&cache, `PRAGMA cache_size`); err != nil || cache != -2000 {
		t.Errorf("read pool: PRAGMA cache_size = %d, %v; want SQLite's default -2000", cache, err)
	}
}
