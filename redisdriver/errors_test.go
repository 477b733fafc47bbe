package redisdriver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver"
	"github.com/stackmemoryai/tier/redisdriver/internal/redistest"
)

// An error of Redis keeps the rueidis error in its chain: errors.As
// reaches the *rueidis.RedisError, whose code a host can read.
func TestErrorsKeepTheRedisError(t *testing.T) {
	base := testenv.RedisURL(t)
	s, prefix := openStore(t, base)
	raw := rawClient(t, base)
	r := newRecord(newID(), 1, []byte(`{"wrong":"type"}`), time.Now())
	mustPut(t, s, r)
	// Another client turns the document into a hash.
	fk := prefix + "frame:{" + r.ID + "}"
	_ = raw.Do(ctxT(t), raw.B().Del().Key(fk).Build()).Error()
	_ = raw.Do(ctxT(t), raw.B().Hset().Key(fk).FieldValue().FieldValue("a", "b").Build()).Error()

	_, _, err := s.Get(ctxT(t), r.ID)
	if !errors.Is(err, driver.ErrCorrupt) {
		t.Fatalf("Get of a document of the wrong type = %v, want ErrCorrupt", err)
	}
	var rerr *rueidis.RedisError
	if !errors.As(err, &rerr) {
		t.Fatalf("errors.As(%v, *rueidis.RedisError) = false; the rueidis error is lost", err)
	}
	if rerr.Error() == "" || rerr.IsNil() {
		t.Fatalf("the rueidis error reached is %q", rerr.Error())
	}
}

// The store bounds each call itself: a Redis that stops answering costs a
// single-frame call Options.Timeout, reported as ErrUnavailable, even
// when the caller's context has no deadline. A caller's own deadline that
// passes first is the caller's error.
func TestOwnTimeoutIsUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := openStore(t, srv.URL(), "timeout", "100ms", "batch_timeout", "300ms")
	r := newRecord(newID(), 1, []byte(`{"x":1}`), time.Now())
	mustPut(t, s, r)

	// CLIENT PAUSE holds every client's commands for two seconds.
	if _, err := srv.Do("CLIENT", "PAUSE", "2000", "ALL"); err != nil {
		t.Fatal(err)
	}

	_, _, err := s.Get(context.Background(), r.ID)
	if !errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("Get from a Redis that does not answer = %v, want ErrUnavailable", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Fatalf("Get = %v: the store's own limit must not look like the caller's context", err)
	}
	if _, err := s.GetMetas(context.Background(), []string{r.ID}); !errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("GetMetas from a Redis that does not answer = %v, want ErrUnavailable", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err = s.Get(ctx, r.ID)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("Get with the caller's deadline passing first = %v, want context.DeadlineExceeded and not ErrUnavailable", err)
	}
}

// As hands out the rueidis client for commands the package does not
// offer, and nothing else.
func TestAsRueidisClient(t *testing.T) {
	s, prefix := openStore(t, testenv.RedisURL(t))
	var c rueidis.Client
	if !s.As(&c) || c == nil {
		t.Fatal("As(*rueidis.Client) = false")
	}
	if err := c.Do(ctxT(t), c.B().Set().Key(prefix+"other").Value("1").Build()).Error(); err != nil {
		t.Fatalf("the client As gave does not work: %v", err)
	}
	var wrong *redisdriver.Store
	if s.As(&wrong) || s.As(nil) || s.As(c) {
		t.Fatal("As accepted a target other than *rueidis.Client")
	}
	var tr driver.Tier = s
	if a, ok := tr.(driver.Aser); !ok || !a.As(&c) {
		t.Fatal("Store is not a driver.Aser")
	}
}
