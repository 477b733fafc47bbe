package redisdriver_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver"
)

// testTimeout replaces the 50ms and 1s defaults in tests: -race on two cores with
// a three-node cluster on the same machine is slow enough to miss it.
const testTimeout = "5s"

// withParams returns base with the query parameters set.
func withParams(t testing.TB, base string, params ...string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// openStore opens a store on base under a fresh prefix, with extra URL
// parameters. At cleanup it closes the store and deletes every key under
// the prefix.
func openStore(t testing.TB, base string, params ...string) (*redisdriver.Store, string) {
	t.Helper()
	prefix := testenv.Prefix(t)
	params = append([]string{"prefix", prefix, "timeout", testTimeout, "batch_timeout", testTimeout}, params...)
	o, err := redisdriver.ParseURL(withParams(t, base, params...))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := redisdriver.Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, driver.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
		deletePrefix(t, base, prefix)
	})
	return s, prefix
}

// rawClient is a plain rueidis client on the same server, playing "another
// client" in tests.
func rawClient(t testing.TB, base string) rueidis.Client {
	t.Helper()
	o, err := rueidis.ParseURL(base)
	if err != nil {
		t.Fatal(err)
	}
	o.DisableCache = true
	c, err := rueidis.NewClient(o)
	if err != nil {
		t.Fatalf("raw client: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// deletePrefix deletes every key under prefix, on every node, with SCAN.
// It never flushes the server, which other tests share.
func deletePrefix(t testing.TB, base, prefix string) {
	t.Helper()
	o, err := rueidis.ParseURL(base)
	if err != nil {
		t.Error(err)
		return
	}
	o.DisableCache = true
	c, err := rueidis.NewClient(o)
	if err != nil {
		t.Logf("cleanup of %s skipped: %v", prefix, err)
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, node := range c.Nodes() {
		var cursor uint64
		for range 100000 {
			e, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(prefix+"*").Count(500).Build()).AsScanEntry()
			if err != nil {
				t.Logf("cleanup scan: %v", err)
				break
			}
			for _, k := range e.Elements {
				_ = c.Do(ctx, c.B().Del().Key(k).Build()).Error()
			}
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newRecord builds a record the way the manager does.
func newRecord(id string, version uint64, data []byte, created time.Time) driver.Record {
	created = created.UTC().Truncate(time.Microsecond)
	return driver.Record{
		Meta: driver.Meta{
			ID:          id,
			SessionID:   "0b6f8a9e-3c1d-4e5f-9a7b-1c2d3e4f5a6b",
			ProjectID:   "tier",
			CreatedAt:   created,
			Version:     version,
			Checksum:    driver.Checksum(data),
			Size:        int64(len(data)),
			LastAccess:  created,
			AccessCount: 1,
			LFUKey:      driver.NewLFUKey(created, 1),
		},
		Data: data,
	}
}

func newID() string { return uuid.NewString() }

func mustPut(t testing.TB, s driver.Tier, recs ...driver.Record) {
	t.Helper()
	for _, r := range recs {
		if err := s.Put(ctxT(t), r); err != nil {
			t.Fatalf("Put(%s): %v", r.ID, err)
		}
	}
}
