package redisdriver_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// Whatever another client writes over a frame's keys, Get reports a
// corrupt copy: never a panic, never wrong data. (A key gone is not
// damage: see TestEvictedHalfIsMissing.)
func TestDamagedCopiesAreReported(t *testing.T) {
	base := testenv.RedisURL(t)
	s, prefix := openStore(t, base)
	raw := rawClient(t, base)
	doc := []byte(`{"task":"the real document","n":42}`)
	other := []byte(`{"task":"another document!","n":43}`)

	damage := map[string]func(fk, mk string){
		"garbage bytes": func(fk, _ string) {
			_ = raw.Do(ctxT(t), raw.B().Set().Key(fk).Value("\x00\xffnot brotli at all").Build()).Error()
		},
		"empty value": func(fk, _ string) {
			_ = raw.Do(ctxT(t), raw.B().Set().Key(fk).Value("").Build()).Error()
		},
		"valid brotli of other data": func(fk, _ string) {
			_ = raw.Do(ctxT(t), raw.B().Set().Key(fk).Value(string(codec.Compress(other, 5))).Build()).Error()
		},
		"truncated brotli": func(fk, _ string) {
			enc := codec.Compress(doc, 5)
			_ = raw.Do(ctxT(t), raw.B().Set().Key(fk).Value(string(enc[:len(enc)/2])).Build()).Error()
		},
		"document inflating past its size": func(fk, _ string) {
			big := make([]byte, 1<<20)
			_ = raw.Do(ctxT(t), raw.B().Set().Key(fk).Value(string(codec.Compress(big, 1))).Build()).Error()
		},
		"frame key of the wrong type": func(fk, _ string) {
			_ = raw.Do(ctxT(t), raw.B().Del().Key(fk).Build()).Error()
			_ = raw.Do(ctxT(t), raw.B().Hset().Key(fk).FieldValue().FieldValue("a", "b").Build()).Error()
		},
		"checksum field not a number": func(_, mk string) {
			_ = raw.Do(ctxT(t), raw.B().Hset().Key(mk).FieldValue().FieldValue("checksum", "abc").Build()).Error()
		},
		"huge size field": func(_, mk string) {
			_ = raw.Do(ctxT(t), raw.B().Hset().Key(mk).FieldValue().FieldValue("size", "99999999999999").Build()).Error()
		},
		"negative size field": func(_, mk string) {
			_ = raw.Do(ctxT(t), raw.B().Hset().Key(mk).FieldValue().FieldValue("size", "-1").Build()).Error()
		},
		"created_at garbage": func(_, mk string) {
			_ = raw.Do(ctxT(t), raw.B().Hset().Key(mk).FieldValue().FieldValue("created_at", "yesterday").Build()).Error()
		},
		"meta field missing": func(_, mk string) {
			_ = raw.Do(ctxT(t), raw.B().Hdel().Key(mk).Field("lfu_key").Build()).Error()
		},
		"meta of the wrong type": func(_, mk string) {
			_ = raw.Do(ctxT(t), raw.B().Del().Key(mk).Build()).Error()
			_ = raw.Do(ctxT(t), raw.B().Set().Key(mk).Value("x").Build()).Error()
		},
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			r := newRecord(newID(), 1, doc, time.Now())
			mustPut(t, s, r)
			fn(prefix+"frame:{"+r.ID+"}", prefix+"meta:{"+r.ID+"}")
			got, ok, err := s.Get(ctxT(t), r.ID)
			if !errors.Is(err, driver.ErrCorrupt) {
				t.Fatalf("Get = ok %v, data %q, err %v; want an error wrapping ErrCorrupt", ok, got.Data, err)
			}
			if ok || got.Data != nil {
				t.Fatalf("Get returned data with the error: %q", got.Data)
			}
			if _, err := s.GetMany(ctxT(t), []string{r.ID}); !errors.Is(err, driver.ErrCorrupt) {
				t.Fatalf("GetMany = %v, want ErrCorrupt", err)
			}
			// A good copy written again repairs the frame.
			r.Version = 2
			mustPut(t, s, r)
			if got, ok, err := s.Get(ctxT(t), r.ID); err != nil || !ok || string(got.Data) != string(doc) {
				t.Fatalf("Get after rewrite = %v, %v, %q", ok, err, got.Data)
			}
		})
	}
}
