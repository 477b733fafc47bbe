package sqlitedriver_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

func TestCorruptRowIsReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	ctx := context.Background()
	good := newRecord(1, `{"secret":"original"}`)
	bad := newRecord(2, `{"secret":"original"}`)
	mustPut(t, s, good, bad)

	// Damage the document behind the driver's back, same length.
	db := rawDB(t, path)
	if _, err := db.Exec(`UPDATE frames SET data = CAST(? AS BLOB) WHERE frame_id = ?`, `{"secret":"tampered"}`, bad.ID); err != nil {
		t.Fatal(err)
	}

	_, ok, err := s.Get(ctx, bad.ID)
	if !errors.Is(err, driver.ErrCorrupt) || ok {
		t.Fatalf("Get of damaged frame = ok %v, err %v; want ErrCorrupt", ok, err)
	}
	if !strings.Contains(err.Error(), bad.ID) || strings.Contains(err.Error(), "tampered") {
		t.Errorf("error %q should name the frame and not hold its bytes", err)
	}
	recs, err := s.GetMany(ctx, []string{good.ID, bad.ID})
	var ce *driver.CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, driver.ErrCorrupt) || len(ce.IDs) != 1 || ce.IDs[0] != bad.ID {
		t.Errorf("GetMany with a damaged frame = %v, want a *driver.CorruptError naming %s", err, bad.ID)
	}
	if len(recs) != 1 || recs[0].ID != good.ID || string(recs[0].Data) != string(good.Data) {
		t.Errorf("GetMany with a damaged frame returned %d records, want the sound one", len(recs))
	}
	metas, err := s.GetMetas(ctx, []string{good.ID, bad.ID, "missing"})
	if err != nil || len(metas) != 2 {
		t.Errorf("GetMetas = %d metas, %v; want 2 (it reads no document, so damage there is not its concern)", len(metas), err)
	}
	if _, err := s.Query(ctx, driver.Query{Text: "tampered", Limit: 100}); !errors.Is(err, driver.ErrCorrupt) {
		t.Errorf("Query reaching a damaged frame = %v, want ErrCorrupt", err)
	}
	mustGet(t, s, good.ID)

	// A repaired copy of the same version replaces the damaged one.
	mustPut(t, s, bad)
	mustGet(t, s, bad.ID)

	// A damaged size column is caught too.
	if _, err := db.Exec(`UPDATE frames SET size_bytes = size_bytes + 1 WHERE frame_id = ?`, good.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, good.ID); !errors.Is(err, driver.ErrCorrupt) {
		t.Errorf("Get with wrong size column = %v, want ErrCorrupt", err)
	}
}

// TestCallerDeadlineIsNotUnavailable: a call whose ctx is already past its
// deadline fails with an error wrapping context.DeadlineExceeded, and the
// store is not reported down.
func TestCallerDeadlineIsNotUnavailable(t *testing.T) {
	s := openStore(t)
	rec := newRecord(1, `{"a":"b"}`)
	mustPut(t, s, rec)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	calls := map[string]func() error{
		"Get":     func() error { _, _, err := s.Get(ctx, rec.ID); return err },
		"GetMany": func() error { _, err := s.GetMany(ctx, []string{rec.ID}); return err },
		"Put":     func() error { return s.Put(ctx, rec) },
		"PutMany": func() error { return s.PutMany(ctx, []driver.Record{rec}) },
		"Delete":  func() error { return s.Delete(ctx, rec.ID, 0) },
		"Query":   func() error { _, err := s.Query(ctx, driver.Query{Text: "b", Limit: 1}); return err },
		"Candidates": func() error {
			_, err := s.Candidates(ctx, driver.CandidateQuery{Policy: driver.LRU, Limit: 1})
			return err
		},
		"Usage": func() error { _, err := s.Usage(ctx); return err },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrUnavailable) {
			t.Errorf("%s with an expired deadline = %v; want context.DeadlineExceeded and not ErrUnavailable", name, err)
		}
	}
}
