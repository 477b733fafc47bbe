package sqlitedriver_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

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
	if _, err := s.GetMany(ctx, []string{good.ID, bad.ID}); !errors.Is(err, driver.ErrCorrupt) {
		t.Errorf("GetMany with a damaged frame = %v, want ErrCorrupt", err)
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
