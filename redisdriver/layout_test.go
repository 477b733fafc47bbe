package redisdriver_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// After a Put, redis-cli shows the keys of the storage spec.
func TestKeyLayout(t *testing.T) {
	base := testenv.RedisURL(t)
	s, prefix := openStore(t, base)
	raw := rawClient(t, base)
	ctx := ctxT(t)
	doc := []byte(`{"task":"layout","n":1}`)
	r := newRecord(newID(), 3, doc, time.Now())
	mustPut(t, s, r)

	fk, mk := prefix+"frame:{"+r.ID+"}", prefix+"meta:{"+r.ID+"}"
	for _, k := range []string{fk, mk} {
		ms, err := raw.Do(ctx, raw.B().Pttl().Key(k).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		if ms <= 0 || ms > (24*time.Hour).Milliseconds() {
			t.Errorf("PTTL %s = %d ms, want in (0, 86400000]", k, ms)
		}
	}
	enc, err := raw.Do(ctx, raw.B().Get().Key(fk).Build()).AsBytes()
	if err != nil {
		t.Fatalf("GET %s: %v", fk, err)
	}
	if dec, err := codec.Decompress(enc, 1<<20); err != nil || string(dec) != string(doc) {
		t.Errorf("%s does not hold the brotli-compressed document: %q, %v", fk, dec, err)
	}
	h, err := raw.Do(ctx, raw.B().Hgetall().Key(mk).Build()).AsStrMap()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"tier_level":   "2",
		"version":      "3",
		"checksum":     strconv.FormatUint(uint64(r.Checksum), 10),
		"size":         strconv.Itoa(len(doc)),
		"session_id":   r.SessionID,
		"project_id":   r.ProjectID,
		"parent_id":    "",
		"access_count": "1",
	}
	for f, v := range want {
		if h[f] != v {
			t.Errorf("%s field %s = %q, want %q", mk, f, h[f], v)
		}
	}
	for _, f := range []string{"accessed_at", "created_at", "lfu_key"} {
		if _, err := strconv.ParseFloat(h[f], 64); err != nil {
			t.Errorf("%s field %s = %q, want a number", mk, f, h[f])
		}
	}
	ms, _ := strconv.ParseFloat(h["accessed_at"], 64)
	if got := time.UnixMilli(int64(ms)); got.Sub(r.LastAccess).Abs() > time.Millisecond {
		t.Errorf("accessed_at = %s ms = %v, want the frame's last access %v", h["accessed_at"], got, r.LastAccess)
	}
}

// With durable=true the frame's keys have no TTL: a sole copy never expires.
func TestDurableKeysHaveNoTTL(t *testing.T) {
	base := testenv.RedisURL(t)
	s, prefix := openStore(t, base, "durable", "true")
	if !s.Durable() {
		t.Fatal("Durable() = false with durable=true")
	}
	raw := rawClient(t, base)
	r := newRecord(newID(), 1, []byte(`{"durable":true}`), time.Now())
	mustPut(t, s, r)
	if _, _, err := s.Get(ctxT(t), r.ID); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{prefix + "frame:{" + r.ID + "}", prefix + "meta:{" + r.ID + "}"} {
		if ms, err := raw.Do(ctxT(t), raw.B().Pttl().Key(k).Build()).AsInt64(); err != nil || ms != -1 {
			t.Errorf("PTTL %s = %d, %v; want -1 (no expiry)", k, ms, err)
		}
	}
	plain, _ := openStore(t, base)
	if plain.Durable() {
		t.Error("Durable() = true by default")
	}
}

// Compressed bytes given with the record are stored as they are and come
// back with Get.
func TestCompressedStoredAsGiven(t *testing.T) {
	base := testenv.RedisURL(t)
	s, prefix := openStore(t, base)
	raw := rawClient(t, base)
	doc := []byte(`{"pass":"through","level":11}`)
	r := newRecord(newID(), 1, doc, time.Now())
	r.Compressed = codec.Compress(doc, 11)
	mustPut(t, s, r)
	stored, err := raw.Do(ctxT(t), raw.B().Get().Key(prefix+"frame:{"+r.ID+"}").Build()).AsBytes()
	if err != nil || string(stored) != string(r.Compressed) {
		t.Fatalf("stored bytes differ from the Compressed given (err %v)", err)
	}
	got, ok, err := s.Get(ctxT(t), r.ID)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if string(got.Compressed) != string(r.Compressed) || string(got.Data) != string(doc) {
		t.Fatal("Get did not return the stored compressed bytes and the document")
	}
	var _ driver.Record = got
}
