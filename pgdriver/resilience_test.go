package pgdriver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// TestPoolRecoversAfterTerminate kills every server connection of the pool
// with pg_terminate_backend: the next calls must still succeed, on new
// connections.
func TestPoolRecoversAfterTerminate(t *testing.T) {
	app := testenv.Unique("pgdriver_")
	s, url := newStoreURL(t, "application_name="+app, "pool_max_conns=4")
	ctx := context.Background()
	rec := record(newID(), 1, `{"survives":"terminate"}`)
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	// Warm several connections so that more than one is killed.
	hold := make([]func(), 0, 3)
	for range 3 {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hold = append(hold, c.Release)
	}
	for _, release := range hold {
		release()
	}
	conn := sqlConn(t, url)
	for round := range 3 {
		var killed int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE application_name = $1 AND pid <> pg_backend_pid()) k`, app).Scan(&killed); err != nil {
			t.Fatal(err)
		}
		if round == 0 && killed < 2 {
			t.Fatalf("terminated %d connections, want the pool's 3", killed)
		}
		for i := range 5 {
			got, ok, err := s.Get(ctx, rec.ID)
			if err != nil || !ok || string(got.Data) != string(rec.Data) {
				t.Fatalf("round %d, Get %d after terminating the pool's connections: ok=%v err=%v", round, i, ok, err)
			}
		}
		if err := s.Put(ctx, record(newID(), 1, `{}`)); err != nil {
			t.Fatalf("round %d: Put after terminating the pool's connections: %v", round, err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("round %d: Ping: %v", round, err)
		}
	}
}

// TestDeadlines checks whose deadline a timed-out call reports: the
// Store's own (Options.Timeout) is ErrUnavailable, the server did not
// answer; the caller's is the caller's context error and not
// ErrUnavailable, whether it passes during the call or before it.
func TestDeadlines(t *testing.T) {
	s, url := newStoreURL(t)
	impatient := openURL(t, withParams(url, "timeout=200ms"))
	ctx := context.Background()
	conn := sqlConn(t, url)
	// Hold a lock that the deletes below wait for.
	rec := record(newID(), 1, `{}`)
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT 1 FROM frames_archive WHERE frame_id = $1 FOR UPDATE`, rec.ID); err != nil {
		t.Fatal(err)
	}
	if err := impatient.Delete(ctx, rec.ID, driver.AnyVersion); !errors.Is(err, driver.ErrUnavailable) {
		t.Errorf("Delete blocked past the Store's own timeout: %v, want ErrUnavailable", err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := s.Delete(short, rec.ID, driver.AnyVersion); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrUnavailable) {
		t.Errorf("Delete blocked past the caller's deadline: %v, want context.DeadlineExceeded, not ErrUnavailable", err)
	}
	if _, _, err := s.Get(short, rec.ID); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrUnavailable) {
		t.Errorf("Get with an expired deadline: %v, want context.DeadlineExceeded, not ErrUnavailable", err)
	}
	canceled, cancelNow := context.WithCancel(ctx)
	cancelNow()
	if err := s.Delete(canceled, rec.ID, driver.AnyVersion); !errors.Is(err, context.Canceled) || errors.Is(err, driver.ErrUnavailable) {
		t.Errorf("Delete with a canceled context: %v, want context.Canceled, not ErrUnavailable", err)
	}
	// The timed-out Delete may or may not have happened (ErrUnavailable says
	// so); the store keeps working either way.
	_ = tx.Rollback(ctx)
	if _, _, err := s.Get(ctx, rec.ID); err != nil {
		t.Errorf("Get after the lock is gone: %v", err)
	}
}
