package drivertest

import (
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

func testRoundTrip(t *testing.T, h *Harness, tr driver.Tier) {
	docs := [][]byte{
		h.doc("plain words", 1),
		h.doc("h\u00e9llo \"quoted\" back\\slash tab\t newline\n \u00e9t\u00e9 \U0001F600", -2),
		h.doc("", 0),
	}
	if h.Document == nil {
		docs = append(docs,
			[]byte(`{"z":1,  "a" : [ 1, 2 ,3 ],"nested":{"b":true,"a":null}}`),
			[]byte("{\n\t\"unicode\": \"h\\u00e9llo \u00e9t\u00e9 \U0001F600\",\n\t\"float\": 1.50e3\n}"),
			[]byte(`[]`),
			[]byte(`"just a string"`),
		)
	}
	for i, d := range docs {
		r := record(newID(), uint64(i+1), d, baseTime)
		if i == 0 {
			r.ParentID = newID()
		}
		if i == 1 {
			r.SessionID = ""
			r.ProjectID = ""
		}
		mustPut(t, tr, r)
		checkSame(t, mustGet(t, tr, r.ID), r)
	}
}

func testMissing(t *testing.T, h *Harness, tr driver.Tier) {
	mustAbsent(t, tr, newID())
	mustPut(t, tr, record(newID(), 1, h.doc("x", 1), baseTime))
	mustAbsent(t, tr, newID())
}

func testNewerReplaces(t *testing.T, h *Harness, tr driver.Tier) {
	id := newID()
	v1 := record(id, 1, h.doc("first", 1), baseTime)
	v2 := record(id, 2, h.doc("second version, longer", 2), baseTime)
	mustPut(t, tr, v1, v2)
	checkSame(t, mustGet(t, tr, id), v2)
}

func testStaleIgnored(t *testing.T, h *Harness, tr driver.Tier) {
	id := newID()
	v5 := record(id, 5, h.doc("newest", 5), baseTime)
	v3 := record(id, 3, h.doc("stale", 3), baseTime)
	mustPut(t, tr, v5)
	if err := tr.Put(ctxFor(t), v3); err != nil {
		t.Fatalf("Put of an older version must be a silent no-op, got %v", err)
	}
	checkSame(t, mustGet(t, tr, id), v5)
}

func testSameVersionIdempotent(t *testing.T, h *Harness, tr driver.Tier) {
	r := record(newID(), 7, h.doc("again", 7), baseTime)
	mustPut(t, tr, r, r, r)
	checkSame(t, mustGet(t, tr, r.ID), r)
	u, err := tr.Usage(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if u.Frames != 1 || u.Bytes != r.Size {
		t.Fatalf("Usage after writing one frame three times = %+v, want 1 frame of %d bytes", u, r.Size)
	}
}

func testDeleteIdempotent(t *testing.T, h *Harness, tr driver.Tier) {
	ctx := ctxFor(t)
	if err := tr.Delete(ctx, newID(), driver.AnyVersion); err != nil {
		t.Fatalf("Delete of a missing frame: %v", err)
	}
	keep := record(newID(), 1, h.doc("keep", 1), baseTime)
	gone := record(newID(), 1, h.doc("gone", 1), baseTime)
	mustPut(t, tr, keep, gone)
	for range 2 {
		if err := tr.Delete(ctx, gone.ID, driver.AnyVersion); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	mustAbsent(t, tr, gone.ID)
	checkSame(t, mustGet(t, tr, keep.ID), keep)
	// A deleted frame can be written again.
	mustPut(t, tr, gone)
	checkSame(t, mustGet(t, tr, gone.ID), gone)
}

func testDeleteKeepsNewer(t *testing.T, h *Harness, tr driver.Tier) {
	ctx := ctxFor(t)
	r := record(newID(), 3, h.doc("moved but rewritten", 3), baseTime)
	mustPut(t, tr, r)
	if err := tr.Delete(ctx, r.ID, 2); err != nil {
		t.Fatalf("Delete(upTo 2): %v", err)
	}
	checkSame(t, mustGet(t, tr, r.ID), r)
	if err := tr.Delete(ctx, r.ID, 3); err != nil {
		t.Fatalf("Delete(upTo 3): %v", err)
	}
	mustAbsent(t, tr, r.ID)
}

func testChecksumCarried(t *testing.T, h *Harness, tr driver.Tier) {
	r := record(newID(), 1, h.doc("sum", 1), baseTime)
	mustPut(t, tr, r)
	got := mustGet(t, tr, r.ID)
	if got.Checksum != driver.Checksum(got.Data) || got.Checksum != r.Checksum {
		t.Fatalf("Checksum = %08x, want %08x (checksum of the data returned: %08x)",
			got.Checksum, r.Checksum, driver.Checksum(got.Data))
	}
}

func testPing(t *testing.T, h *Harness, tr driver.Tier) {
	p, ok := tr.(driver.Pinger)
	if !ok {
		t.Log("tier does not implement driver.Pinger; nothing more to check")
		return
	}
	if err := p.Ping(ctxFor(t)); err != nil {
		t.Fatalf("Ping of an open tier: %v", err)
	}
}
