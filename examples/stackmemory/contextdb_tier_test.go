package main

import (
	"strings"
	"testing"

	sqlite3driver "github.com/ncruces/go-sqlite3/driver"

	"github.com/stackmemoryai/tier/internal/testenv"
)

// upstreamRows returns upstream's rows of the frames of run, with their
// events and anchors, one JSON array per row, in a stable order.
func upstreamRows(t *testing.T, path, run string) []string {
	t.Helper()
	db, err := sqlite3driver.Open("file:" + path + "?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, q := range []string{
		`SELECT json_array(frame_id, run_id, project_id, parent_frame_id, depth, type, name, state, inputs, outputs, digest_text, digest_json, created_at, closed_at)
			FROM frames WHERE run_id = ? ORDER BY frame_id`,
		`SELECT json_array(e.event_id, e.run_id, e.frame_id, e.seq, e.event_type, e.payload, e.ts)
			FROM events e JOIN frames f USING (frame_id) WHERE f.run_id = ? ORDER BY e.event_id`,
		`SELECT json_array(a.anchor_id, a.frame_id, a.type, a.text, a.priority, a.metadata, a.created_at)
			FROM anchors a JOIN frames f USING (frame_id) WHERE f.run_id = ? ORDER BY a.anchor_id`,
	} {
		rows, err := db.Query(q, run)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The done-when of issue 12, as a user runs it: the CLI pointed at an
// upstream context.db counts its frames, retrieves them, migrates them all
// to PostgreSQL leaving the file empty, and brings a session back with its
// rows exactly as they were.
func TestContextDBTieredInPlace(t *testing.T) {
	path, frames := newUpstreamContextDB(t, 12)
	run := frames[0].run
	rowsBefore := upstreamRows(t, path, run)
	c := newCLI(t, "STACKMEMORY_SQLITE_PATH="+path, "STACKMEMORY_POSTGRES_URL="+testenv.PostgresURL(t))

	if got := tierFrames(status(t, c)); got[1] != 12 || got[2] != 0 {
		t.Fatalf("status of the context.db: frames per tier %v, want 12 in tier 1", got)
	}
	docs := map[string]string{}
	for _, f := range frames {
		doc := c.ok("", "storage", "retrieve", f.id).stdout
		if !strings.Contains(doc, `"events"`) || !strings.Contains(doc, `"anchors"`) || !strings.Contains(doc, f.id) {
			t.Errorf("document of %s lacks its row, events or anchors: %s", f.id, doc)
		}
		docs[f.id] = doc
	}

	if rep := migrate(t, c, "--tier", "2"); rep.Moved != 12 {
		t.Fatalf("migrate --tier 2 (PostgreSQL): %+v", rep)
	}
	if rows := upstreamRows(t, path, run); len(rows) != 0 {
		t.Errorf("after migrating everything the file still holds rows of the run: %v", rows)
	}
	if got := tierFrames(status(t, c)); got[1] != 0 || got[2] != 12 {
		t.Errorf("after migrate: frames per tier %v, want 12 in PostgreSQL", got)
	}
	for _, f := range frames {
		if doc := c.ok("", "storage", "retrieve", f.id).stdout; doc != docs[f.id] {
			t.Errorf("document of %s from PostgreSQL:\n got %s\nwant %s", f.id, doc, docs[f.id])
		}
	}

	c.ok("", "storage", "warm", "--session", run)
	if rows := upstreamRows(t, path, run); strings.Join(rows, "\n") != strings.Join(rowsBefore, "\n") {
		t.Errorf("warm did not restore the run's rows exactly:\n got %v\nwant %v", rows, rowsBefore)
	}
}
