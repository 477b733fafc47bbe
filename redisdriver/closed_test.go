package redisdriver_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// After Close, the optional interfaces fail with ErrClosed too.
func TestOptionalMethodsAfterClose(t *testing.T) {
	s, _ := openStore(t, testenv.RedisURL(t))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	r := newRecord(newID(), 1, []byte(`{}`), time.Now())
	_, getManyErr := s.GetMany(ctx, []string{r.ID})
	for name, err := range map[string]error{
		"GetMany": getManyErr,
		"PutMany": s.PutMany(ctx, []driver.Record{r}),
		"Ping":    s.Ping(ctx),
		"Compact": s.Compact(ctx),
		"Close":   s.Close(),
	} {
		if !errors.Is(err, driver.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}
