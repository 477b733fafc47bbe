package pgdriver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
)

// TestRoundTripExactBytes checks that a document comes back byte for byte,
// though PostgreSQL's JSONB would reorder its keys and drop its spacing.
func TestRoundTripExactBytes(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	docs := []string{
		`{"z":1,  "a" : [ 3,2,1 ],"m":{"b":true,"a":null}}`,
		"{\n\t\"task\": \"caf\\u00e9 \\ud83d\\ude00 na\u00efve\",\r\n  \"n\": 1.50e+2 }\n",
		`{"nul":"a\u0000b","dup":1,"dup":2}`,
		`["not", "an", "object"]`,
		`"just a string"`,
		`{}`,
		`not json at all`,
		"",
		`{"big":"` + strings.Repeat("abc ", 2000) + `"}`, // stored compressed
	}
	var ids []string
	for i, doc := range docs {
		rec := record(newID(), uint64(i+1), doc)
		rec.SessionID = newID()
		rec.ParentID = newID()
		ids = append(ids, rec.ID)
		if err := s.Put(ctx, rec); err != nil {
			t.Fatalf("Put %q: %v", doc, err)
		}
		got, ok, err := s.Get(ctx, rec.ID)
		if err != nil || !ok {
			t.Fatalf("Get %q: ok=%v err=%v", doc, ok, err)
		}
		if !bytes.Equal(got.Data, rec.Data) {
			t.Errorf("Get returned %q, want %q", got.Data, rec.Data)
		}
		want := rec.Meta
		if got.Meta != want {
			t.Errorf("Get meta = %+v, want %+v", got.Meta, want)
		}
	}
	recs, err := s.GetMany(ctx, append(ids, newID(), "not-a-uuid"))
	if err != nil || len(recs) != len(docs) {
		t.Fatalf("GetMany: %d records, err %v; want %d", len(recs), err, len(docs))
	}
	for _, r := range recs {
		if driver.Checksum(r.Data) != r.Checksum {
			t.Errorf("GetMany %s: document does not match its checksum", r.ID)
		}
	}
}

// TestLargeFrameStoredCompressed checks that a large document takes less
// room than itself and that brotli bytes pass through without being
// compressed twice.
func TestLargeFrameStoredCompressed(t *testing.T) {
	s, url := newStoreURL(t)
	ctx := context.Background()
	var doc strings.Builder
	doc.WriteString(`{"events":[`)
	for i := 0; doc.Len() < 100_000; i++ {
		if i > 0 {
			doc.WriteString(",")
		}
		doc.WriteString(`{"type":"tool_call","tool":"read_file","path":"src/main.go","ok":true}`)
	}
	doc.WriteString(`]}`)
	rec := record(newID(), 1, doc.String())
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	conn := sqlConn(t, url)
	var stored, size int
	var rawIsNull bool
	err := conn.QueryRow(ctx, `SELECT octet_length(frame_data_compressed), size_bytes, frame_data_raw IS NULL
		FROM frames_archive WHERE frame_id = $1`, rec.ID).Scan(&stored, &size, &rawIsNull)
	if err != nil {
		t.Fatal(err)
	}
	if size != doc.Len() || stored >= size/10 || !rawIsNull {
		t.Errorf("stored %d compressed bytes for a %d-byte document (size_bytes %d, raw null %v)", stored, doc.Len(), size, rawIsNull)
	}
	got, _, err := s.Get(ctx, rec.ID)
	if err != nil || got.Data == nil || string(got.Data) != doc.String() {
		t.Fatalf("Get: err %v, equal %v", err, string(got.Data) == doc.String())
	}
	if len(got.Compressed) != stored {
		t.Errorf("Get filled Compressed with %d bytes, want the %d stored", len(got.Compressed), stored)
	}

	// Bytes given already compressed are stored as they are.
	pass := record(newID(), 1, doc.String())
	pass.Compressed = codec.Compress(pass.Data, 11)
	if err := s.Put(ctx, pass); err != nil {
		t.Fatal(err)
	}
	var kept []byte
	if err := conn.QueryRow(ctx, `SELECT frame_data_compressed FROM frames_archive WHERE frame_id = $1`, pass.ID).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, pass.Compressed) {
		t.Errorf("compressed bytes given to Put were not stored as they are")
	}
}

// TestCorruptCopyNotReturned checks that a copy whose bytes no longer match
// their checksum is reported, not returned.
func TestCorruptCopyNotReturned(t *testing.T) {
	s, url := newStoreURL(t)
	ctx := context.Background()
	small, large := record(newID(), 1, `{"a":1}`), record(newID(), 1, `{"a":"`+strings.Repeat("x", 5000)+`"}`)
	for _, r := range []driver.Record{small, large} {
		if err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	conn := sqlConn(t, url)
	if _, err := conn.Exec(ctx, `UPDATE frames_archive SET frame_data_raw = '{"a":2}' WHERE frame_id = $1`, small.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE frames_archive SET frame_data_compressed = substr(frame_data_compressed, 1, 10) WHERE frame_id = $1`, large.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{small.ID, large.ID} {
		rec, ok, err := s.Get(ctx, id)
		if !errors.Is(err, driver.ErrCorrupt) || ok || rec.Data != nil {
			t.Errorf("Get of a damaged copy: ok=%v data=%q err=%v; want ErrCorrupt", ok, rec.Data, err)
		}
	}
	good := record(newID(), 1, `{"sound":true}`)
	if err := s.Put(ctx, good); err != nil {
		t.Fatal(err)
	}
	recs, err := s.GetMany(ctx, []string{small.ID, good.ID, large.ID})
	var ce *driver.CorruptError
	if !errors.Is(err, driver.ErrCorrupt) || !errors.As(err, &ce) || len(recs) != 1 || recs[0].ID != good.ID {
		t.Fatalf("GetMany of two damaged copies and a sound one: %d records, err %v; want the sound one and a CorruptError", len(recs), err)
	}
	slices.Sort(ce.IDs)
	want := []string{small.ID, large.ID}
	slices.Sort(want)
	if !slices.Equal(ce.IDs, want) {
		t.Errorf("CorruptError names %v, want %v", ce.IDs, want)
	}
}

// TestSchemaContract checks what external tools rely on: frames_archive
// with its four indexes, the JSONB copy and a search vector for every row.
func TestSchemaContract(t *testing.T) {
	s, url := newStoreURL(t)
	ctx := context.Background()
	rec := record(newID(), 1, `{"task":"Refactor the billing module","tags":["payments"]}`)
	rec.SessionID = newID()
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	conn := sqlConn(t, url)
	var vector, projectOK, jsonOK, sessionOK bool
	err := conn.QueryRow(ctx, `SELECT search_vector IS NOT NULL AND search_vector @@ to_tsquery('english', 'billing & payments'),
		project_id = 'proj', frame_data->>'task' = 'Refactor the billing module', session_id = $2::uuid
		FROM frames_archive WHERE frame_id = $1`, rec.ID, rec.SessionID).Scan(&vector, &projectOK, &jsonOK, &sessionOK)
	if err != nil {
		t.Fatal(err)
	}
	if !vector || !projectOK || !jsonOK || !sessionOK {
		t.Errorf("row: search vector %v, project %v, jsonb %v, session %v", vector, projectOK, jsonOK, sessionOK)
	}
	want := map[string]string{
		"idx_frames_archive_project": "(project_id)",
		"idx_frames_archive_session": "(session_id)",
		"idx_frames_archive_search":  "USING gin (search_vector)",
		"idx_frames_archive_created": "(created_at)",
	}
	for name, def := range want {
		var got string
		err := conn.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE tablename = 'frames_archive' AND indexname = $1`, name).Scan(&got)
		if err != nil || !strings.Contains(got, def) {
			t.Errorf("index %s: %q (%v), want it to contain %q", name, got, err, def)
		}
	}
	var version int
	if err := conn.QueryRow(ctx, `SELECT max(version) FROM tier_schema_migrations`).Scan(&version); err != nil || version != SchemaVersion {
		t.Errorf("tier_schema_migrations at version %d (%v), want %d", version, err, SchemaVersion)
	}
}

// TestClosedStore checks that every method of a closed Store reports
// ErrClosed, and so does a second Close.
func TestClosedStore(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	id := newID()
	calls := map[string]func() error{
		"Get":        func() error { _, _, err := s.Get(ctx, id); return err },
		"Get bad ID": func() error { _, _, err := s.Get(ctx, "x"); return err },
		"GetMany":    func() error { _, err := s.GetMany(ctx, []string{id}); return err },
		"GetMetas":   func() error { _, err := s.GetMetas(ctx, []string{id}); return err },
		"DeleteMany": func() error { return s.DeleteMany(ctx, []driver.Deletion{{ID: id, UpTo: 1}}) },
		"Subscribe":  func() error { return s.Subscribe(ctx, func(driver.Change) {}) },
		"Put":        func() error { return s.Put(ctx, record(id, 1, `{}`)) },
		"PutMany":    func() error { return s.PutMany(ctx, nil) },
		"Delete":     func() error { return s.Delete(ctx, id, 1) },
		"Touch":      func() error { return s.Touch(ctx, []driver.Access{{ID: id, Count: 1}}) },
		"Candidates": func() error {
			_, err := s.Candidates(ctx, driver.CandidateQuery{Policy: driver.LRU, Limit: 1})
			return err
		},
		"Usage":           func() error { _, err := s.Usage(ctx); return err },
		"Query":           func() error { _, err := s.Query(ctx, driver.Query{Text: "x", Limit: 1}); return err },
		"Ping":            func() error { return s.Ping(ctx) },
		"Compact":         func() error { return s.Compact(ctx) },
		"DeleteOlderThan": func() error { _, err := s.DeleteOlderThan(ctx, time.Now()); return err },
		"Close":           s.Close,
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, driver.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

// TestHighEntropyDocumentStoredAsIs checks that a large document that
// does not compress (random base64) is kept as is, while a large
// repetitive one is compressed; both come back byte for byte.
func TestHighEntropyDocumentStoredAsIs(t *testing.T) {
	s, url := newStoreURL(t)
	ctx := context.Background()
	random := make([]byte, 3<<20)
	_, _ = rand.Read(random)
	docs := map[string]string{
		"random":     `{"blob":"` + base64.StdEncoding.EncodeToString(random) + `"}`,
		"repetitive": `{"log":"` + strings.Repeat("step ok; ", 400_000) + `"}`,
	}
	conn := sqlConn(t, url)
	for name, doc := range docs {
		rec := record(newID(), 1, doc)
		if err := s.Put(ctx, rec); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var compressed bool
		if err := conn.QueryRow(ctx, `SELECT frame_data_compressed IS NOT NULL FROM frames_archive WHERE frame_id = $1`, rec.ID).Scan(&compressed); err != nil {
			t.Fatal(err)
		}
		if compressed != (name == "repetitive") {
			t.Errorf("%s document of %d bytes: stored compressed = %v", name, len(doc), compressed)
		}
		got, ok, err := s.Get(ctx, rec.ID)
		if err != nil || !ok || string(got.Data) != doc {
			t.Errorf("%s: Get: ok=%v err=%v, equal %v", name, ok, err, string(got.Data) == doc)
		}
	}
}
