package redisdriver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/redisdriver"
	"github.com/stackmemoryai/tier/redisdriver/internal/redistest"
)

// A Redis killed with SIGKILL makes calls fail with ErrUnavailable, without
// hanging; once it is back, the same Store works again, scripts included.
func TestRedisKilledAndRestarted(t *testing.T) {
	srv := redistest.Start(t)
	o, err := redisdriver.ParseURL(srv.URL() + "?timeout=300ms&prefix=restart:")
	if err != nil {
		t.Fatal(err)
	}
	s, err := redisdriver.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bg := context.Background() // no deadline: the store's timeout applies
	before := newRecord(newID(), 1, []byte(`{"before":"kill"}`), time.Now())
	mustPut(t, s, before)

	srv.Kill()
	_, _, err = s.Get(bg, before.ID)
	if !errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("Get with Redis down = %v, want ErrUnavailable", err)
	}
	after := newRecord(newID(), 1, []byte(`{"after":"restart"}`), time.Now())
	checks := map[string]error{
		"Put":        s.Put(bg, after),
		"PutMany":    s.PutMany(bg, []driver.Record{after}),
		"Delete":     s.Delete(bg, before.ID, driver.AnyVersion),
		"Touch":      s.Touch(bg, []driver.Access{{ID: before.ID, At: time.Now(), Count: 1}}),
		"Ping":       s.Ping(bg),
		"Usage":      second(s.Usage(bg)),
		"Candidates": second(s.Candidates(bg, driver.CandidateQuery{Policy: driver.LRU, Limit: 1})),
		"GetMany":    second(s.GetMany(bg, []string{before.ID})),
	}
	for name, err := range checks {
		if !errors.Is(err, driver.ErrUnavailable) {
			t.Errorf("%s with Redis down = %v, want ErrUnavailable", name, err)
		}
	}

	srv.Restart() // empty: the private server persists nothing
	// rueidis reconnects on its own; the first calls may still meet the
	// old, broken connection.
	for i := 0; ; i++ {
		err = s.Put(bg, after)
		if err == nil {
			break
		}
		if i == 50 {
			t.Fatalf("Put after restart keeps failing: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	got, ok, err := s.Get(bg, after.ID)
	if err != nil || !ok || string(got.Data) != string(after.Data) {
		t.Fatalf("Get after restart = %v, %v, %v", ok, err, got.Data)
	}
	if _, ok, err := s.Get(bg, before.ID); err != nil || ok {
		t.Fatalf("Get of a frame lost with the restart = %v, %v; want not found", ok, err)
	}
	if err := s.Ping(bg); err != nil {
		t.Fatal(err)
	}
}

func second[T any](_ T, err error) error { return err }
