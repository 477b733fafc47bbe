package faulttest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
)

// A deleted frame must stay deleted for every later reader: the next run
// of the host, or another process, has none of this Manager's in-memory
// tombstones. These tests race Delete against the background work that
// copies frames between tiers, then reopen the Manager and read the
// deleted frames back. No fault is injected.

// TestDeleteRacingMigrate deletes frames while Migrate moves them down.
func TestDeleteRacingMigrate(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ids := putFrames(t, e.m, 300, "", "racing-migrate")

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 20 {
			_, err := e.m.Migrate(ctx, tier.MigrateOptions{ToLevel: 3, ProjectID: "racing-migrate", Limit: 20})
			if err != nil && !errors.Is(err, tier.ErrBusy) {
				t.Errorf("Migrate: %v", err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for _, id := range ids {
			if err := e.m.Delete(ctx, id); err != nil {
				t.Errorf("Delete: %v", err)
			}
		}
	}()
	wg.Wait()
	checkGone(t, e, ids)
}

// TestDeleteRacingPrefetch deletes frames of a session while reads of its
// other frames from a lower tier pre-fetch the session into tier 1.
func TestDeleteRacingPrefetch(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var doomed []string
	for round := range 8 {
		session := tier.NewID()
		ids := putFrames(t, e.m, 30, session, fmt.Sprint("racing-prefetch-", round))
		if _, err := e.m.Migrate(ctx, tier.MigrateOptions{ToLevel: 3, SessionID: session}); err != nil {
			t.Fatal(err)
		}
		readers, victims := ids[:10], ids[10:]
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for _, id := range readers {
				if _, err := e.m.Get(ctx, id); err != nil {
					t.Errorf("Get: %v", err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for _, id := range victims {
				if err := e.m.Delete(ctx, id); err != nil {
					t.Errorf("Delete: %v", err)
				}
			}
		}()
		wg.Wait()
		doomed = append(doomed, victims...)
	}
	checkGone(t, e, doomed)
}

func putFrames(t *testing.T, m *tier.Manager, n int, session, project string) []string {
	t.Helper()
	frames := make([]tier.Frame, n)
	for i := range frames {
		frames[i] = tier.Frame{SessionID: session, ProjectID: project, Data: fmt.Appendf(nil, `{"n":%d}`, i)}
	}
	out, err := m.PutBatch(context.Background(), frames)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, f := range out {
		ids[i] = f.ID
	}
	return ids
}

// checkGone lets background work finish, reopens the Manager and checks
// that no deleted frame can be read.
func checkGone(t *testing.T, e *env, ids []string) {
	t.Helper()
	e.converge()
	e.reopen()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	back := 0
	for _, id := range ids {
		f, err := e.m.Get(ctx, id)
		switch {
		case err == nil:
			if back++; back <= 5 {
				t.Errorf("deleted frame %s is back after a restart, from %s (version %d)", id, f.Tier, f.Version)
			}
		case !errors.Is(err, tier.ErrNotFound):
			t.Errorf("Get of deleted frame %s: %v; want ErrNotFound", id, err)
		}
	}
	if back > 0 {
		t.Errorf("%d of %d deleted frames came back after a restart", back, len(ids))
	}
}
