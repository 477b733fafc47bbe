package redisdriver_test

import (
	"slices"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

func pttl(t *testing.T, raw rueidis.Client, key string) int64 {
	t.Helper()
	ms, err := raw.Do(ctxT(t), raw.B().Pttl().Key(key).Build()).AsInt64()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func pexpire(t *testing.T, raw rueidis.Client, key string, ms int64) {
	t.Helper()
	if err := raw.Do(ctxT(t), raw.B().Pexpire().Key(key).Milliseconds(ms).Build()).Error(); err != nil {
		t.Fatal(err)
	}
}

// Get and Touch renew the TTL of both keys of a frame.
func TestTTLRenewedOnAccess(t *testing.T) { testTTLRenewedOnAccess(t, testenv.RedisURL(t)) }

func testTTLRenewedOnAccess(t *testing.T, base string) {
	s, prefix := openStore(t, base, "ttl", "1h")
	raw := rawClient(t, base)
	r := newRecord(newID(), 1, []byte(`{"ttl":"renewed"}`), time.Now())
	mustPut(t, s, r)
	keys := []string{prefix + "frame:{" + r.ID + "}", prefix + "meta:{" + r.ID + "}"}
	const short = 60_000 // well below the hour, well above any test delay

	access := map[string]func() error{
		"Get":     func() error { _, _, err := s.Get(ctxT(t), r.ID); return err },
		"GetMany": func() error { _, err := s.GetMany(ctxT(t), []string{r.ID}); return err },
		"Touch": func() error {
			return s.Touch(ctxT(t), []driver.Access{{ID: r.ID, At: time.Now(), Count: 1}})
		},
	}
	for name, fn := range access {
		for _, k := range keys {
			pexpire(t, raw, k, short)
		}
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, k := range keys {
			if ms := pttl(t, raw, k); ms <= short || ms > time.Hour.Milliseconds() {
				t.Errorf("after %s, PTTL %s = %d ms, want renewed to about an hour", name, k, ms)
			}
		}
	}
}

// Frames whose keys expired leave Candidates and Usage, and their index
// entries are removed.
func TestExpiredFramesLeaveIndexes(t *testing.T) {
	testExpiredFramesLeaveIndexes(t, testenv.RedisURL(t))
}

func testExpiredFramesLeaveIndexes(t *testing.T, base string) {
	s, prefix := openStore(t, base)
	raw := rawClient(t, base)
	ctx := ctxT(t)
	now := time.Now()
	keep := newRecord(newID(), 1, []byte(`{"keep":1}`), now)
	gone := newRecord(newID(), 1, []byte(`{"gone":"soon"}`), now.Add(-time.Hour))
	mustPut(t, s, keep, gone)

	// Let the keys of one frame expire as the TTL would, without waiting a day.
	for _, k := range []string{prefix + "frame:{" + gone.ID + "}", prefix + "meta:{" + gone.ID + "}"} {
		pexpire(t, raw, k, 1)
	}
	for i := 0; ; i++ { // EXISTS expires the keys lazily once their time has passed
		n, err := raw.Do(ctx, raw.B().Exists().Key(prefix+"frame:{"+gone.ID+"}").Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if i > 1000 {
			t.Fatal("the frame's key did not expire")
		}
		time.Sleep(5 * time.Millisecond)
	}

	for _, p := range []driver.Policy{driver.LRU, driver.LFU, driver.AGE} {
		got, err := s.Candidates(ctx, driver.CandidateQuery{Policy: p, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != keep.ID {
			t.Errorf("%s candidates = %v, want only the live frame %s", p, got, keep.ID)
		}
	}
	u, err := s.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (driver.Usage{Frames: 1, Bytes: keep.Size}); u != want {
		t.Errorf("Usage = %+v, want %+v", u, want)
	}
	for _, idx := range []string{"lru", "lfu", "age", "exp"} {
		members, err := raw.Do(ctx, raw.B().Zrange().Key(prefix+"idx:{"+prefix+"}:"+idx).Min("0").Max("-1").Build()).AsStrSlice()
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(members, gone.ID) {
			t.Errorf("index %s still lists the expired frame", idx)
		}
	}
}

// A frame expired behind Usage's back is no longer counted, even when
// nothing else ran in between.
func TestUsageDropsExpiredFrames(t *testing.T) {
	base := testenv.RedisURL(t)
	s, prefix := openStore(t, base)
	raw := rawClient(t, base)
	r := newRecord(newID(), 1, []byte(`{"usage":"expiry"}`), time.Now())
	mustPut(t, s, r)
	if u, err := s.Usage(ctxT(t)); err != nil || u.Frames != 1 {
		t.Fatalf("Usage = %+v, %v; want 1 frame", u, err)
	}
	// Deleting the keys the way expiry does: the exp index still has the
	// old deadline, so make it look due, as it is when the TTL runs out.
	_ = raw.Do(ctxT(t), raw.B().Del().Key(prefix+"frame:{"+r.ID+"}", prefix+"meta:{"+r.ID+"}").Build()).Error()
	_ = raw.Do(ctxT(t), raw.B().Zadd().Key(prefix+"idx:{"+prefix+"}:exp").ScoreMember().ScoreMember(1, r.ID).Build()).Error()
	if u, err := s.Usage(ctxT(t)); err != nil || u != (driver.Usage{}) {
		t.Fatalf("Usage after expiry = %+v, %v; want zero", u, err)
	}
}
