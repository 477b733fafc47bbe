package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sqlite3driver "github.com/ncruces/go-sqlite3/driver"

	"github.com/stackmemoryai/tier"
)

// upstreamLayout is the part of upstream StackMemory's context.db layout
// that matters here: frames, events and anchors, with their foreign keys.
const upstreamLayout = `
CREATE TABLE frames (
	frame_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, project_id TEXT NOT NULL,
	parent_frame_id TEXT REFERENCES frames(frame_id), depth INTEGER NOT NULL DEFAULT 0,
	type TEXT NOT NULL, name TEXT NOT NULL, state TEXT DEFAULT 'active',
	inputs TEXT DEFAULT '{}', outputs TEXT DEFAULT '{}', digest_text TEXT,
	digest_json TEXT DEFAULT '{}', created_at INTEGER DEFAULT (unixepoch()), closed_at INTEGER);
CREATE TABLE events (
	event_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, frame_id TEXT NOT NULL, seq INTEGER NOT NULL,
	event_type TEXT NOT NULL, payload TEXT NOT NULL, ts INTEGER DEFAULT (unixepoch()),
	FOREIGN KEY(frame_id) REFERENCES frames(frame_id) ON DELETE CASCADE);
CREATE TABLE anchors (
	anchor_id TEXT PRIMARY KEY, frame_id TEXT NOT NULL, type TEXT NOT NULL, text TEXT NOT NULL,
	priority INTEGER DEFAULT 0, metadata TEXT DEFAULT '{}', created_at INTEGER DEFAULT (unixepoch()),
	FOREIGN KEY(frame_id) REFERENCES frames(frame_id) ON DELETE CASCADE);
`

// upstreamFrame is a frame written into a generated context.db.
type upstreamFrame struct {
	id, run, parent string
	created         time.Time
}

// sqliteFile creates a SQLite database at path with schema and
// statements, the way another program would.
func sqliteFile(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sqlite3driver.Open("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%v: %s", err, s)
		}
	}
}

// newUpstreamContextDB writes a context.db with n frames in two runs, in
// trees (frame i's parent is frame i-i%3), each with two events and an
// anchor, and returns its path and frames, oldest first.
func newUpstreamContextDB(t *testing.T, n int) (string, []upstreamFrame) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".stackmemory", "context.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	runs := []string{tier.NewID(), tier.NewID()}
	start := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	stmts := []string{upstreamLayout}
	var frames []upstreamFrame
	for i := range n {
		f := upstreamFrame{id: tier.NewID(), run: runs[i%2], created: start.Add(time.Duration(i) * time.Minute)}
		parent := "NULL"
		if i%3 != 0 {
			f.parent = frames[i-i%3].id
			parent = "'" + f.parent + "'"
		}
		frames = append(frames, f)
		stmts = append(stmts,
			fmt.Sprintf(`INSERT INTO frames (frame_id, run_id, project_id, parent_frame_id, depth, type, name, inputs, outputs, digest_text, created_at)
				VALUES ('%s', '%s', 'upstream', %s, %d, 'task', 'step %d of the websocket fix', '{"file": "ws.go"}', '{"ok":true}', 'digest %d', %d)`,
				f.id, f.run, parent, min(i%3, 1), i, i, f.created.Unix()),
			fmt.Sprintf(`INSERT INTO events VALUES ('%s', '%s', '%s', 1, 'tool_call', '{"tool":"edit"}', %d)`, tier.NewID(), f.run, f.id, f.created.UnixMilli()),
			fmt.Sprintf(`INSERT INTO events VALUES ('%s', '%s', '%s', 2, 'tool_result', '{"ok": true}', %d)`, tier.NewID(), f.run, f.id, f.created.UnixMilli()+5),
			fmt.Sprintf(`INSERT INTO anchors VALUES ('%s', '%s', 'DECISION', 'keep the retry', 2, '{}', %d)`, tier.NewID(), f.id, f.created.Unix()),
		)
	}
	sqliteFile(t, path, stmts...)
	return path, frames
}

func TestImportContextDB(t *testing.T) {
	path, frames := newUpstreamContextDB(t, 12)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	r := c.ok("", "storage", "import", path)
	if !strings.Contains(r.stdout, "imported 12 frames from 1 file") {
		t.Errorf("import of a context.db printed:\n%s%s", r.stdout, r.stderr)
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("import changed the context.db (%v)", err)
	}
	if st := status(t, c); st.Tiers[0].Frames != 12 {
		t.Errorf("tier 1 holds %d frames after importing 12", st.Tiers[0].Frames)
	}
	for _, f := range frames {
		out := c.ok("", "storage", "retrieve", "--json", f.id).stdout
		var got struct {
			ID        string    `json:"frame_id"`
			Session   string    `json:"session_id"`
			Project   string    `json:"project_id"`
			Parent    string    `json:"parent_frame_id"`
			CreatedAt time.Time `json:"created_at"`
			Data      struct {
				FrameID string            `json:"frame_id"`
				Name    string            `json:"name"`
				Inputs  map[string]string `json:"inputs"`
				Events  []json.RawMessage `json:"events"`
				Anchors []json.RawMessage `json:"anchors"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("retrieve --json %s: %v\n%s", f.id, err, out)
		}
		if got.ID != f.id || got.Session != f.run || got.Project != "upstream" || got.Parent != f.parent || !got.CreatedAt.Equal(f.created) {
			t.Errorf("frame %s came in as %+v, want run %s parent %q created %v", f.id, got, f.run, f.parent, f.created)
		}
		if got.Data.FrameID != f.id || got.Data.Inputs["file"] != "ws.go" || len(got.Data.Events) != 2 || len(got.Data.Anchors) != 1 {
			t.Errorf("document of %s: %s", f.id, out)
		}
	}
	if ids := searchIDs(t, c, "websocket", "--session", frames[1].run, "--limit", "100"); len(ids) != 6 {
		t.Errorf("search in the imported frames of one run found %d, want 6", len(ids))
	}
	// Importing again replaces, it does not duplicate.
	c.ok("", "storage", "import", path)
	if st := status(t, c); st.Tiers[0].Frames != 12 {
		t.Errorf("tier 1 holds %d frames after importing the same file twice", st.Tiers[0].Frames)
	}
	// The file tier 1 already adopts is refused.
	c.run("", "--sqlite", path, "storage", "import", path).want(t, exitUsage, "import of tier 1's own context.db")
}

func TestSQLiteWhereLinesAreExpected(t *testing.T) {
	ctxdb, _ := newUpstreamContextDB(t, 2)
	other := filepath.Join(t.TempDir(), "notes.db")
	sqliteFile(t, other, `CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)`, `INSERT INTO notes VALUES ('a', 'b')`)
	c := newCLI(t)
	for _, file := range []string{ctxdb, other} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		r := c.run(string(b), "storage", "put").want(t, exitUsage, "put of a SQLite file on stdin")
		if !strings.Contains(r.stderr, "stdin is a SQLite database") || !strings.Contains(r.stderr, "storage import") || strings.Contains(r.stderr, "line ") {
			t.Errorf("put of a SQLite file: %s", r.stderr)
		}
	}
	r := c.run("", "storage", "import", other).want(t, exitUsage, "import of a SQLite file that is not a context.db")
	if !strings.Contains(r.stderr, "notes.db is a SQLite database but not a StackMemory context.db") || strings.Contains(r.stderr, "line") && !strings.Contains(r.stderr, "JSON lines") {
		t.Errorf("import of another SQLite file: %s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(c.home, ".stackmemory", "frames.db")); err == nil {
		t.Errorf("a refused import opened the tiers")
	}
}
