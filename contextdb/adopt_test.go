package contextdb_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/stackmemoryai/tier/driver"
)

// upstreamColumns are the columns of each upstream table before adoption.
var upstreamColumns = map[string][]string{
	"frames": {"frame_id", "run_id", "project_id", "parent_frame_id", "depth", "type", "name", "state",
		"inputs", "outputs", "digest_text", "digest_json", "created_at", "closed_at"},
	"events":  {"event_id", "run_id", "frame_id", "seq", "event_type", "payload", "ts"},
	"anchors": {"anchor_id", "frame_id", "type", "text", "priority", "metadata", "created_at"},
}

// dump returns every row of an upstream table, upstream columns only,
// each value with its storage class, ordered by primary key.
func dump(t testing.TB, db *sqlx.DB, table string) []string {
	t.Helper()
	var parts []string
	for _, c := range upstreamColumns[table] {
		parts = append(parts, `typeof(`+c+`) || ':' || quote(`+c+`)`)
	}
	var out []string
	if err := db.Select(&out, `SELECT `+strings.Join(parts, ` || ' | ' || `)+` FROM `+table+` ORDER BY 1`); err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	return out
}

// schemaOf returns what upstream defined in the file: its tables',
// indexes' and triggers' SQL (frames' aside: ALTER TABLE rewrites it;
// columnsOf compares its columns), and each table's foreign keys.
func schemaOf(t testing.TB, db *sqlx.DB) []string {
	t.Helper()
	var out []string
	if err := db.Select(&out, `SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'tier_%' AND name NOT LIKE 'sqlite_%' AND name != 'frames' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"frames", "events", "anchors"} {
		var fks []string
		if err := db.Select(&fks, `SELECT "table" || '.' || "to" || ' from ' || "from" || ' on delete ' || on_delete
			FROM pragma_foreign_key_list(?) ORDER BY id, seq`, table); err != nil {
			t.Fatal(err)
		}
		out = append(out, table+" fks: "+strings.Join(fks, ", "))
	}
	return out
}

func columnsOf(t testing.TB, db *sqlx.DB, table string) []string {
	t.Helper()
	var cols []string
	if err := db.Select(&cols, `SELECT name || ' ' || type || ' ' || coalesce(dflt_value, 'NULL') FROM pragma_table_info(?) ORDER BY cid`, table); err != nil {
		t.Fatal(err)
	}
	return cols
}

// checkIntegrity runs SQLite's integrity and foreign key checks on a
// connection of its own: a pooled connection of this process may hold a
// stale cache of upstream's FTS5 index after another connection wrote it,
// and report damage a fresh connection does not see.
func checkIntegrity(t testing.TB, path string) {
	t.Helper()
	db := upstream(t, path)
	defer db.Close()
	var ok string
	if err := db.Get(&ok, `PRAGMA integrity_check`); err != nil || ok != "ok" {
		t.Fatalf("integrity_check = %q, %v", ok, err)
	}
	var violations []string
	if err := db.Select(&violations, `SELECT "table" || ' row ' || rowid || ' -> ' || parent FROM pragma_foreign_key_check`); err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		t.Fatalf("foreign key violations: %v", violations)
	}
}

func TestAdoptionAddsOnlyTheSpecColumnsAndOwnTables(t *testing.T) {
	path := newContextDB(t)
	up := upstream(t, path)
	generate(t, up, 20, 3, 2)
	schemaBefore := schemaOf(t, up)
	framesBefore := columnsOf(t, up, "frames")
	rowsBefore := map[string][]string{}
	for table := range upstreamColumns {
		rowsBefore[table] = dump(t, up, table)
	}

	s := openStore(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	openStore(t, path).Close() // opening an adopted file again changes nothing

	if got := schemaOf(t, up); !slices.Equal(got, schemaBefore) {
		t.Fatalf("upstream's tables, indexes, triggers or foreign keys changed:\nbefore %q\nafter  %q", schemaBefore, got)
	}
	wantFrames := append(framesBefore, "tier_status TEXT 'hot'", "last_accessed INTEGER NULL", "access_count INTEGER 1")
	if got := columnsOf(t, up, "frames"); !slices.Equal(got, wantFrames) {
		t.Fatalf("frames columns after adoption = %q\nwant %q", got, wantFrames)
	}
	for table, before := range rowsBefore {
		if got := dump(t, up, table); !slices.Equal(got, before) {
			t.Fatalf("rows of %s changed by adoption", table)
		}
	}
	var tables []string
	if err := up.Select(&tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'tier_%' AND name NOT LIKE 'tier_fts_%' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"tier_adoption", "tier_fts", "tier_metadata"}; !slices.Equal(tables, want) {
		t.Fatalf("tables added = %v, want %v", tables, want)
	}
	var meta []string
	if err := up.Select(&meta, `SELECT frame_id || ' ' || tier_level || ' ' || size_bytes FROM tier_metadata ORDER BY frame_id`); err != nil {
		t.Fatal(err)
	}
	if len(meta) != 20 {
		t.Fatalf("tier_metadata has %d rows, want one per frame (20)", len(meta))
	}
	checkIntegrity(t, path)
}

func TestUpstreamQueriesKeepWorkingOnAnAdoptedFile(t *testing.T) {
	ctx := context.Background()
	path := newContextDB(t)
	up := upstream(t, path)
	g := generate(t, up, 10, 2, 1)
	s := openStore(t, path)

	// Upstream creates a frame, as its SQLite adapter does, with an event
	// and an anchor.
	const id = "fa000000-2222-4222-8222-000000000001"
	up.MustExec(`INSERT INTO frames (frame_id, run_id, project_id, parent_frame_id, depth, type, name, state, inputs, outputs, digest_text, digest_json)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, g.runs[0], "acme-api", g.frames[0], 1, "subtask", "drain the backlog", "active", `{"q":1}`, `{}`, nil, `{}`)
	up.MustExec(`INSERT INTO events (event_id, run_id, frame_id, seq, event_type, payload, ts) VALUES ('ev-new', ?, ?, 1, 'note', '{"text":"started"}', 1760000000000)`, g.runs[0], id)
	up.MustExec(`INSERT INTO anchors (anchor_id, frame_id, type, text, priority) VALUES ('an-new', ?, 'TODO', 'check backlog metrics', 5)`, id)

	var row struct {
		Name        string `db:"name"`
		TierStatus  string `db:"tier_status"`
		AccessCount int64  `db:"access_count"`
		Events      int    `db:"events"`
	}
	if err := up.Get(&row, `SELECT f.name, f.tier_status, f.access_count, count(e.event_id) AS events
		FROM frames f LEFT JOIN events e ON e.frame_id = f.frame_id WHERE f.frame_id = ? GROUP BY f.frame_id`, id); err != nil {
		t.Fatalf("upstream join: %v", err)
	}
	if row.Name != "drain the backlog" || row.TierStatus != "hot" || row.AccessCount != 1 || row.Events != 1 {
		t.Fatalf("upstream sees %+v", row)
	}
	var hits int
	if err := up.Get(&hits, `SELECT count(*) FROM frames_fts WHERE frames_fts MATCH 'backlog'`); err != nil || hits != 1 {
		t.Fatalf("upstream's own full-text search found %d, %v; want 1", hits, err)
	}

	rec := mustGet(t, s, id)
	doc := decode(t, rec.Data)
	if doc["name"] != "drain the backlog" || rec.ParentID != g.frames[0] || rec.SessionID != g.runs[0] || rec.ProjectID != "acme-api" {
		t.Fatalf("the tier sees %s (parent %q, session %q)", rec.Data, rec.ParentID, rec.SessionID)
	}
	if evs := doc["events"].([]any); len(evs) != 1 || evs[0].(map[string]any)["payload"].(map[string]any)["text"] != "started" {
		t.Fatalf("events of the upstream frame = %v", doc["events"])
	}
	if u, err := s.Usage(ctx); err != nil || u.Frames != 11 {
		t.Fatalf("Usage = %+v, %v; want 11 frames", u, err)
	}
	if hits, err := s.Query(ctx, driver.Query{Text: "backlog metrics", Limit: 10}); err != nil || len(hits) != 1 || hits[0].ID != id {
		t.Fatalf("tier search for the upstream frame = %d hits, %v", len(hits), err)
	}

	// Upstream closes the frame and logs another event: the tier serves the
	// new rows under a newer version.
	up.MustExec(`UPDATE frames SET state = 'closed', closed_at = 1760000100, digest_text = 'backlog drained' WHERE frame_id = ?`, id)
	up.MustExec(`INSERT INTO events (event_id, run_id, frame_id, seq, event_type, payload, ts) VALUES ('ev-new-2', ?, ?, 2, 'note', '{"text":"done"}', 1760000100000)`, g.runs[0], id)
	again := mustGet(t, s, id)
	doc = decode(t, again.Data)
	if again.Version <= rec.Version || doc["digest_text"] != "backlog drained" || len(doc["events"].([]any)) != 2 {
		t.Fatalf("after upstream's update: version %d (was %d), document %s", again.Version, rec.Version, again.Data)
	}
	if again.Checksum != driver.Checksum(again.Data) || again.Size != int64(len(again.Data)) {
		t.Fatal("the re-encoded document does not carry its own checksum and size")
	}

	// Access statistics reach the spec's columns.
	if err := s.Touch(ctx, []driver.Access{{ID: id, At: time.Unix(1760000200, 0), Count: 3}}); err != nil {
		t.Fatal(err)
	}
	var last, count int64
	if err := up.QueryRow(`SELECT last_accessed, access_count FROM frames WHERE frame_id = ?`, id).Scan(&last, &count); err != nil {
		t.Fatal(err)
	}
	if last != 1760000200 || count != 4 {
		t.Fatalf("frames.last_accessed, access_count = %d, %d; want 1760000200, 4", last, count)
	}
	if got := mustGet(t, s, id); got.Version != again.Version {
		t.Fatalf("a read counted as a change: version %d, was %d", got.Version, again.Version)
	}

	// Upstream deletes a frame; its events and anchors cascade; the tier
	// forgets it.
	leaf := g.frames[len(g.frames)-1]
	up.MustExec(`DELETE FROM frames WHERE frame_id = ?`, leaf)
	var left int
	if err := up.Get(&left, `SELECT (SELECT count(*) FROM events WHERE frame_id = ?1) + (SELECT count(*) FROM anchors WHERE frame_id = ?1)`, leaf); err != nil || left != 0 {
		t.Fatalf("cascade left %d rows, %v", left, err)
	}
	mustAbsent(t, s, leaf)
	if u, err := s.Usage(ctx); err != nil || u.Frames != 10 {
		t.Fatalf("Usage after upstream's delete = %+v, %v; want 10 frames", u, err)
	}
	checkIntegrity(t, path)
}

func TestDemotedFramesComeBackRowForRow(t *testing.T) {
	ctx := context.Background()
	path := newContextDB(t)
	up := upstream(t, path)
	g := generate(t, up, 25, 3, 2)
	before := map[string][]string{}
	for table := range upstreamColumns {
		before[table] = dump(t, up, table)
	}
	s := openStore(t, path)
	saved := map[string]driver.Record{}
	recs, err := s.GetMany(ctx, g.frames)
	if err != nil || len(recs) != len(g.frames) {
		t.Fatalf("GetMany = %d records, %v", len(recs), err)
	}
	for _, r := range recs {
		saved[r.ID] = r
	}

	// Demote everything the way the manager does: candidates, then delete.
	// Children leave before their parents, so the file's foreign keys hold
	// at every step.
	for round := 0; ; round++ {
		metas, err := s.Candidates(ctx, driver.CandidateQuery{Policy: driver.AGE, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		if len(metas) == 0 {
			break
		}
		if round > len(g.frames) {
			t.Fatal("demotion does not end")
		}
		var dels []driver.Deletion
		for _, m := range metas {
			var children int
			if err := up.Get(&children, `SELECT count(*) FROM frames WHERE parent_frame_id = ?`, m.ID); err != nil || children != 0 {
				t.Fatalf("candidate %s still has %d children in the file (%v)", m.ID, children, err)
			}
			dels = append(dels, driver.Deletion{ID: m.ID, UpTo: m.Version})
		}
		if err := s.DeleteMany(ctx, dels); err != nil {
			t.Fatal(err)
		}
		checkIntegrity(t, path)
	}
	for table := range upstreamColumns {
		if rows := dump(t, up, table); len(rows) != 0 {
			t.Fatalf("%s still has %d rows after every frame left", table, len(rows))
		}
	}
	if u, err := s.Usage(ctx); err != nil || u != (driver.Usage{}) {
		t.Fatalf("Usage of the emptied file = %+v, %v", u, err)
	}

	// Bring them back, children first (the order a pre-fetch may use).
	back := make([]driver.Record, 0, len(saved))
	for i := len(g.frames) - 1; i >= 0; i-- {
		back = append(back, saved[g.frames[i]])
	}
	if err := s.PutMany(ctx, back); err != nil {
		t.Fatal(err)
	}
	for table, want := range before {
		if got := dump(t, up, table); !slices.Equal(got, want) {
			t.Fatalf("%s rows after the round trip differ:\n got %q\nwant %q", table, got, want)
		}
	}
	for _, id := range g.frames {
		got := mustGet(t, s, id)
		if string(got.Data) != string(saved[id].Data) || got.Version != saved[id].Version || got.Checksum != saved[id].Checksum {
			t.Fatalf("frame %s came back as %s (v%d), want %s (v%d)", id, got.Data, got.Version, saved[id].Data, saved[id].Version)
		}
	}
	var kept int
	if err := up.Get(&kept, `SELECT count(*) FROM tier_metadata WHERE document IS NOT NULL`); err != nil || kept != 0 {
		t.Fatalf("%d frames keep a copy of their document beside their rows (%v); canonical documents need none", kept, err)
	}
	checkIntegrity(t, path)
}

func decode(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("document %s: %v", data, err)
	}
	return m
}

func mustGet(t testing.TB, s driver.Tier, id string) driver.Record {
	t.Helper()
	r, ok, err := s.Get(context.Background(), id)
	if err != nil || !ok {
		t.Fatalf("Get(%s) = ok %v, %v; want the frame", id, ok, err)
	}
	return r
}

func mustAbsent(t testing.TB, s driver.Tier, id string) {
	t.Helper()
	if _, ok, err := s.Get(context.Background(), id); err != nil || ok {
		t.Fatalf("Get(%s) = ok %v, %v; want not found", id, ok, err)
	}
}

// Project directories have spaces and odd characters in their names: the
// context.db in one is adopted and written like any other.
func TestContextDBInADirectoryWithSpacesAndURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "My Project #2?x=%41", ".stackmemory", "context.db")
	createContextDB(t, path, upstreamSchema)
	s := openStore(t, path)
	ctx := context.Background()
	rec := record("6f1c0d2e-4b8a-4e6f-9d3c-2a1b0c9d8e7f", 1, string(frameDocument("spaces", 1)))
	if err := s.Put(ctx, rec); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, ok, err := s.Get(ctx, rec.ID)
	if err != nil || !ok || got.Version != 1 {
		t.Fatalf("Get = version %d, %v, %v; want version 1", got.Version, ok, err)
	}
}
