package contextdb_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// record builds a record of doc for frame id the way the manager would.
func record(id string, version uint64, doc string) driver.Record {
	data := []byte(doc)
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC)
	return driver.Record{
		Meta: driver.Meta{
			ID: id, SessionID: "0b5d3c1e-7a1f-4e2b-9c3d-5e6f7a8b9c0d", ProjectID: "acme-api",
			CreatedAt: at, Version: version, Checksum: driver.Checksum(data), Size: int64(len(data)),
			LastAccess: at, AccessCount: 1,
		},
		Data: data,
	}
}

func TestDocumentsWithoutUpstreamShapeAreRefused(t *testing.T) {
	ctx := context.Background()
	path := newContextDB(t)
	s := openStore(t, path)
	const id = "fb000000-3333-4333-8333-000000000001"
	for _, tc := range []struct {
		doc  string
		want []string // what the error must name
	}{
		{`[1,2]`, []string{"not a JSON object"}},
		{`null`, []string{"not a JSON object"}},
		{`{"task":"refactor","events":[]}`, []string{`lacks "type"`, `lacks "name"`, `lacks "anchors"`, `"task" is not a column`}},
		{`{"type":"task","name":"x","events":{},"anchors":[]}`, []string{`"events" is not an array`}},
		{`{"type":"task","name":"x","events":[{"seq":1}],"anchors":[]}`, []string{`events[0] lacks "event_id"`, `events[0] lacks "event_type"`, `events[0] lacks "payload"`}},
		{`{"type":"task","name":"x","events":[],"anchors":[{"anchor_id":"a1","type":"FACT","text":"t","colour":"red"}]}`, []string{`anchors[0]: "colour" is not a column`}},
		{`{"frame_id":"someone-else","type":"task","name":"x","events":[],"anchors":[]}`, []string{`"frame_id" is "someone-else"`}},
		{`{"run_id":"another-run","type":"task","name":"x","events":[],"anchors":[]}`, []string{`"run_id"`}},
		{`{"created_at":1,"type":"task","name":"x","events":[],"anchors":[]}`, []string{`"created_at"`}},
		{`{"type":"task","name":"x","depth":[1],"events":[],"anchors":[]}`, []string{`"depth": an array is only allowed in a JSON column`}},
		{`{"type":"task","name":"x","events":[{"event_id":"e1","frame_id":"other","seq":1,"event_type":"n","payload":"{}"}],"anchors":[]}`, []string{`events[0].frame_id`}},
	} {
		err := s.Put(ctx, record(id, 1, tc.doc))
		if !errors.Is(err, driver.ErrInvalidRecord) {
			t.Errorf("Put(%s) = %v, want driver.ErrInvalidRecord", tc.doc, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Put(%s): error %q does not say %q", tc.doc, err, w)
			}
		}
	}
	if u, err := s.Usage(ctx); err != nil || u.Frames != 0 {
		t.Fatalf("refused documents left %+v (%v)", u, err)
	}

	// An event that belongs to another frame is refused, and the batch
	// with it writes nothing.
	ok := `{"type":"task","name":"x","events":[{"event_id":"shared-event","seq":1,"event_type":"n","payload":"{}"}],"anchors":[]}`
	if err := s.Put(ctx, record(id, 1, ok)); err != nil {
		t.Fatal(err)
	}
	other := record("fb000000-3333-4333-8333-000000000002", 1, ok)
	third := record("fb000000-3333-4333-8333-000000000003", 1, `{"type":"task","name":"y","events":[],"anchors":[]}`)
	err := s.PutMany(ctx, []driver.Record{third, other})
	if !errors.Is(err, driver.ErrInvalidRecord) || !strings.Contains(err.Error(), "shared-event") {
		t.Fatalf("Put of another frame's event = %v, want driver.ErrInvalidRecord naming it", err)
	}
	mustAbsent(t, s, third.ID)
}

func TestDocumentBytesComeBackUntilUpstreamChangesTheRows(t *testing.T) {
	ctx := context.Background()
	path := newContextDB(t)
	s := openStore(t, path)
	up := upstream(t, path)
	// Keys in another order, spaces, identity left to the record: not the
	// canonical encoding, so the tier keeps these bytes beside the rows.
	doc := `{ "name": "tune the cache",  "type": "task", "inputs": {"ttl": 60},
		"events": [ {"event_id": "ev-1", "seq": 1, "event_type": "note", "payload": {"text": "slow"}, "ts": 1760000000000} ],
		"anchors": [] }`
	rec := record("fc000000-4444-4444-8444-000000000001", 5, doc)
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, rec.ID)
	if string(got.Data) != doc || got.Version != 5 || got.Checksum != rec.Checksum || !got.CreatedAt.Equal(rec.CreatedAt) {
		t.Fatalf("Get = %s v%d created %v, want the bytes put, v5, created %v", got.Data, got.Version, got.CreatedAt, rec.CreatedAt)
	}
	var name, inputs string
	if err := up.QueryRow(`SELECT name, inputs FROM frames WHERE frame_id = ?`, rec.ID).Scan(&name, &inputs); err != nil {
		t.Fatal(err)
	}
	if name != "tune the cache" || inputs != `{"ttl": 60}` {
		t.Fatalf("upstream row holds name %q, inputs %q", name, inputs)
	}

	up.MustExec(`UPDATE events SET payload = '{"text":"fast now"}' WHERE event_id = 'ev-1'`)
	changed := mustGet(t, s, rec.ID)
	if changed.Version <= 5 || !strings.Contains(string(changed.Data), `"payload":{"text":"fast now"}`) ||
		!strings.HasPrefix(string(changed.Data), `{"frame_id":"`+rec.ID+`"`) {
		t.Fatalf("after upstream's change Get = v%d %s; want a newer version of the canonical document", changed.Version, changed.Data)
	}
	if changed.Checksum != driver.Checksum(changed.Data) {
		t.Fatal("checksum does not match the re-encoded document")
	}
	metas, err := s.GetMetas(ctx, []string{rec.ID})
	if err != nil || len(metas) != 1 || metas[0].Version != changed.Version || metas[0].Checksum != changed.Checksum || metas[0].Size != changed.Size {
		t.Fatalf("GetMetas = %+v, %v; want the metadata Get reports", metas, err)
	}
	// A write of the version the manager held loses to upstream's change.
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if again := mustGet(t, s, rec.ID); string(again.Data) != string(changed.Data) {
		t.Fatalf("an older version overwrote upstream's change: %s", again.Data)
	}
}

func TestStorageClassesSurviveARoundTrip(t *testing.T) {
	ctx := context.Background()
	path := newContextDB(t)
	up := upstream(t, path)
	const id = "fd000000-5555-4555-8555-000000000001"
	// Values upstream never meant but SQLite allows: text in integer
	// columns, reals, blobs, JSON columns holding non-JSON, JSON strings,
	// JSON with spaces, and text needing escapes.
	up.MustExec(`INSERT INTO frames (frame_id, run_id, project_id, depth, type, name, state, inputs, outputs, digest_text, digest_json, created_at, closed_at)
		VALUES (?, 'run', 'p', 'two', 'task', ?, NULL, 'not json', '"a json string"', ?, ' {"padded": true} ', 1760000000, 1760000000.25)`,
		id, "tab\there \"quoted\" <html> & \u00e9t\u00e9 \U0001F600 \x01", "line\nbreak")
	up.MustExec(`INSERT INTO events (event_id, run_id, frame_id, seq, event_type, payload, ts) VALUES ('e-blob', 'run', ?, 1.5, 'bin', x'00ff10', 9007199254740993)`, id)
	up.MustExec(`INSERT INTO events (event_id, run_id, frame_id, seq, event_type, payload, ts) VALUES ('e-json', 'run', ?, 2, 'json', '{ "spaced" : [1, 2] }', NULL)`, id)
	up.MustExec(`INSERT INTO anchors (anchor_id, frame_id, type, text, priority, metadata, created_at) VALUES ('a-1', ?, 'FACT', '', -3, '[]', 0)`, id)
	up.MustExec(`INSERT INTO anchors (anchor_id, frame_id, type, text, priority, metadata, created_at) VALUES ('a-2', ?, 'FACT', 'x', 1e300, 'null', -1)`, id)
	up.MustExec(`INSERT INTO anchors (anchor_id, frame_id, type, text, metadata) VALUES ('a-3', ?, 'FACT', 'looks like a blob', '{"$blob":"AA=="}')`, id)
	before := map[string][]string{}
	for table := range upstreamColumns {
		before[table] = dump(t, up, table)
	}
	s := openStore(t, path)
	rec := mustGet(t, s, id)
	for _, want := range []string{`"depth":"two"`, `"state":null`, `"inputs":"not json"`, `"outputs":"\"a json string\""`,
		`"digest_json":" {\"padded\": true} "`, `"closed_at":1760000000.25`, `"payload":{"$blob":"AP8Q"}`, `"seq":1.5`,
		`"payload":{ "spaced" : [1, 2] }`, `"metadata":[]`, `"metadata":"null"`, `"priority":1e+300`, `<html> & `, `\u0001`} {
		if !strings.Contains(string(rec.Data), want) {
			t.Errorf("document %s lacks %s", rec.Data, want)
		}
	}
	if err := s.Delete(ctx, id, driver.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	for table, want := range before {
		if got := dump(t, up, table); !slices.Equal(got, want) {
			t.Errorf("%s after the round trip:\n got %q\nwant %q", table, got, want)
		}
	}
	if got := mustGet(t, s, id); string(got.Data) != string(rec.Data) {
		t.Fatalf("document after the round trip = %s, want %s", got.Data, rec.Data)
	}
}
