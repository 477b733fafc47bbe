package contextdb_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/ext/fts5"

	"github.com/stackmemoryai/tier/contextdb"
)

// upstreamSchema is the layout of upstream StackMemory's context.db as its
// SQLite adapter creates it: frames, events and anchors with cascading
// foreign keys, its indexes, and its own external-content FTS5 table kept
// by triggers.
const upstreamSchema = `
CREATE TABLE frames (
	frame_id TEXT PRIMARY KEY,
	run_id TEXT NOT NULL,
	project_id TEXT NOT NULL,
	parent_frame_id TEXT REFERENCES frames(frame_id),
	depth INTEGER NOT NULL DEFAULT 0,
	type TEXT NOT NULL,
	name TEXT NOT NULL,
	state TEXT DEFAULT 'active',
	inputs TEXT DEFAULT '{}',
	outputs TEXT DEFAULT '{}',
	digest_text TEXT,
	digest_json TEXT DEFAULT '{}',
	created_at INTEGER DEFAULT (unixepoch()),
	closed_at INTEGER
);
CREATE TABLE events (
	event_id TEXT PRIMARY KEY,
	run_id TEXT NOT NULL,
	frame_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	event_type TEXT NOT NULL,
	payload TEXT NOT NULL,
	ts INTEGER DEFAULT (unixepoch()),
	FOREIGN KEY(frame_id) REFERENCES frames(frame_id) ON DELETE CASCADE
);
CREATE TABLE anchors (
	anchor_id TEXT PRIMARY KEY,
	frame_id TEXT NOT NULL,
	type TEXT NOT NULL,
	text TEXT NOT NULL,
	priority INTEGER DEFAULT 0,
	metadata TEXT DEFAULT '{}',
	created_at INTEGER DEFAULT (unixepoch()),
	FOREIGN KEY(frame_id) REFERENCES frames(frame_id) ON DELETE CASCADE
);
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER DEFAULT (unixepoch()));
INSERT INTO schema_version (version) VALUES (2);
CREATE INDEX idx_frames_run ON frames(run_id);
CREATE INDEX idx_frames_project ON frames(project_id);
CREATE INDEX idx_frames_parent ON frames(parent_frame_id);
CREATE INDEX idx_frames_state ON frames(state);
CREATE INDEX idx_frames_created ON frames(created_at DESC);
CREATE INDEX idx_events_frame ON events(frame_id);
CREATE INDEX idx_events_seq ON events(frame_id, seq);
CREATE INDEX idx_anchors_frame ON anchors(frame_id);
CREATE VIRTUAL TABLE frames_fts USING fts5(name, digest_text, inputs, outputs, content='frames', content_rowid='rowid');
CREATE TRIGGER frames_ai AFTER INSERT ON frames BEGIN
	INSERT INTO frames_fts(rowid, name, digest_text, inputs, outputs) VALUES (new.rowid, new.name, new.digest_text, new.inputs, new.outputs);
END;
CREATE TRIGGER frames_ad AFTER DELETE ON frames BEGIN
	INSERT INTO frames_fts(frames_fts, rowid, name, digest_text, inputs, outputs) VALUES ('delete', old.rowid, old.name, old.digest_text, old.inputs, old.outputs);
END;
CREATE TRIGGER frames_au AFTER UPDATE ON frames BEGIN
	INSERT INTO frames_fts(frames_fts, rowid, name, digest_text, inputs, outputs) VALUES ('delete', old.rowid, old.name, old.digest_text, old.inputs, old.outputs);
	INSERT INTO frames_fts(rowid, name, digest_text, inputs, outputs) VALUES (new.rowid, new.name, new.digest_text, new.inputs, new.outputs);
END;
`

// upstream opens path as upstream StackMemory does (better-sqlite3):
// foreign keys enforced, WAL, FTS5 available. It knows nothing of the
// driver.
func upstream(t testing.TB, path string) *sqlx.DB {
	t.Helper()
	db, err := openUpstream(path)
	if err != nil {
		t.Fatalf("open %s as upstream: %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func openUpstream(path string) (*sqlx.DB, error) {
	// A URI, escaped: the path may hold a space, '#' or '?'.
	u := url.URL{Scheme: "file", Path: path}
	db, err := sqlite3driver.Open(u.String(), func(c *sqlite3.Conn) error {
		if err := fts5.Register(c); err != nil {
			return err
		}
		return c.Exec(`PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;`)
	})
	if err != nil {
		return nil, err
	}
	return sqlx.NewDb(db, "sqlite3"), nil
}

// newContextDB creates an upstream-layout context.db in a fresh directory
// and returns its path.
func newContextDB(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".stackmemory", "context.db")
	createContextDB(t, path, upstreamSchema)
	return path
}

func createContextDB(t testing.TB, path, schema string) {
	t.Helper()
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	db := upstream(t, path)
	if _, err := db.Exec(schema); err != nil {
		t.Fatalf("create upstream schema: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// generated describes what generate wrote.
type generated struct {
	frames  []string // frame IDs, oldest first
	runs    []string
	parents map[string]string // frame → parent, for frames that have one
}

// genTime is the creation time of the first generated frame; frame i is
// created i minutes later.
var genTime = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

// generate writes n frames the way upstream does, in trees of five (a
// root and four children of it), each with events and anchors, spread
// over two runs. Values vary the way upstream's do: JSON with and without
// spaces, NULL digests, open and closed frames.
func generate(t testing.TB, db *sqlx.DB, n, eventsPer, anchorsPer int) generated {
	t.Helper()
	g := generated{parents: map[string]string{}, runs: []string{
		"0b5d3c1e-7a1f-4e2b-9c3d-5e6f7a8b9c0d", "1c6e4d2f-8b2a-4f3c-8d4e-6f7a8b9c0d1e",
	}}
	tx := db.MustBegin()
	var root string
	for i := range n {
		id := fmt.Sprintf("f%07d-1111-4111-8111-%012d", i, i)
		run := g.runs[i%2]
		created := genTime.Add(time.Duration(i) * time.Minute)
		var parent any
		depth := 0
		if i%5 == 0 {
			root = id
		} else {
			parent, depth = root, 1
			g.parents[id] = root
		}
		var digest, closed any
		inputs := fmt.Sprintf(`{"task": "step %d of the refactor", "files": ["a.go", "b.go"]}`, i)
		if i%3 != 0 {
			digest = fmt.Sprintf("did step %d", i)
			closed = created.Add(30 * time.Second).Unix()
			inputs = fmt.Sprintf(`{"task":"step %d of the refactor","files":["a.go"]}`, i)
		}
		_, err := tx.Exec(`INSERT INTO frames (frame_id, run_id, project_id, parent_frame_id, depth, type, name, state,
			inputs, outputs, digest_text, digest_json, created_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, run, "acme-api", parent, depth, "task", fmt.Sprintf("frame %d websocket handler", i),
			map[bool]string{true: "closed", false: "active"}[closed != nil],
			inputs, `{"result":"ok"}`, digest, fmt.Sprintf(`{"score":%d.5}`, i), created.Unix(), closed)
		if err != nil {
			t.Fatalf("generate frame %d: %v", i, err)
		}
		for e := range eventsPer {
			_, err := tx.Exec(`INSERT INTO events (event_id, run_id, frame_id, seq, event_type, payload, ts) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				fmt.Sprintf("%s-e%d", id, e), run, id, e+1, "tool_call",
				fmt.Sprintf(`{"tool":"bash","cmd":"go test ./... # %d"}`, e), created.Add(time.Duration(e)*time.Second).UnixMilli())
			if err != nil {
				t.Fatalf("generate event: %v", err)
			}
		}
		for a := range anchorsPer {
			_, err := tx.Exec(`INSERT INTO anchors (anchor_id, frame_id, type, text, priority, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				fmt.Sprintf("%s-a%d", id, a), id, "DECISION", fmt.Sprintf("use channels for frame %d", i), a, `{}`, created.Unix())
			if err != nil {
				t.Fatalf("generate anchor: %v", err)
			}
		}
		g.frames = append(g.frames, id)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return g
}

// openStore opens the driver on path and closes it when the test ends.
func openStore(t testing.TB, path string) *contextdb.Store {
	t.Helper()
	s, err := contextdb.Open(context.Background(), contextdb.Options{Path: path})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
