package redisdriver_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver"
)

// Reads racing with rewrites of the same frame, from separate connections
// as separate processes would, always see one whole version: never a
// document of one version with the meta hash of another.
func TestGetNeverTornByConcurrentPut(t *testing.T) {
	base := testenv.RedisURL(t)
	w, prefix := openStore(t, base)
	o, err := redisdriver.ParseURL(withParams(t, base, "prefix", prefix, "timeout", testTimeout))
	if err != nil {
		t.Fatal(err)
	}
	r, err := redisdriver.Open(ctxT(t), o) // same prefix, own connections
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	id := newID()
	doc := func(v uint64) []byte {
		return fmt.Appendf(nil, `{"version":%d,"padding":"%0*d"}`, v, int(v%50), 0)
	}
	mustPut(t, w, newRecord(id, 1, doc(1), time.Now()))

	const writes = 300
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer done.Store(true)
		for v := uint64(2); v <= writes; v++ {
			if err := w.Put(ctxT(t), newRecord(id, v, doc(v), time.Now())); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !done.Load() && i < 100000; i++ {
				got, ok, err := r.Get(ctxT(t), id)
				if err == nil && ok && string(got.Data) != string(doc(got.Version)) {
					err = fmt.Errorf("version %d came with the document %q", got.Version, got.Data)
				}
				if err == nil {
					_, err = r.GetMany(ctxT(t), []string{id})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("read during rewrites: %v", err)
	}
	if got, _, _ := r.Get(ctxT(t), id); got.Version != writes {
		t.Fatalf("final version %d, want %d", got.Version, writes)
	}
	var _ driver.Tier = r
}
