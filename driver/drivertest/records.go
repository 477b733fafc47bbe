package drivertest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// baseTime is a fixed point in the past; frames of a test are spread after it.
var baseTime = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

// newID returns a random version 4 UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// defaultDocument is the document of the suite when Harness.Document is
// nil: a realistic frame document carrying text once, in a string value,
// and n once, as a number.
func defaultDocument(text string, n int) []byte {
	t, _ := json.Marshal(text)
	return fmt.Appendf(nil, `{"task":%s,"inputs":{"files":["a.go","b.go"],"n":%d},`+
		`"outputs":{"summary":"renamed helpers; tests pass"},"digest":"refactor module","events":[{"kind":"tool","name":"go test"}]}`,
		t, n)
}

// doc returns a document carrying text and n, made by h.Document or, when it
// is nil, by defaultDocument.
func (h *Harness) doc(text string, n int) []byte {
	if h.Document != nil {
		return h.Document(text, n)
	}
	return defaultDocument(text, n)
}

// record builds a record the way the manager would.
func record(id string, version uint64, data []byte, created time.Time) driver.Record {
	return driver.Record{
		Meta: driver.Meta{
			ID:          id,
			SessionID:   "7d3c4a52-9e1f-4b6a-8c2d-0f1e2d3c4b5a",
			ProjectID:   "stackmemory",
			CreatedAt:   created.UTC().Truncate(time.Microsecond),
			Version:     version,
			Checksum:    driver.Checksum(data),
			Size:        int64(len(data)),
			LastAccess:  created.UTC().Truncate(time.Microsecond),
			AccessCount: 1,
			LFUKey:      driver.NewLFUKey(created, 1),
		},
		Data: data,
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, tr driver.Tier, recs ...driver.Record) {
	t.Helper()
	for _, r := range recs {
		if err := tr.Put(ctxFor(t), r); err != nil {
			t.Fatalf("Put(%s v%d): %v", r.ID, r.Version, err)
		}
	}
}

func mustGet(t *testing.T, tr driver.Tier, id string) driver.Record {
	t.Helper()
	r, ok, err := tr.Get(ctxFor(t), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	if !ok {
		t.Fatalf("Get(%s): not found, want the frame", id)
	}
	return r
}

func mustAbsent(t *testing.T, tr driver.Tier, id string) {
	t.Helper()
	_, ok, err := tr.Get(ctxFor(t), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	if ok {
		t.Fatalf("Get(%s): found, want not found", id)
	}
}

// checkSame compares what a tier returned with what was written.
func checkSame(t *testing.T, got, want driver.Record) {
	t.Helper()
	if string(got.Data) != string(want.Data) {
		t.Errorf("Data of %s = %q, want %q", want.ID, got.Data, want.Data)
	}
	g, w := got.Meta, want.Meta
	if g.ID != w.ID || g.SessionID != w.SessionID || g.ProjectID != w.ProjectID || g.ParentID != w.ParentID {
		t.Errorf("identity of %s = (%q %q %q %q), want (%q %q %q %q)", w.ID,
			g.ID, g.SessionID, g.ProjectID, g.ParentID, w.ID, w.SessionID, w.ProjectID, w.ParentID)
	}
	if !g.CreatedAt.Equal(w.CreatedAt) {
		t.Errorf("CreatedAt of %s = %v, want %v", w.ID, g.CreatedAt, w.CreatedAt)
	}
	if g.Version != w.Version || g.Checksum != w.Checksum || g.Size != w.Size {
		t.Errorf("version/checksum/size of %s = %d/%08x/%d, want %d/%08x/%d", w.ID,
			g.Version, g.Checksum, g.Size, w.Version, w.Checksum, w.Size)
	}
}

func ids(ms []driver.Meta) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
