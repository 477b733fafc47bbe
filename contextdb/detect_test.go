package contextdb_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier/contextdb"
	"github.com/stackmemoryai/tier/driver"
)

// snapshot returns the names and contents of the files in dir. The
// content of a -shm file (SQLite's WAL index, shared memory where every
// reader takes a read mark) is left out; its existence is not.
func snapshot(t testing.TB, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if strings.HasSuffix(e.Name(), "-shm") {
			out[e.Name()] = [32]byte{}
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(data)
	}
	return out
}

func sameSnapshot(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestIsContextDB(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh", "context.db")
	createContextDB(t, fresh, upstreamSchema)
	up := upstream(t, fresh)
	generate(t, up, 3, 1, 1)
	if err := up.Close(); err != nil { // upstream is not running: no -wal, no -shm
		t.Fatal(err)
	}
	if _, err := os.Stat(fresh + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("upstream closed, yet %s-wal: %v", fresh, err)
	}
	adopted := newContextDB(t)
	openStore(t, adopted).Close()
	other := filepath.Join(dir, "other", "frames.db")
	createContextDB(t, other, `CREATE TABLE frames (frame_id TEXT PRIMARY KEY, data BLOB)`)
	jsonl := filepath.Join(dir, "frames.jsonl")
	empty := filepath.Join(dir, "empty.db")
	for name, data := range map[string]string{jsonl: `{"frame_id":"x"}` + "\n", empty: ""} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		path string
		want bool
	}{{fresh, true}, {adopted, true}, {other, false}, {jsonl, false}, {empty, false}, {dir, false}} {
		before := snapshot(t, filepath.Dir(tc.path))
		got, err := contextdb.IsContextDB(tc.path)
		if err != nil || got != tc.want {
			t.Errorf("IsContextDB(%s) = %v, %v; want %v, nil", tc.path, got, err, tc.want)
		}
		if after := snapshot(t, filepath.Dir(tc.path)); !sameSnapshot(before, after) {
			t.Errorf("IsContextDB(%s) created or changed files: %v -> %v", tc.path, keys(before), keys(snapshot(t, filepath.Dir(tc.path))))
		}
	}
	if got, err := contextdb.IsContextDB(filepath.Join(dir, "missing.db")); got || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("IsContextDB(missing) = %v, %v; want false and fs.ErrNotExist", got, err)
	}
	// The driver refuses what is not a context.db, without touching it.
	for _, path := range []string{other, jsonl, filepath.Join(dir, "missing.db")} {
		before := snapshot(t, filepath.Dir(path))
		_, err := contextdb.Open(context.Background(), contextdb.Options{Path: path})
		if !errors.Is(err, driver.ErrBadDSN) {
			t.Errorf("Open(%s) = %v, want driver.ErrBadDSN", path, err)
		}
		if after := snapshot(t, filepath.Dir(path)); !sameSnapshot(before, after) {
			t.Errorf("Open(%s) created or changed files", path)
		}
	}
}

func TestFramesReadsAFileWithoutChangingIt(t *testing.T) {
	ctx := context.Background()
	path := newContextDB(t)
	g := generate(t, upstream(t, path), 12, 2, 1)
	before := snapshot(t, filepath.Dir(path))
	var read []driver.Record
	for rec, err := range contextdb.Frames(ctx, path) {
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, rec)
	}
	if after := snapshot(t, filepath.Dir(path)); !sameSnapshot(before, after) {
		t.Fatal("Frames changed the file")
	}
	var ids []string
	for _, r := range read {
		ids = append(ids, r.ID)
		if r.Checksum != driver.Checksum(r.Data) || r.Size != int64(len(r.Data)) || r.Version == 0 {
			t.Fatalf("Frames gave %s with version %d, checksum %08x, size %d for %d bytes", r.ID, r.Version, r.Checksum, r.Size, len(r.Data))
		}
		if want := g.parents[r.ID]; r.ParentID != want {
			t.Fatalf("Frames gave %s parent %q, want %q", r.ID, r.ParentID, want)
		}
	}
	if !slices.Equal(ids, g.frames) {
		t.Fatalf("Frames gave %v, want %v oldest first", ids, g.frames)
	}
	// Adopting the file serves the same documents under the same versions.
	s := openStore(t, path)
	for _, r := range read {
		got := mustGet(t, s, r.ID)
		if string(got.Data) != string(r.Data) || got.Version != r.Version || !got.CreatedAt.Equal(r.CreatedAt) {
			t.Fatalf("after adoption %s is %s v%d, Frames read %s v%d", r.ID, got.Data, got.Version, r.Data, r.Version)
		}
	}
	// On an adopted file Frames gives what the tier serves, a host's own
	// bytes included.
	doc := frameDocument("kept bytes", 1)
	own := driver.Record{Meta: driver.Meta{ID: "ff000000-9999-4999-8999-000000000001", SessionID: "run", ProjectID: "p",
		Version: 42, Checksum: driver.Checksum(doc)}, Data: doc}
	if err := s.Put(ctx, own); err != nil {
		t.Fatal(err)
	}
	found := false
	for rec, err := range contextdb.Frames(ctx, path) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.ID == own.ID {
			found = string(rec.Data) == string(doc) && rec.Version == 42
		}
	}
	if !found {
		t.Fatal("Frames of an adopted file did not give the bytes and version the tier holds")
	}
	// Stopping early is allowed; a file that is not a context.db is an error.
	for range contextdb.Frames(ctx, path) {
		break
	}
	jsonl := filepath.Join(t.TempDir(), "frames.jsonl")
	if err := os.WriteFile(jsonl, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, err := range contextdb.Frames(ctx, jsonl) {
		if !errors.Is(err, contextdb.ErrNotContextDB) {
			t.Fatalf("Frames of a JSON lines file: %v, want ErrNotContextDB", err)
		}
	}
}

func TestAdoptionRecordsItsVersion(t *testing.T) {
	path := newContextDB(t)
	openStore(t, path).Close()
	up := upstream(t, path)
	up.MustExec(`UPDATE tier_adoption SET schema_version = schema_version + 1`)
	_, err := contextdb.Open(context.Background(), contextdb.Options{Path: path})
	if !errors.Is(err, contextdb.ErrSchemaTooNew) {
		t.Fatalf("Open of a file adopted by a newer release = %v, want ErrSchemaTooNew", err)
	}
}

func TestUpstreamMigrationIsFollowed(t *testing.T) {
	path := newContextDB(t)
	up := upstream(t, path)
	g := generate(t, up, 4, 1, 1)
	s := openStore(t, path)
	old := mustGet(t, s, g.frames[1])
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A later upstream release adds project_id to anchors.
	up.MustExec(`ALTER TABLE anchors ADD COLUMN project_id TEXT`)
	up.MustExec(`UPDATE anchors SET project_id = 'acme-api'`)
	s = openStore(t, path)
	got := mustGet(t, s, g.frames[1])
	if got.Version <= old.Version || !contains(got.Data, `"project_id":"acme-api"`) {
		t.Fatalf("after upstream's migration: v%d (was v%d) %s", got.Version, old.Version, got.Data)
	}
	// Upstream keeps inserting with its new column; the tier follows.
	up.MustExec(`INSERT INTO anchors (anchor_id, frame_id, type, text, project_id) VALUES ('a-new', ?, 'FACT', 'new column', 'acme-api')`, g.frames[1])
	if again := mustGet(t, s, g.frames[1]); again.Version <= got.Version || !contains(again.Data, `"a-new"`) {
		t.Fatalf("after upstream's insert: v%d %s", again.Version, again.Data)
	}
}

func TestProcessesAdoptingAtOnce(t *testing.T) {
	path := newContextDB(t)
	generate(t, upstream(t, path), 30, 2, 1)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := contextdb.Open(context.Background(), contextdb.Options{Path: path})
			if err == nil {
				_, err = s.Usage(context.Background())
				err = errors.Join(err, s.Close())
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	var rows int
	if err := upstream(t, path).Get(&rows, `SELECT count(*) FROM tier_adoption`); err != nil || rows != 1 {
		t.Fatalf("tier_adoption has %d rows (%v), want 1: adopted once", rows, err)
	}
}

func contains(data []byte, s string) bool { return strings.Contains(string(data), s) }

func keys(m map[string][32]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
