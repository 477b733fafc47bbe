package drivertest

import (
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// checkMeta compares metadata a tier reported with the record written.
func checkMeta(t *testing.T, what string, g driver.Meta, want driver.Record) {
	t.Helper()
	w := want.Meta
	if g.ID != w.ID || g.SessionID != w.SessionID || g.ProjectID != w.ProjectID || g.ParentID != w.ParentID {
		t.Errorf("%s: identity of %s = (%q %q %q %q), want (%q %q %q %q)", what, w.ID,
			g.ID, g.SessionID, g.ProjectID, g.ParentID, w.ID, w.SessionID, w.ProjectID, w.ParentID)
	}
	if !g.CreatedAt.Equal(w.CreatedAt) {
		t.Errorf("%s: CreatedAt of %s = %v, want %v", what, w.ID, g.CreatedAt, w.CreatedAt)
	}
	if g.Version != w.Version || g.Checksum != w.Checksum || g.Size != w.Size {
		t.Errorf("%s: version/checksum/size of %s = %d/%08x/%d, want %d/%08x/%d", what, w.ID,
			g.Version, g.Checksum, g.Size, w.Version, w.Checksum, w.Size)
	}
}

// testGetMetas checks driver.MetaGetter: the metadata of what Put stored,
// missing IDs left out.
func testGetMetas(t *testing.T, h *Harness, tr driver.Tier) {
	m, ok := tr.(driver.MetaGetter)
	if !ok {
		t.Log("tier does not implement driver.MetaGetter; the manager reads copies instead")
		return
	}
	ctx := ctxFor(t)
	a := record(newID(), 1, h.doc("meta first", 1), baseTime)
	a.ParentID = newID()
	b := record(newID(), 3, h.doc("meta second", 2), baseTime.Add(time.Minute))
	b.SessionID, b.ProjectID = "", ""
	mustPut(t, tr, a, b)

	got, err := m.GetMetas(ctx, []string{a.ID, newID(), b.ID})
	if err != nil {
		t.Fatalf("GetMetas: %v", err)
	}
	want := map[string]driver.Record{a.ID: a, b.ID: b}
	if len(got) != len(want) {
		t.Fatalf("GetMetas(a, missing, b) returned %v; want the metadata of %s and %s only", ids(got), a.ID, b.ID)
	}
	for _, g := range got {
		w, ok := want[g.ID]
		if !ok {
			t.Fatalf("GetMetas returned unrequested or missing frame %s", g.ID)
		}
		checkMeta(t, "GetMetas", g, w)
	}

	newer := record(b.ID, 4, h.doc("meta second, rewritten longer", 2), b.CreatedAt)
	newer.SessionID, newer.ProjectID = "", ""
	mustPut(t, tr, newer)
	got, err = m.GetMetas(ctx, []string{b.ID})
	if err != nil || len(got) != 1 {
		t.Fatalf("GetMetas after a rewrite = %v, %v; want the metadata of %s", ids(got), err, b.ID)
	}
	checkMeta(t, "GetMetas after a rewrite", got[0], newer)

	if got, err := m.GetMetas(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("GetMetas(nil) = %v, %v; want none, nil", ids(got), err)
	}
	if got, err := m.GetMetas(ctx, []string{newID()}); err != nil || len(got) != 0 {
		t.Fatalf("GetMetas(missing) = %v, %v; want none, nil", ids(got), err)
	}
}

// testDeleteMany checks driver.BatchDeleter: each deletion respects its
// UpTo; missing IDs are fine.
func testDeleteMany(t *testing.T, h *Harness, tr driver.Tier) {
	d, ok := tr.(driver.BatchDeleter)
	if !ok {
		t.Log("tier does not implement driver.BatchDeleter; the manager deletes frames one by one")
		return
	}
	ctx := ctxFor(t)
	anyV := record(newID(), 1, h.doc("delete any", 1), baseTime)
	newer := record(newID(), 2, h.doc("keep newer", 2), baseTime)
	exact := record(newID(), 2, h.doc("delete exact", 3), baseTime)
	zero := record(newID(), 1, h.doc("keep zero", 4), baseTime)
	mustPut(t, tr, anyV, newer, exact, zero)
	err := d.DeleteMany(ctx, []driver.Deletion{
		{ID: anyV.ID, UpTo: driver.AnyVersion},
		{ID: newer.ID, UpTo: 1},
		{ID: newID(), UpTo: driver.AnyVersion},
		{ID: exact.ID, UpTo: 2},
		{ID: zero.ID, UpTo: 0},
	})
	if err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	mustAbsent(t, tr, anyV.ID)
	mustAbsent(t, tr, exact.ID)
	checkSame(t, mustGet(t, tr, newer.ID), newer)
	checkSame(t, mustGet(t, tr, zero.ID), zero)
	if u, err := tr.Usage(ctx); err != nil || u != (driver.Usage{Frames: 2, Bytes: newer.Size + zero.Size}) {
		t.Fatalf("Usage after DeleteMany = %+v, %v; want the 2 frames kept, %d bytes", u, err, newer.Size+zero.Size)
	}
	if err := d.DeleteMany(ctx, nil); err != nil {
		t.Fatalf("DeleteMany(nil): %v", err)
	}
	// Deleting again what is gone is fine.
	if err := d.DeleteMany(ctx, []driver.Deletion{{ID: anyV.ID, UpTo: driver.AnyVersion}}); err != nil {
		t.Fatalf("DeleteMany of a frame already deleted: %v", err)
	}
}

// testBury checks driver.Tombstoner: Bury deletes up to its version and
// keeps writes at or below it out, also batch writes racing it; newer
// writes land; Tombstones reports the greatest upTo.
func testBury(t *testing.T, h *Harness, tr driver.Tier) {
	b, ok := tr.(driver.Tombstoner)
	if !ok {
		t.Log("tier does not implement driver.Tombstoner; deletes are not remembered")
		return
	}
	ctx := ctxFor(t)
	a := record(newID(), 5, h.doc("buried frame", 1), baseTime)
	mustPut(t, tr, a)
	if err := b.Bury(ctx, a.ID, 7); err != nil {
		t.Fatalf("Bury: %v", err)
	}
	if _, ok, err := tr.Get(ctx, a.ID); ok || err != nil {
		t.Fatalf("Get after Bury = found %v, %v; want missing", ok, err)
	}
	mustPut(t, tr, record(a.ID, 6, h.doc("older copy written back", 1), baseTime))
	mustPut(t, tr, record(a.ID, 7, h.doc("same version written back", 1), baseTime))
	if _, ok, err := tr.Get(ctx, a.ID); ok || err != nil {
		t.Fatalf("Get after writing back versions up to the tombstone's = found %v, %v; want missing", ok, err)
	}
	if err := b.Bury(ctx, a.ID, 3); err != nil {
		t.Fatalf("Bury with a lower version: %v", err)
	}
	missing := newID()
	got, err := b.Tombstones(ctx, []string{a.ID, missing})
	if err != nil || len(got) != 1 || got[a.ID] != 7 {
		t.Fatalf("Tombstones(buried, never buried) = %v, %v; want only %s up to 7", got, err, a.ID)
	}
	newer := record(a.ID, 8, h.doc("written again after the delete", 1), baseTime)
	mustPut(t, tr, newer)
	if g := mustGet(t, tr, a.ID); g.Version != 8 {
		t.Fatalf("Get after a write newer than the tombstone = version %d, want 8", g.Version)
	}

	// A frame never stored can be buried; a batch racing the Bury from
	// other goroutines never leaves a copy at or below the tombstone.
	for range 20 {
		id := newID()
		done := make(chan error, 1)
		go func() {
			bt, ok := tr.(driver.Batcher)
			r := record(id, 10, h.doc("racing write", 2), baseTime)
			if ok {
				done <- bt.PutMany(ctx, []driver.Record{r, record(newID(), 1, h.doc("other", 3), baseTime)})
			} else {
				done <- tr.Put(ctx, r)
			}
		}()
		if err := b.Bury(ctx, id, 10); err != nil {
			t.Fatalf("Bury: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("write racing Bury: %v", err)
		}
		if r, ok, err := tr.Get(ctx, id); ok || err != nil {
			t.Fatalf("a write racing Bury left version %d (%v); want no copy", r.Version, err)
		}
	}
}
