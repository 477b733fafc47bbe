package redisdriver_test

import (
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// Two prefixes on one Redis never see each other's frames.
func TestPrefixesAreIsolated(t *testing.T) {
	base := testenv.RedisURL(t)
	a, _ := openStore(t, base)
	b, _ := openStore(t, base)
	ctx := ctxT(t)
	r := newRecord(newID(), 1, []byte(`{"team":"a"}`), time.Now())
	mustPut(t, a, r)

	if _, ok, err := b.Get(ctx, r.ID); err != nil || ok {
		t.Errorf("other prefix Get = %v, %v; want not found", ok, err)
	}
	if recs, err := b.GetMany(ctx, []string{r.ID}); err != nil || len(recs) != 0 {
		t.Errorf("other prefix GetMany = %d records, %v; want none", len(recs), err)
	}
	for _, p := range []driver.Policy{driver.LRU, driver.LFU, driver.AGE} {
		if got, err := b.Candidates(ctx, driver.CandidateQuery{Policy: p, Limit: 10}); err != nil || len(got) != 0 {
			t.Errorf("other prefix %s candidates = %v, %v; want none", p, got, err)
		}
	}
	if u, err := b.Usage(ctx); err != nil || u != (driver.Usage{}) {
		t.Errorf("other prefix Usage = %+v, %v; want zero", u, err)
	}
	if err := b.Delete(ctx, r.ID, driver.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := b.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.Get(ctx, r.ID); err != nil || !ok {
		t.Errorf("frame gone after the other prefix deleted and compacted: %v, %v", ok, err)
	}
	if u, err := a.Usage(ctx); err != nil || u.Frames != 1 {
		t.Errorf("Usage = %+v, %v; want 1 frame", u, err)
	}
}
