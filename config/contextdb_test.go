package config_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"

	_ "github.com/ncruces/go-sqlite3/driver" // database/sql "sqlite3", to write an upstream file

	"github.com/stackmemoryai/tier/config"
)

// upstreamLayout is the part of upstream StackMemory's context.db layout
// that identifies it: frames, events and anchors.
const upstreamLayout = `
CREATE TABLE frames (
	frame_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, project_id TEXT NOT NULL,
	parent_frame_id TEXT REFERENCES frames(frame_id), depth INTEGER NOT NULL DEFAULT 0,
	type TEXT NOT NULL, name TEXT NOT NULL, state TEXT DEFAULT 'active',
	inputs TEXT DEFAULT '{}', outputs TEXT DEFAULT '{}', digest_text TEXT, digest_json TEXT DEFAULT '{}',
	created_at INTEGER DEFAULT (unixepoch()), closed_at INTEGER);
CREATE TABLE events (
	event_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, frame_id TEXT NOT NULL, seq INTEGER NOT NULL,
	event_type TEXT NOT NULL, payload TEXT NOT NULL, ts INTEGER DEFAULT (unixepoch()),
	FOREIGN KEY(frame_id) REFERENCES frames(frame_id) ON DELETE CASCADE);
CREATE TABLE anchors (
	anchor_id TEXT PRIMARY KEY, frame_id TEXT NOT NULL, type TEXT NOT NULL, text TEXT NOT NULL,
	priority INTEGER DEFAULT 0, metadata TEXT DEFAULT '{}', created_at INTEGER DEFAULT (unixepoch()),
	FOREIGN KEY(frame_id) REFERENCES frames(frame_id) ON DELETE CASCADE);
`

const (
	upstreamFrame = "0198c6a4-2b1e-7c3d-9e4f-5a6b7c8d9e0f"
	upstreamRun   = "7d3c4a52-9e1f-4b6a-8c2d-0f1e2d3c4b5a"
)

// newUpstreamContextDB writes a context.db as upstream StackMemory would,
// holding one frame with an event and an anchor.
func newUpstreamContextDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "project", ".stackmemory", "context.db")
	if err := mkdir(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		upstreamLayout,
		`INSERT INTO frames (frame_id, run_id, project_id, type, name, inputs, created_at)
		 VALUES ('` + upstreamFrame + `', '` + upstreamRun + `', 'api', 'task', 'fix flaky test', '{"file":"ws_test.go"}', 1764132000)`,
		`INSERT INTO events (event_id, run_id, frame_id, seq, event_type, payload, ts)
		 VALUES ('e1', '` + upstreamRun + `', '` + upstreamFrame + `', 1, 'tool_call', '{"tool":"go test"}', 1764132000123)`,
		`INSERT INTO anchors (anchor_id, frame_id, type, text) VALUES ('a1', '` + upstreamFrame + `', 'DECISION', 'retry the dial')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("write the upstream file: %v", err)
		}
	}
	return path
}

func TestAnUpstreamContextDBIsTieredInPlace(t *testing.T) {
	for _, how := range []string{"file", "environment", "contextdb URL"} {
		t.Run(how, func(t *testing.T) {
			clearEnv(t)
			path := newUpstreamContextDB(t)
			body := `{}`
			switch how {
			case "file":
				body = `{"auth": {}, "storage": {"tiers": {"sqlite": {"path": "` + path + `", "maxFrames": 500}}}}`
			case "environment":
				t.Setenv(config.EnvSQLitePath, path)
			case "contextdb URL":
				body = `{"storage": {"tiers": {"sqlite": {"path": "contextdb://` + path + `?busy_timeout=2s"}}}}`
			}
			c, err := loadString(t, body)
			if err != nil {
				t.Fatal(err)
			}
			c.BackgroundSync = new(bool)
			tc, err := c.Tier()
			if err != nil {
				t.Fatal(err)
			}
			if tc.Tiers[0].Scheme != "contextdb" || filepath.Dir(tc.StatePath) != filepath.Dir(path) {
				t.Errorf("tier 1 scheme %q state %s; want contextdb, state beside the file", tc.Tiers[0].Scheme, tc.StatePath)
			}

			ctx := context.Background()
			m, err := config.Open(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			st, err := m.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Tiers[0].Driver != "contextdb" || st.Tiers[0].Frames != 1 {
				t.Errorf("tier 1 = %s with %d frames; want contextdb with upstream's frame", st.Tiers[0].Driver, st.Tiers[0].Frames)
			}
			f, err := m.Get(ctx, upstreamFrame)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Name    string            `json:"name"`
				Events  []json.RawMessage `json:"events"`
				Anchors []json.RawMessage `json:"anchors"`
			}
			if err := json.Unmarshal(f.Data, &doc); err != nil || doc.Name != "fix flaky test" || len(doc.Events) != 1 || len(doc.Anchors) != 1 {
				t.Errorf("upstream frame read as %s (%v)", f.Data, err)
			}
			if f.SessionID != upstreamRun || f.ProjectID != "api" {
				t.Errorf("frame identity = session %q project %q", f.SessionID, f.ProjectID)
			}
		})
	}
}

func TestOtherFilesStaySQLite(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "frames.db")
	c := config.Default()
	c.SQLite.Path = existing
	c.BackgroundSync = new(bool)
	openAndPut(t, c) // a SQLite file of sqlitedriver
	for _, path := range []string{existing, filepath.Join(dir, "new.db")} {
		c.SQLite.Path = path
		tc, err := c.Tier()
		if err != nil {
			t.Fatal(err)
		}
		if tc.Tiers[0].Scheme != "sqlite" {
			t.Errorf("%s: tier 1 scheme %q, want sqlite", path, tc.Tiers[0].Scheme)
		}
	}
}
