package contextdb_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	sqlite3driver "github.com/ncruces/go-sqlite3/driver"

	"github.com/stackmemoryai/tier/contextdb"
	"github.com/stackmemoryai/tier/driver"
)

// An upstream context.db is adopted in place: its frames become records
// whose documents carry their rows, events and anchors.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "contextdb-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "context.db")

	// What upstream StackMemory wrote (a shortened layout).
	db, err := sqlite3driver.Open("file:" + path)
	if err != nil {
		log.Fatal(err)
	}
	_, err = db.Exec(`
CREATE TABLE frames (frame_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, project_id TEXT NOT NULL,
	parent_frame_id TEXT REFERENCES frames(frame_id), type TEXT NOT NULL, name TEXT NOT NULL,
	inputs TEXT DEFAULT '{}', created_at INTEGER, closed_at INTEGER);
CREATE TABLE events (event_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, frame_id TEXT NOT NULL
	REFERENCES frames(frame_id) ON DELETE CASCADE, seq INTEGER NOT NULL, event_type TEXT NOT NULL,
	payload TEXT NOT NULL, ts INTEGER);
CREATE TABLE anchors (anchor_id TEXT PRIMARY KEY, frame_id TEXT NOT NULL REFERENCES frames(frame_id)
	ON DELETE CASCADE, type TEXT NOT NULL, text TEXT NOT NULL, priority INTEGER DEFAULT 0,
	metadata TEXT DEFAULT '{}', created_at INTEGER);
INSERT INTO frames VALUES ('f1', 'run-1', 'acme', NULL, 'task', 'fix the login redirect', '{"files": ["auth.go"]}', 1760000000, NULL);
INSERT INTO events VALUES ('e1', 'run-1', 'f1', 1, 'tool_call', '{"tool":"go test"}', 1760000000123);
INSERT INTO anchors VALUES ('a1', 'f1', 'DECISION', 'keep the session cookie', 2, '{}', 1760000001);`)
	if err != nil {
		log.Fatal(err)
	}
	_ = db.Close()

	if ok, err := contextdb.IsContextDB(path); err != nil || !ok {
		log.Fatal("not a context.db: ", err)
	}
	s, err := contextdb.Open(ctx, contextdb.Options{Path: path})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	rec, _, err := s.Get(ctx, "f1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.SessionID, rec.ProjectID, rec.CreatedAt.Unix())
	fmt.Println(strings.ReplaceAll(string(rec.Data), `,"`, ",\n\""))

	hits, err := s.Query(ctx, driver.Query{Text: "session cookie", Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(hits), hits[0].ID)
	// Output:
	// run-1 acme 1760000000
	// {"frame_id":"f1",
	// "run_id":"run-1",
	// "project_id":"acme",
	// "parent_frame_id":null,
	// "type":"task",
	// "name":"fix the login redirect",
	// "inputs":{"files": ["auth.go"]},
	// "created_at":1760000000,
	// "closed_at":null,
	// "events":[{"event_id":"e1",
	// "run_id":"run-1",
	// "frame_id":"f1",
	// "seq":1,
	// "event_type":"tool_call",
	// "payload":{"tool":"go test"},
	// "ts":1760000000123}],
	// "anchors":[{"anchor_id":"a1",
	// "frame_id":"f1",
	// "type":"DECISION",
	// "text":"keep the session cookie",
	// "priority":2,
	// "metadata":{},
	// "created_at":1760000001}]}
	// 1 f1
}
