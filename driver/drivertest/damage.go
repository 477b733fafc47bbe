package drivertest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// testCorrupt checks that a damaged copy is reported with driver.ErrCorrupt
// and never returned, alone and inside a batch, where the sound copies
// still come back.
func testCorrupt(t *testing.T, h *Harness, tr driver.Tier) {
	if h.Corrupt == nil {
		t.Fatal("drivertest: Harness.Corrupt is nil; it is required: give a function that damages the stored copy of a frame")
	}
	ctx := ctxFor(t)
	good1 := record(newID(), 1, h.doc("sound first", 1), baseTime)
	bad := record(newID(), 1, h.doc("damaged", 2), baseTime)
	good2 := record(newID(), 1, h.doc("sound second", 3), baseTime)
	mustPut(t, tr, good1, bad, good2)
	h.Corrupt(t, tr, bad.ID)

	rec, ok, err := tr.Get(ctx, bad.ID)
	if !errors.Is(err, driver.ErrCorrupt) {
		t.Errorf("Get of a damaged copy = ok %v, %v; want an error wrapping driver.ErrCorrupt", ok, err)
	}
	if ok || len(rec.Data) != 0 || len(rec.Compressed) != 0 {
		t.Errorf("Get of a damaged copy returned ok %v and %d bytes; want no frame and no bytes", ok, len(rec.Data)+len(rec.Compressed))
	}
	checkSame(t, mustGet(t, tr, good1.ID), good1)

	if b, isBatcher := tr.(driver.Batcher); isBatcher {
		got, err := b.GetMany(ctx, []string{good1.ID, bad.ID, newID(), good2.ID})
		var ce *driver.CorruptError
		switch {
		case !errors.As(err, &ce):
			t.Errorf("GetMany with a damaged copy: error %v (%T); want a *driver.CorruptError", err, err)
		case !slices.Equal(ce.IDs, []string{bad.ID}):
			t.Errorf("GetMany with a damaged copy: CorruptError.IDs = %v; want exactly [%s]", ce.IDs, bad.ID)
		}
		if !errors.Is(err, driver.ErrCorrupt) {
			t.Errorf("GetMany with a damaged copy: errors.Is(%v, driver.ErrCorrupt) is false", err)
		}
		want := map[string]driver.Record{good1.ID: good1, good2.ID: good2}
		for _, g := range got {
			w, ok := want[g.ID]
			if !ok {
				t.Errorf("GetMany with a damaged copy returned frame %s; want only the sound copies %s and %s", g.ID, good1.ID, good2.ID)
				continue
			}
			checkSame(t, g, w)
			delete(want, g.ID)
		}
		for id := range want {
			t.Errorf("GetMany with a damaged copy left out the sound copy %s; want every sound copy", id)
		}
	}

	if q, isQuerier := tr.(driver.Querier); isQuerier {
		for _, query := range []driver.Query{{Limit: 10}, {Text: "damaged OR sound", Limit: 10}} {
			hits, err := q.Query(ctx, query)
			if err != nil && !errors.Is(err, driver.ErrCorrupt) {
				t.Errorf("Query(%q) with a damaged copy among the frames: %v; want the sound copies, or an error wrapping driver.ErrCorrupt", query.Text, err)
			}
			for _, hit := range hits {
				if hit.ID == bad.ID {
					t.Errorf("Query(%q) returned the damaged copy of %s; a damaged copy is never returned", query.Text, bad.ID)
				}
			}
		}
	}

	// The manager drops a damaged copy it has replaced elsewhere.
	if err := tr.Delete(ctx, bad.ID, driver.AnyVersion); err != nil {
		t.Fatalf("Delete of a damaged copy: %v", err)
	}
	mustAbsent(t, tr, bad.ID)
}

// testEvicted checks, for a tier whose store forgets on its own, that a
// frame of which part was evicted is missing, never corrupt, everywhere.
func testEvicted(t *testing.T, h *Harness, tr driver.Tier) {
	if h.Evict == nil {
		t.Log("Harness.Evict is nil: the tier never forgets on its own; nothing to check")
		return
	}
	ctx := ctxFor(t)
	kept := record(newID(), 1, h.doc("kept", 1), baseTime)
	gone := record(newID(), 1, h.doc("evicted", 2), baseTime.Add(time.Hour))
	mustPut(t, tr, kept, gone)
	h.Evict(t, tr, gone.ID)

	if _, ok, err := tr.Get(ctx, gone.ID); ok || err != nil {
		t.Errorf("Get of an evicted frame = ok %v, %v; want not found and no error", ok, err)
	}
	if b, ok := tr.(driver.Batcher); ok {
		got, err := b.GetMany(ctx, []string{kept.ID, gone.ID})
		if err != nil || len(got) != 1 || got[0].ID != kept.ID {
			t.Errorf("GetMany(kept, evicted) = %v, %v; want only %s and no error", recordIDs(got), err, kept.ID)
		}
	}
	if m, ok := tr.(driver.MetaGetter); ok {
		got, err := m.GetMetas(ctx, []string{kept.ID, gone.ID})
		if err != nil || len(got) != 1 || got[0].ID != kept.ID {
			t.Errorf("GetMetas(kept, evicted) = %v, %v; want only %s and no error", ids(got), err, kept.ID)
		}
	}
	if u, err := tr.Usage(ctx); err != nil || u != (driver.Usage{Frames: 1, Bytes: kept.Size}) {
		t.Errorf("Usage after an eviction = %+v, %v; want 1 frame of %d bytes (the evicted one not counted)", u, err, kept.Size)
	}
	for _, p := range []driver.Policy{driver.LRU, driver.LFU, driver.AGE} {
		got, err := tr.Candidates(ctx, driver.CandidateQuery{Policy: p, Limit: 10})
		if err != nil || !slices.Equal(ids(got), []string{kept.ID}) {
			t.Errorf("Candidates(%s) after an eviction = %v, %v; want only %s", p, ids(got), err, kept.ID)
		}
	}
	if err := tr.Delete(ctx, gone.ID, driver.AnyVersion); err != nil {
		t.Errorf("Delete of an evicted frame: %v", err)
	}
	// The manager writes an evicted frame again when it is read again.
	mustPut(t, tr, gone)
	checkSame(t, mustGet(t, tr, gone.ID), gone)
}

func recordIDs(rs []driver.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
