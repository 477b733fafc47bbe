package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLeaseIsExclusiveUntilExpiry(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.AcquireLease(ctx, "mover", "a", time.Hour); err != nil {
		t.Fatalf("first acquire: %v", err)
	}
	if err := b.AcquireLease(ctx, "mover", "b", time.Hour); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("second process acquired a held lease: %v", err)
	}
	if err := a.AcquireLease(ctx, "mover", "a", time.Hour); err != nil {
		t.Fatalf("holder cannot renew: %v", err)
	}
	if err := a.ReleaseLease(ctx, "mover", "a"); err != nil {
		t.Fatal(err)
	}
	if err := b.AcquireLease(ctx, "mover", "b", -time.Second); err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	// b's lease is already expired: a takes over.
	if err := a.AcquireLease(ctx, "mover", "a", time.Hour); err != nil {
		t.Fatalf("acquire of an expired lease: %v", err)
	}
}

func TestOutboxKeepsOrderAndSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{Level: 2, Op: OpDelete, FrameID: "a", Version: 5}, {Level: 3, Op: OpDelete, FrameID: "b", Version: 7}}
	if err := s.Enqueue(ctx, want); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Pending(ctx, 10)
	if err != nil || len(got) != 2 || got[0].FrameID != "a" || got[1].Version != 7 {
		t.Fatalf("Pending after reopen = %+v, %v", got, err)
	}
	if v, _ := s.RetiredUpTo(ctx, "b"); v != 7 {
		t.Fatalf("RetiredUpTo(b) = %d, want 7", v)
	}
	if err := s.Done(ctx, []int64{got[0].Seq}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountPending(ctx); n != 1 {
		t.Fatalf("CountPending after Done = %d, want 1", n)
	}
}

func TestMemoryStoreWorks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Memory)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.BeginMoves(ctx, []Move{{FrameID: "x", From: 1, To: 2, Version: 3, Checksum: 9}}); err != nil {
		t.Fatal(err)
	}
	moves, err := s.PendingMoves(ctx, time.Now().Add(time.Second), 10)
	if err != nil || len(moves) != 1 || moves[0].Step != StepCopying {
		t.Fatalf("PendingMoves = %+v, %v", moves, err)
	}
	if err := s.AddStats(ctx, map[string]int64{"reads.1": 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddStats(ctx, map[string]int64{"reads.1": 2}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx); st["reads.1"] != 5 {
		t.Fatalf("stats = %v, want reads.1 = 5", st)
	}
}

func TestRetiredUpToManyAgreesWithRetiredUpTo(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Memory)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Enqueue(ctx, []Change{{Level: 2, Op: OpDelete, FrameID: "a", Version: 5},
		{Level: 3, Op: OpDropStale, FrameID: "a", Version: 9}, {Level: 2, Op: OpDelete, FrameID: "b", Version: 7}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTombstone(ctx, "b", 11); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTombstone(ctx, "c", 3); err != nil {
		t.Fatal(err)
	}
	ids := []string{"a", "b", "c", "none"}
	got, err := s.RetiredUpToMany(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		one, err := s.RetiredUpTo(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got[id] != one {
			t.Errorf("RetiredUpToMany[%s] = %d, RetiredUpTo = %d", id, got[id], one)
		}
	}
	if len(got) != 3 || got["a"] != 9 || got["b"] != 11 || got["c"] != 3 {
		t.Errorf("RetiredUpToMany = %v, want a:9 b:11 c:3", got)
	}
}

// A state file in a directory whose name holds characters that mean
// something in a URI ('#', '?', '%') is that file, with private modes; it
// was a file named after the part before the '#'.
func TestStateFileInADirectoryWithURICharacters(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "proj#1?x=%41 y")
	path := filepath.Join(dir, "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, []Change{{Level: 2, Op: OpDelete, FrameID: "f", Version: 1}}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(dir) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("beside the state directory: %q; want only %q", names, filepath.Base(dir))
	}
	for _, name := range []string{path, path + "-wal"} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(name), st.Mode().Perm())
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if n, err := again.CountPending(ctx); err != nil || n != 1 {
		t.Fatalf("after reopening: %d pending, %v; want the 1 queued", n, err)
	}
}
