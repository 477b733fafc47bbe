package redisdriver_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// Compact drops index entries of frames that vanished without expiring
// (evicted, deleted by hand) and indexes frames whose entries were lost.
func TestCompactRepairsIndexes(t *testing.T) { testCompactRepairsIndexes(t, testenv.RedisURL(t)) }

func testCompactRepairsIndexes(t *testing.T, base string) {
	s, prefix := openStore(t, base)
	raw := rawClient(t, base)
	ctx := ctxT(t)
	now := time.Now()
	evicted := newRecord(newID(), 1, []byte(`{"evicted":true}`), now.Add(-2*time.Hour))
	lost := newRecord(newID(), 1, []byte(`{"index":"lost"}`), now.Add(-time.Hour))
	kept := newRecord(newID(), 1, []byte(`{"kept":1}`), now)
	mustPut(t, s, evicted, lost, kept)

	// As maxmemory eviction would: keys gone, expiry not due.
	_ = raw.Do(ctx, raw.B().Del().Key(prefix+"frame:{"+evicted.ID+"}", prefix+"meta:{"+evicted.ID+"}").Build()).Error()
	// As a crash between a cluster write and its index update would.
	idx := prefix + "idx:{" + prefix + "}:"
	for _, k := range []string{"lru", "lfu", "age", "exp"} {
		_ = raw.Do(ctx, raw.B().Zrem().Key(idx+k).Member(lost.ID).Build()).Error()
	}
	_ = raw.Do(ctx, raw.B().Hdel().Key(idx+"size").Field(lost.ID).Build()).Error()
	_ = raw.Do(ctx, raw.B().Hincrby().Key(idx+"size").Field("{bytes}").Increment(-lost.Size).Build()).Error()

	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := s.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (driver.Usage{Frames: 2, Bytes: lost.Size + kept.Size}); u != want {
		t.Errorf("Usage after Compact = %+v, want %+v", u, want)
	}
	got, err := s.Candidates(ctx, driver.CandidateQuery{Policy: driver.AGE, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != lost.ID || got[1].ID != kept.ID {
		t.Errorf("AGE candidates after Compact = %v, want %s then %s", got, lost.ID, kept.ID)
	}
}

// An index key Redis evicted (here the LRU order, or the size hash with
// the sum of sizes) is rebuilt by Compact from the frames' keys.
func TestCompactRebuildsAnEvictedIndex(t *testing.T) {
	base := testenv.RedisURL(t)
	for _, lost := range []string{"lru", "size"} {
		t.Run(lost, func(t *testing.T) {
			s, prefix := openStore(t, base)
			raw := rawClient(t, base)
			ctx := ctxT(t)
			var want driver.Usage
			var ids []string
			for i := range 30 {
				r := newRecord(newID(), 1, []byte(`{"n":`+strconv.Itoa(i)+`}`), time.Now().Add(time.Duration(i)*time.Second))
				mustPut(t, s, r)
				want.Frames++
				want.Bytes += r.Size
				ids = append(ids, r.ID)
			}
			idx := prefix + "idx:{" + prefix + "}:"
			if err := raw.Do(ctx, raw.B().Del().Key(idx+lost).Build()).Error(); err != nil {
				t.Fatal(err)
			}
			if err := s.Compact(ctx); err != nil {
				t.Fatal(err)
			}
			if u, err := s.Usage(ctx); err != nil || u != want {
				t.Fatalf("Usage after Compact = %+v, %v; want %+v", u, err, want)
			}
			for _, p := range []driver.Policy{driver.LRU, driver.LFU, driver.AGE} {
				got, err := s.Candidates(ctx, driver.CandidateQuery{Policy: p, Limit: 100})
				if err != nil || len(got) != len(ids) {
					t.Fatalf("Candidates(%s) after Compact = %d frames, %v; want %d", p, len(got), err, len(ids))
				}
			}
			got, _ := s.Candidates(ctx, driver.CandidateQuery{Policy: driver.AGE, Limit: 100})
			for i, m := range got {
				if m.ID != ids[i] {
					t.Fatalf("AGE order after Compact differs at %d: %s, want %s", i, m.ID, ids[i])
				}
			}
		})
	}
}
