package sqlitedriver_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

func TestPutGetRoundTrip(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	rec := newRecord(1, `{"task":"build the hot tier","out":  [1, 2.50, "ü"]}`)
	rec.ParentID = "00000000-0000-7000-8000-000000000000"
	mustPut(t, s, rec)

	got := mustGet(t, s, rec.ID)
	if !bytes.Equal(got.Data, rec.Data) {
		t.Errorf("data = %q, want %q byte for byte", got.Data, rec.Data)
	}
	if got.ID != rec.ID || got.SessionID != rec.SessionID || got.ProjectID != rec.ProjectID ||
		got.ParentID != rec.ParentID || !got.CreatedAt.Equal(rec.CreatedAt) ||
		got.Version != rec.Version || got.Checksum != rec.Checksum || got.Size != rec.Size {
		t.Errorf("meta = %+v, want %+v", got.Meta, rec.Meta)
	}
	if got.AccessCount != 1 || got.LastAccess.IsZero() || got.LFUKey == 0 {
		t.Errorf("new frame stats = count %d, last %v, lfu %v; want 1, now, computed", got.AccessCount, got.LastAccess, got.LFUKey)
	}
	if _, ok, err := s.Get(ctx, "00000000-0000-7000-8000-999999999999"); ok || err != nil {
		t.Errorf("Get(missing) = ok %v, err %v; want false, nil", ok, err)
	}
}

func TestPutIsConditionalOnVersion(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	v2 := withData(newRecord(1, ""), `{"v":2}`)
	v2.Version = 2
	mustPut(t, s, v2)

	v1 := withData(newRecord(1, ""), `{"v":1}`)
	mustPut(t, s, v1) // stale: ignored without error
	if got := mustGet(t, s, v1.ID); got.Version != 2 || string(got.Data) != `{"v":2}` {
		t.Fatalf("after stale put: version %d data %s; want version 2 kept", got.Version, got.Data)
	}

	if err := s.Touch(ctx, []driver.Access{{ID: v2.ID, At: baseTime.Add(time.Hour), Count: 4}}); err != nil {
		t.Fatal(err)
	}
	v3 := withData(v2, `{"v":3}`)
	v3.Version = 3
	v3.AccessCount = 100 // ignored for a frame already stored
	mustPut(t, s, v3)
	got := mustGet(t, s, v3.ID)
	if got.Version != 3 || string(got.Data) != `{"v":3}` {
		t.Fatalf("after newer put: version %d data %s; want 3", got.Version, got.Data)
	}
	if got.AccessCount != 5 {
		t.Errorf("access count = %d, want the stored 5 kept", got.AccessCount)
	}
	mustPut(t, s, v3) // same version again: one copy
	if u, err := s.Usage(ctx); err != nil || u.Frames != 1 || u.Bytes != v3.Size {
		t.Errorf("Usage = %+v, %v; want 1 frame of %d bytes", u, err, v3.Size)
	}
}

func TestDeleteIsConditionalOnVersion(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	rec := newRecord(1, `{}`)
	rec.Version = 5
	mustPut(t, s, rec)
	if err := s.Delete(ctx, rec.ID, 4); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, rec.ID) // newer copy kept
	if err := s.Delete(ctx, rec.ID, driver.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(ctx, rec.ID); ok || err != nil {
		t.Fatalf("after delete: ok %v err %v", ok, err)
	}
	if err := s.Delete(ctx, rec.ID, driver.AnyVersion); err != nil {
		t.Fatalf("delete of missing frame: %v", err)
	}
	if u, _ := s.Usage(ctx); u != (driver.Usage{}) {
		t.Errorf("Usage after delete = %+v, want zero", u)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	good := newRecord(1, `{"a":1}`)
	badSum := newRecord(2, `{"a":2}`)
	badSum.Checksum++
	badSize := newRecord(3, `{"a":3}`)
	badSize.Size = 99
	huge := newRecord(4, `{}`)
	huge.Version = math.MaxUint64
	noID := newRecord(5, `{}`)
	noID.ID = ""
	for name, rec := range map[string]driver.Record{"checksum": badSum, "size": badSize, "version": huge, "id": noID} {
		if err := s.PutMany(ctx, []driver.Record{good, rec}); !errors.Is(err, driver.ErrInvalidRecord) {
			t.Errorf("PutMany with bad %s = %v, want ErrInvalidRecord", name, err)
		}
		if err := s.Put(ctx, rec); !errors.Is(err, driver.ErrInvalidRecord) {
			t.Errorf("Put with bad %s = %v, want ErrInvalidRecord", name, err)
		}
	}
	if u, _ := s.Usage(ctx); u.Frames != 0 {
		t.Errorf("Usage = %+v after refused writes, want nothing stored", u)
	}
	if err := s.Touch(ctx, []driver.Access{{ID: good.ID, Count: 0}}); !errors.Is(err, driver.ErrInvalidRecord) {
		t.Errorf("Touch with count 0 = %v, want ErrInvalidRecord", err)
	}
	if _, err := s.Candidates(ctx, driver.CandidateQuery{Policy: "MRU", Limit: 1}); !errors.Is(err, driver.ErrInvalidRecord) {
		t.Errorf("Candidates with unknown policy = %v, want ErrInvalidRecord", err)
	}
}

func TestPutManyAndGetMany(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var recs []driver.Record
	for i := range 50 {
		recs = append(recs, newRecord(i, `{"i":"frame"}`))
	}
	if err := s.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetMany(ctx, []string{recs[3].ID, "missing", recs[40].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("GetMany returned %d records, want 2", len(got))
	}
	if u, _ := s.Usage(ctx); u.Frames != 50 {
		t.Errorf("Usage = %+v, want 50 frames", u)
	}
}

func TestTouchOrdersCandidates(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var recs []driver.Record
	for i := range 4 {
		r := newRecord(i, `{}`)
		r.LastAccess = baseTime
		r.AccessCount = 1
		r.LFUKey = driver.NewLFUKey(baseTime, 1)
		recs = append(recs, r)
	}
	mustPut(t, s, recs...)
	// Frame 0 read most recently, frame 1 read most often.
	err := s.Touch(ctx, []driver.Access{
		{ID: recs[1].ID, At: baseTime.Add(time.Minute), Count: 50},
		{ID: recs[0].ID, At: baseTime.Add(time.Hour), Count: 1},
		{ID: "unknown", At: baseTime, Count: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(p driver.Policy, q driver.CandidateQuery) []string {
		q.Policy = p
		if q.Limit == 0 {
			q.Limit = 10
		}
		ms, err := s.Candidates(ctx, q)
		if err != nil {
			t.Fatalf("Candidates(%s): %v", p, err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.ID[len(m.ID)-1:])
		}
		return out
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s = %v, want %v", name, got, want)
				return
			}
		}
	}
	check("LRU", ids(driver.LRU, driver.CandidateQuery{}), "2", "3", "1", "0")
	check("LFU", ids(driver.LFU, driver.CandidateQuery{}), "2", "3", "0", "1")
	check("AGE", ids(driver.AGE, driver.CandidateQuery{}), "0", "1", "2", "3")
	check("AGE limit 2", ids(driver.AGE, driver.CandidateQuery{Limit: 2}), "0", "1")
	check("AGE created before", ids(driver.AGE, driver.CandidateQuery{CreatedBefore: recs[2].CreatedAt}), "0", "1")
	check("LRU accessed before", ids(driver.LRU, driver.CandidateQuery{AccessedBefore: baseTime.Add(30 * time.Minute)}), "2", "3", "1")

	got := mustGet(t, s, recs[1].ID)
	if got.AccessCount != 51 || !got.LastAccess.Equal(baseTime.Add(time.Minute)) {
		t.Errorf("after touch: count %d last %v; want 51 at +1m", got.AccessCount, got.LastAccess)
	}
	if want := driver.LFUKey(recs[1].LFUKey, baseTime.Add(time.Minute), 50); math.Abs(got.LFUKey-want) > 1e-9 {
		t.Errorf("lfu key = %v, want driver.LFUKey = %v", got.LFUKey, want)
	}
}

func TestClosedStore(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rec := newRecord(1, `{}`)
	_, _, getErr := s.Get(ctx, rec.ID)
	_, gmErr := s.GetMany(ctx, []string{rec.ID})
	_, candErr := s.Candidates(ctx, driver.CandidateQuery{Policy: driver.LRU, Limit: 1})
	_, usageErr := s.Usage(ctx)
	_, queryErr := s.Query(ctx, driver.Query{Limit: 100})
	errs := map[string]error{
		"Get": getErr, "GetMany": gmErr, "Candidates": candErr, "Usage": usageErr, "Query": queryErr,
		"Put":     s.Put(ctx, rec),
		"PutMany": s.PutMany(ctx, []driver.Record{rec}),
		"Delete":  s.Delete(ctx, rec.ID, 1),
		"Touch":   s.Touch(ctx, []driver.Access{{ID: rec.ID, Count: 1}}),
		"Ping":    s.Ping(ctx),
		"Compact": s.Compact(ctx),
		"Close":   s.Close(),
	}
	for name, err := range errs {
		if !errors.Is(err, driver.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, newRecord(1, `{}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with canceled ctx = %v, want context.Canceled", err)
	}
	if _, _, err := s.Get(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with canceled ctx = %v, want context.Canceled", err)
	}
	if u, _ := s.Usage(context.Background()); u.Frames != 0 {
		t.Errorf("canceled Put stored a frame")
	}
}

func TestPingAndCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	ctx := context.Background()
	big := `{"text":"compact me please","pad":"` + strings.Repeat("x", 20000) + `"}`
	for i := range 40 {
		mustPut(t, s, newRecord(i, big))
	}
	onDisk := func() int64 {
		var n int64
		for _, name := range []string{path, path + "-wal"} {
			if fi, err := os.Stat(name); err == nil {
				n += fi.Size()
			}
		}
		return n
	}
	full := onDisk()
	for i := range 30 {
		if err := s.Delete(ctx, newRecord(i, "").ID, driver.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	if after := onDisk(); after*2 > full {
		t.Errorf("file and WAL take %d bytes after deleting 3/4 of the frames and Compact, %d before; want less than half", after, full)
	}
	hits, err := s.Query(ctx, driver.Query{Text: "compact", Limit: 100})
	if err != nil || len(hits) != 10 {
		t.Fatalf("search after Compact = %d hits, %v; want 10", len(hits), err)
	}
}
