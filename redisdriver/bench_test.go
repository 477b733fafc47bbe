package redisdriver_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver/internal/redistest"
)

// networkDelay is the one-way delay of the proxy the Remote benchmarks go
// through: about half a millisecond of round trip, a Redis on another
// machine of the same network.
const networkDelay = 250 * time.Microsecond

// remoteURL returns the test Redis URL rewritten to go through a delaying
// proxy.
func remoteURL(b *testing.B) string {
	base := testenv.RedisURL(b)
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	p := redistest.StartProxy(b, u.Host, networkDelay)
	u.Host = p.Addr()
	return u.String()
}

// benchDocument is a frame document of about 1.5 KB, the size of a
// typical StackMemory frame.
func benchDocument(n int) []byte {
	var events []string
	for i := range 12 {
		events = append(events, fmt.Sprintf(`{"kind":"tool","name":"go test ./pkg/%d/...","ok":true,"ms":%d}`, i, 100+i*7))
	}
	return fmt.Appendf(nil, `{"task":"refactor the storage layer, step %d","inputs":{"files":["tier.go","manager.go","redisdriver/put.go"],"constraints":["no data loss","local first"]},`+
		`"outputs":{"summary":"moved index updates into the frame script on a single Redis; cluster keeps two calls","diff_lines":%d},`+
		`"digest":"sha256:9f2c1b7e4a5d6c8b0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f","events":[%s]}`,
		n, n*3, strings.Join(events, ","))
}

func benchRecord(id string, version uint64, n int) driver.Record {
	return newRecord(id, version, benchDocument(n), time.Now())
}

// BenchmarkGet reads one frame through the driver: one round trip, inflate,
// checksum.
func BenchmarkGet(b *testing.B) { benchGet(b, testenv.RedisURL(b)) }

func benchGet(b *testing.B, base string) {
	s, _ := openStore(b, base)
	r := benchRecord(newID(), 1, 1)
	mustPut(b, s, r)
	ctx := context.Background()
	b.SetBytes(r.Size)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := s.Get(ctx, r.ID); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkRawGet reads the same compressed bytes with a plain rueidis GET.
func BenchmarkRawGet(b *testing.B) { benchRawGet(b, testenv.RedisURL(b)) }

func benchRawGet(b *testing.B, base string) {
	_, prefix := openStore(b, base) // for the key cleanup
	raw := rawClient(b, base)
	r := benchRecord(newID(), 1, 1)
	key := prefix + "raw:{" + r.ID + "}"
	ctx := context.Background()
	if err := raw.Do(ctx, raw.B().Set().Key(key).Value(string(codec.Compress(r.Data, codec.DefaultLevel))).Build()).Error(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(r.Size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := raw.Do(ctx, raw.B().Get().Key(key).Build()).AsBytes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut writes a new version of one frame through the driver,
// compressing it.
func BenchmarkPut(b *testing.B) {
	s, _ := openStore(b, testenv.RedisURL(b))
	r := benchRecord(newID(), 1, 1)
	ctx := context.Background()
	b.SetBytes(r.Size)
	b.ReportAllocs()
	for b.Loop() {
		r.Version++
		if err := s.Put(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutPrecompressed writes a frame whose compressed bytes come with
// the record (a frame passing down from a tier that stores them).
func BenchmarkPutPrecompressed(b *testing.B) {
	s, _ := openStore(b, testenv.RedisURL(b))
	r := benchRecord(newID(), 1, 1)
	r.Compressed = codec.Compress(r.Data, codec.DefaultLevel)
	ctx := context.Background()
	b.SetBytes(r.Size)
	b.ReportAllocs()
	for b.Loop() {
		r.Version++
		if err := s.Put(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawSet writes the same compressed bytes with a plain rueidis SET.
func BenchmarkRawSet(b *testing.B) {
	base := testenv.RedisURL(b)
	_, prefix := openStore(b, base)
	raw := rawClient(b, base)
	r := benchRecord(newID(), 1, 1)
	enc := string(codec.Compress(r.Data, codec.DefaultLevel))
	key := prefix + "raw:{" + r.ID + "}"
	ctx := context.Background()
	b.SetBytes(r.Size)
	b.ReportAllocs()
	for b.Loop() {
		if err := raw.Do(ctx, raw.B().Set().Key(key).Value(enc).Build()).Error(); err != nil {
			b.Fatal(err)
		}
	}
}

func hundredRecords(precompressed bool) []driver.Record {
	recs := make([]driver.Record, 100)
	for i := range recs {
		recs[i] = benchRecord(newID(), 1, i)
		if precompressed {
			recs[i].Compressed = codec.Compress(recs[i].Data, codec.DefaultLevel)
		}
	}
	return recs
}

func benchPut100(b *testing.B, base string, precompressed, batch bool) {
	s, _ := openStore(b, base)
	recs := hundredRecords(precompressed)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for i := range recs {
			recs[i].Version++
		}
		if batch {
			if err := s.PutMany(ctx, recs); err != nil {
				b.Fatal(err)
			}
			continue
		}
		for _, r := range recs {
			if err := s.Put(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkPutMany100 writes 100 frames with one PutMany.
func BenchmarkPutMany100(b *testing.B) { benchPut100(b, testenv.RedisURL(b), false, true) }

// BenchmarkPut100Single writes the same 100 frames with 100 Puts.
func BenchmarkPut100Single(b *testing.B) { benchPut100(b, testenv.RedisURL(b), false, false) }

// BenchmarkPutMany100Precompressed is PutMany100 with the compressed bytes
// given, which leaves the round trips alone to compare.
func BenchmarkPutMany100Precompressed(b *testing.B) {
	benchPut100(b, testenv.RedisURL(b), true, true)
}

// BenchmarkPut100SinglePrecompressed is Put100Single with the compressed
// bytes given.
func BenchmarkPut100SinglePrecompressed(b *testing.B) {
	benchPut100(b, testenv.RedisURL(b), true, false)
}

// BenchmarkRemotePutMany100 is PutMany100 through a proxy adding
// networkDelay each way.
func BenchmarkRemotePutMany100(b *testing.B) { benchPut100(b, remoteURL(b), false, true) }

// BenchmarkRemotePut100Single is Put100Single through the same proxy.
func BenchmarkRemotePut100Single(b *testing.B) { benchPut100(b, remoteURL(b), false, false) }

// BenchmarkRemoteGet is Get through the proxy.
func BenchmarkRemoteGet(b *testing.B) { benchGet(b, remoteURL(b)) }

// BenchmarkRemoteRawGet is RawGet through the proxy.
func BenchmarkRemoteRawGet(b *testing.B) { benchRawGet(b, remoteURL(b)) }
