package drivertest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
)

func testCompressedPassThrough(t *testing.T, h *Harness, tr driver.Tier) {
	data := h.doc("compressed", 42)
	r := record(newID(), 1, data, baseTime)
	r.Compressed = codec.Compress(data, codec.DefaultLevel)
	mustPut(t, tr, r)
	got := mustGet(t, tr, r.ID)
	checkSame(t, got, r)
	if got.Compressed != nil {
		dec, err := codec.Decompress(got.Compressed, int64(len(data)))
		if err != nil || string(dec) != string(data) {
			t.Fatalf("Get filled Compressed with bytes that do not inflate to Data (err %v)", err)
		}
	}
}

func testBatch(t *testing.T, h *Harness, tr driver.Tier) {
	ctx := ctxFor(t)
	var recs []driver.Record
	for i := range 50 {
		recs = append(recs, record(newID(), 1, h.doc("batch", i), baseTime.Add(time.Duration(i)*time.Second)))
	}
	b, isBatcher := tr.(driver.Batcher)
	if isBatcher {
		if err := b.PutMany(ctx, recs); err != nil {
			t.Fatalf("PutMany: %v", err)
		}
		if err := b.PutMany(ctx, nil); err != nil {
			t.Fatalf("PutMany(nil): %v", err)
		}
	} else {
		mustPut(t, tr, recs...)
	}
	want := map[string]driver.Record{}
	var ask []string
	for i, r := range recs {
		if i%3 == 0 {
			want[r.ID] = r
			ask = append(ask, r.ID)
		}
	}
	missing := newID()
	ask = append(ask, missing)
	if !isBatcher {
		for _, id := range ask[:len(ask)-1] {
			checkSame(t, mustGet(t, tr, id), want[id])
		}
		mustAbsent(t, tr, missing)
		return
	}
	got, err := b.GetMany(ctx, ask)
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("GetMany returned %d records, want %d (the missing ID must be left out)", len(got), len(want))
	}
	for _, g := range got {
		w, ok := want[g.ID]
		if !ok {
			t.Fatalf("GetMany returned unrequested or missing frame %s", g.ID)
		}
		checkSame(t, g, w)
	}
	if got, err := b.GetMany(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("GetMany(nil) = %d records, %v; want none, nil", len(got), err)
	}
	// Stale versions in a batch are ignored like single stale writes.
	stale := want[ask[0]]
	newer := record(stale.ID, 9, h.doc("batch newer", 9), baseTime)
	mustPut(t, tr, newer)
	if err := b.PutMany(ctx, []driver.Record{stale}); err != nil {
		t.Fatalf("PutMany(stale): %v", err)
	}
	checkSame(t, mustGet(t, tr, stale.ID), newer)
}

// fiveFrames writes frames whose creation order, access recency and access
// frequency all differ, so each policy gives a different order.
func fiveFrames(t *testing.T, h *Harness, tr driver.Tier) []driver.Record {
	recs := make([]driver.Record, 5)
	for i := range recs {
		recs[i] = record(newID(), 1, h.doc("policy", i), baseTime.Add(time.Duration(i)*time.Hour))
	}
	mustPut(t, tr, recs...)
	return recs
}

func candidates(t *testing.T, tr driver.Tier, q driver.CandidateQuery) []string {
	t.Helper()
	got, err := tr.Candidates(ctxFor(t), q)
	if err != nil {
		t.Fatalf("Candidates(%+v): %v", q, err)
	}
	for _, m := range got {
		if m.Version == 0 || m.Size == 0 {
			t.Fatalf("Candidates returned %s without version or size: %+v", m.ID, m)
		}
	}
	return ids(got)
}

func expectOrder(t *testing.T, what string, got []string, want ...driver.Record) {
	t.Helper()
	w := make([]string, len(want))
	for i, r := range want {
		w[i] = r.ID
	}
	if !slices.Equal(got, w) {
		t.Fatalf("%s order = %v, want %v", what, got, w)
	}
}

func testCandidatesAGE(t *testing.T, h *Harness, tr driver.Tier) {
	r := fiveFrames(t, h, tr)
	// Reads do not change the AGE order.
	touch(t, tr, r[0].ID, baseTime.Add(48*time.Hour), 10)
	expectOrder(t, "AGE", candidates(t, tr, driver.CandidateQuery{Policy: driver.AGE, Limit: 10}), r[0], r[1], r[2], r[3], r[4])
	expectOrder(t, "AGE limit 2", candidates(t, tr, driver.CandidateQuery{Policy: driver.AGE, Limit: 2}), r[0], r[1])
}

func testCandidatesLRU(t *testing.T, h *Harness, tr driver.Tier) {
	r := fiveFrames(t, h, tr)
	later := baseTime.Add(24 * time.Hour)
	touch(t, tr, r[0].ID, later.Add(2*time.Minute), 1)
	touch(t, tr, r[2].ID, later.Add(1*time.Minute), 1)
	expectOrder(t, "LRU", candidates(t, tr, driver.CandidateQuery{Policy: driver.LRU, Limit: 10}), r[1], r[3], r[4], r[2], r[0])
}

func testCandidatesLFU(t *testing.T, h *Harness, tr driver.Tier) {
	r := fiveFrames(t, h, tr)
	at := baseTime.Add(5 * time.Hour)
	touch(t, tr, r[0].ID, at, 50)
	touch(t, tr, r[3].ID, at, 5)
	touch(t, tr, r[1].ID, at, 20)
	got := candidates(t, tr, driver.CandidateQuery{Policy: driver.LFU, Limit: 10})
	// r[2] and r[4] were never read; both go first, in either order.
	if !(slices.Equal(got[:2], []string{r[2].ID, r[4].ID}) || slices.Equal(got[:2], []string{r[4].ID, r[2].ID})) {
		t.Fatalf("LFU order = %v, want the two unread frames %s %s first", got, r[2].ID, r[4].ID)
	}
	expectOrder(t, "LFU (read frames)", got[2:], r[3], r[1], r[0])
	// Popularity fades: 20 reads a month ago count less than 5 reads now.
	month := at.Add(30 * 24 * time.Hour)
	touch(t, tr, r[3].ID, month, 5)
	got = candidates(t, tr, driver.CandidateQuery{Policy: driver.LFU, Limit: 10})
	if slices.Index(got, r[1].ID) > slices.Index(got, r[3].ID) {
		t.Fatalf("LFU order = %v: old popularity of %s did not decay below recent reads of %s", got, r[1].ID, r[3].ID)
	}
}

func testCandidatesFilters(t *testing.T, h *Harness, tr driver.Tier) {
	r := fiveFrames(t, h, tr)
	got := candidates(t, tr, driver.CandidateQuery{Policy: driver.AGE, Limit: 10, CreatedBefore: r[2].CreatedAt})
	expectOrder(t, "AGE created before frame 2", got, r[0], r[1])
	touch(t, tr, r[0].ID, baseTime.Add(100*time.Hour), 1)
	got = candidates(t, tr, driver.CandidateQuery{Policy: driver.LRU, Limit: 10, AccessedBefore: baseTime.Add(3 * time.Hour)})
	expectOrder(t, "LRU accessed before hour 3", got, r[1], r[2])
	if got := candidates(t, tr, driver.CandidateQuery{Policy: driver.LRU, Limit: 0}); len(got) != 0 {
		t.Fatalf("Candidates with Limit 0 = %v, want none", got)
	}
}

func touch(t *testing.T, tr driver.Tier, id string, at time.Time, n int64) {
	t.Helper()
	if err := tr.Touch(ctxFor(t), []driver.Access{{ID: id, At: at, Count: n}}); err != nil {
		t.Fatalf("Touch(%s): %v", id, err)
	}
}

func testUsage(t *testing.T, h *Harness, tr driver.Tier) {
	ctx := ctxFor(t)
	u, err := tr.Usage(ctx)
	if err != nil || u != (driver.Usage{}) {
		t.Fatalf("Usage of an empty tier = %+v, %v; want zero", u, err)
	}
	a := record(newID(), 1, h.doc("a", 1), baseTime)
	b := record(newID(), 1, h.doc("bb", 22), baseTime)
	mustPut(t, tr, a, b)
	want := driver.Usage{Frames: 2, Bytes: a.Size + b.Size}
	if u, err := tr.Usage(ctx); err != nil || u != want {
		t.Fatalf("Usage = %+v, %v; want %+v", u, err, want)
	}
	bigger := record(a.ID, 2, h.doc("a grew a lot longer than before", 1), baseTime)
	mustPut(t, tr, bigger)
	want.Bytes += bigger.Size - a.Size
	if u, err := tr.Usage(ctx); err != nil || u != want {
		t.Fatalf("Usage after rewrite = %+v, %v; want %+v", u, err, want)
	}
	if err := tr.Delete(ctx, b.ID, driver.AnyVersion); err != nil {
		t.Fatal(err)
	}
	want = driver.Usage{Frames: 1, Bytes: bigger.Size}
	if u, err := tr.Usage(ctx); err != nil || u != want {
		t.Fatalf("Usage after delete = %+v, %v; want %+v", u, err, want)
	}
	// Touch of an unknown frame is ignored and creates nothing.
	touch(t, tr, newID(), baseTime, 1)
	if u, err := tr.Usage(ctx); err != nil || u != want {
		t.Fatalf("Usage after touching an unknown frame = %+v, %v; want %+v", u, err, want)
	}
}

func testConcurrent(t *testing.T, h *Harness, tr driver.Tier) {
	const workers, rounds = 8, 20
	shared := newID()
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*3)
	own := make([][]driver.Record, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := ctxFor(t)
			for i := range rounds {
				r := record(newID(), 1, h.doc("own", w*100+i), baseTime)
				own[w] = append(own[w], r)
				errs <- tr.Put(ctx, r)
				v := uint64(w*rounds + i + 1)
				errs <- tr.Put(ctx, record(shared, v, h.doc("shared", int(v)), baseTime))
				_, _, err := tr.Get(ctx, shared)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent use: %v", err)
		}
	}
	for _, rs := range own {
		for _, r := range rs {
			checkSame(t, mustGet(t, tr, r.ID), r)
		}
	}
	if got := mustGet(t, tr, shared); got.Version != workers*rounds {
		t.Fatalf("shared frame ended at version %d, want the newest, %d", got.Version, workers*rounds)
	}
}
