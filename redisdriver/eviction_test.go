package redisdriver_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver/internal/redistest"
)

// A Redis under memory pressure with allkeys-lru evicts the two keys of a
// frame independently. Filled far past its limit, the store reports no
// damage anywhere: a frame with a key gone is missing, Usage counts what
// Redis holds, Compact removes the halves left and reports nothing.
func TestEvictionIsAMiss(t *testing.T) {
	srv := redistest.Start(t, "--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru")
	s, prefix := openStore(t, srv.URL())
	raw := rawClient(t, srv.URL())
	ctx := ctxT(t)

	// About 10 MB of documents that do not compress, into 3 MB.
	const frames = 3000
	recs := make(map[string]driver.Record, frames)
	var ids []string
	for i := range frames {
		doc := randomDocument(i)
		r := newRecord(newID(), 1, doc, time.Now().Add(time.Duration(i)*time.Millisecond))
		if err := s.Put(ctx, r); err != nil {
			t.Fatalf("Put %d under memory pressure: %v", i, err)
		}
		recs[r.ID] = r
		ids = append(ids, r.ID)
	}
	evicted := evictedKeys(t, srv)
	if evicted == 0 {
		t.Fatal("Redis evicted nothing; the test needs a fuller server")
	}
	// Stop evicting, so that what follows sees one state.
	if _, err := srv.Do("CONFIG", "SET", "maxmemory", "0"); err != nil {
		t.Fatal(err)
	}
	whole, halves := keyCensus(t, raw, prefix, ids)
	t.Logf("%d frames written, %d keys evicted: %d frames whole, %d with one key left", frames, evicted, len(whole), halves)
	if halves == 0 {
		t.Fatal("no frame lost only one of its keys; the test needs another fill")
	}
	var wantBytes int64
	for id := range whole {
		wantBytes += recs[id].Size
	}

	for _, id := range ids {
		got, ok, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get(%s) after eviction: %v", id, err)
		}
		if ok != whole[id] {
			t.Fatalf("Get(%s) ok = %v, want %v", id, ok, whole[id])
		}
		if ok && string(got.Data) != string(recs[id].Data) {
			t.Fatalf("Get(%s) returned other bytes", id)
		}
	}
	got, err := s.GetMany(ctx, ids)
	if err != nil {
		t.Fatalf("GetMany after eviction: %v", err)
	}
	if len(got) != len(whole) {
		t.Fatalf("GetMany after eviction returned %d frames, want the %d whole ones", len(got), len(whole))
	}
	metas, err := s.GetMetas(ctx, ids)
	if err != nil {
		t.Fatalf("GetMetas after eviction: %v", err)
	}
	if len(metas) != len(whole) {
		t.Fatalf("GetMetas after eviction returned %d frames, want the %d whole ones", len(metas), len(whole))
	}

	// Usage never counts more than Redis holds, and Candidates returns
	// no frame Redis lost. (Both may list less: Redis may have evicted,
	// and writes re-created, an index key; Compact rebuilds it.)
	// The first Usage call of a process checks every frame, so a short
	// process (a status command) is right at once.
	want := driver.Usage{Frames: int64(len(whole)), Bytes: wantBytes}
	u, err := s.Usage(ctx)
	if err != nil {
		t.Fatalf("Usage after eviction: %v", err)
	}
	if u.Frames > want.Frames || u.Bytes > want.Bytes {
		t.Fatalf("Usage after eviction = %+v, more than Redis holds, %+v", u, want)
	}
	candidatesAre := func(when string, exact bool) {
		t.Helper()
		cands, err := s.Candidates(ctx, driver.CandidateQuery{Policy: driver.AGE, Limit: frames})
		if err != nil {
			t.Fatalf("Candidates %s: %v", when, err)
		}
		for _, m := range cands {
			if !whole[m.ID] {
				t.Fatalf("Candidates %s returned %s, which Redis does not hold whole", when, m.ID)
			}
		}
		if exact && len(cands) != len(whole) {
			t.Fatalf("Candidates %s returned %d frames, want the %d whole ones", when, len(cands), len(whole))
		}
	}
	candidatesAre("after eviction", false)

	if err := s.Compact(ctx); err != nil {
		t.Fatalf("Compact after eviction: %v", err)
	}
	if after, halves := keyCensus(t, raw, prefix, ids); halves != 0 || len(after) != len(whole) {
		t.Fatalf("after Compact: %d whole frames and %d lone keys, want %d and none", len(after), halves, len(whole))
	}
	if u, err := s.Usage(ctx); err != nil || u != want {
		t.Fatalf("Usage after Compact = %+v, %v; want %+v", u, err, want)
	}
	candidatesAre("after Compact", true)
}

// randomDocument returns a JSON document of 2 to 5 KB that brotli cannot
// shrink much.
func randomDocument(i int) []byte {
	b := make([]byte, 1500+i%1500)
	_, _ = rand.Read(b)
	return fmt.Appendf(nil, `{"n":%d,"blob":"%s"}`, i, base64.StdEncoding.EncodeToString(b))
}

// evictedKeys reads the server's evicted_keys counter.
func evictedKeys(t *testing.T, srv *redistest.Server) int64 {
	t.Helper()
	c := rawClient(t, srv.URL())
	info, err := c.Do(ctxT(t), c.B().Info().Section("stats").Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for line := range strings.Lines(info) {
		if _, err := fmt.Sscanf(line, "evicted_keys:%d", &n); err == nil {
			return n
		}
	}
	t.Fatal("INFO stats has no evicted_keys")
	return 0
}

// keyCensus reports, with EXISTS, which of ids have both keys, and how
// many have only one.
func keyCensus(t *testing.T, raw rueidis.Client, prefix string, ids []string) (whole map[string]bool, halves int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmds := make(rueidis.Commands, len(ids))
	for i, id := range ids {
		cmds[i] = raw.B().Exists().Key(prefix+"frame:{"+id+"}", prefix+"meta:{"+id+"}").Build()
	}
	whole = map[string]bool{}
	for i, r := range raw.DoMulti(ctx, cmds...) {
		n, err := r.AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		switch n {
		case 2:
			whole[ids[i]] = true
		case 1:
			halves++
		}
	}
	return whole, halves
}

// After keys vanish the way eviction removes them (one key of a frame),
// Usage stops counting those frames within frames/512+1 calls, with no
// Compact, and never counts them again.
func TestUsageForgetsEvictedFrames(t *testing.T) {
	base := testenv.RedisURL(t)
	s, prefix := openStore(t, base)
	raw := rawClient(t, base)
	ctx := ctxT(t)
	const frames = 2000
	recs := make([]driver.Record, frames)
	for i := range recs {
		recs[i] = newRecord(newID(), 1, fmt.Appendf(nil, `{"n":%d}`, i), time.Now())
	}
	if err := s.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var want driver.Usage
	var dels rueidis.Commands
	for i, r := range recs {
		switch i % 5 {
		case 0:
			dels = append(dels, raw.B().Del().Key(prefix+"meta:{"+r.ID+"}").Build())
		case 1:
			dels = append(dels, raw.B().Del().Key(prefix+"frame:{"+r.ID+"}").Build())
		default:
			want.Frames++
			want.Bytes += r.Size
		}
	}
	for _, r := range raw.DoMulti(ctx, dels...) {
		if err := r.Error(); err != nil {
			t.Fatal(err)
		}
	}
	var u driver.Usage
	for range frames/512 + 1 {
		var err error
		if u, err = s.Usage(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if u != want {
		t.Fatalf("Usage after %d calls = %+v, want %+v", frames/512+1, u, want)
	}
}
