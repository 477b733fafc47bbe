package redisdriver_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
	"github.com/stackmemoryai/tier/internal/testenv"
	"github.com/stackmemoryai/tier/redisdriver"
)

// The batch benchmarks run each batch call against a raw rueidis program
// doing the same work on the same server in the same run:
//
//	go test -run '^$' -bench 'DeleteMany|GetMetas' -count 5 ./redisdriver/

// benchDeleteMany deletes 100 frames per iteration, written (untimed)
// before each.
func benchDeleteMany(b *testing.B, batch bool) {
	s, _ := openStore(b, testenv.RedisURL(b))
	ctx := context.Background()
	recs := hundredRecords(true)
	dels := make([]driver.Deletion, len(recs))
	for i, r := range recs {
		dels[i] = driver.Deletion{ID: r.ID, UpTo: driver.AnyVersion}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if err := s.PutMany(ctx, recs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if batch {
			if err := s.DeleteMany(ctx, dels); err != nil {
				b.Fatal(err)
			}
			continue
		}
		for _, d := range dels {
			if err := s.Delete(ctx, d.ID, d.UpTo); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDeleteMany100 deletes 100 frames with one DeleteMany: version
// checks, both keys, the index entries.
func BenchmarkDeleteMany100(b *testing.B) { benchDeleteMany(b, true) }

// BenchmarkDeleteManyAsSingleDeletes100 deletes the same 100 frames with
// 100 Deletes, as the manager had to before DeleteMany.
func BenchmarkDeleteManyAsSingleDeletes100(b *testing.B) { benchDeleteMany(b, false) }

// BenchmarkRawDeleteMany100 does the same work with plain commands in one
// pipeline, without checking versions (which takes a script): DEL of the
// two keys of each frame, then one ZREM per sorted-set index, HDEL of the
// sizes and HINCRBY of their sum. The frames are written (untimed) with
// SET, HSET and the index entries before each.
func BenchmarkRawDeleteMany100(b *testing.B) {
	base := testenv.RedisURL(b)
	_, prefix := openStore(b, base) // for the key cleanup
	raw := rawClient(b, base)
	ctx := context.Background()
	recs := hundredRecords(true)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		writeRaw(b, raw, prefix, recs)
		b.StartTimer()
		cmds := make(rueidis.Commands, 0, len(recs)+6)
		ids := make([]string, len(recs))
		var sum int64
		for i, r := range recs {
			cmds = append(cmds, raw.B().Del().Key(prefix+"frame:{"+r.ID+"}", prefix+"meta:{"+r.ID+"}").Build())
			ids[i] = r.ID
			sum += r.Size
		}
		idx := prefix + "idx:{" + prefix + "}:"
		for _, z := range []string{"lru", "lfu", "age", "exp"} {
			cmds = append(cmds, raw.B().Zrem().Key(idx+z).Member(ids...).Build())
		}
		cmds = append(cmds,
			raw.B().Hdel().Key(idx+"size").Field(ids...).Build(),
			raw.B().Hincrby().Key(idx+"size").Field("{bytes}").Increment(-sum).Build())
		for _, res := range raw.DoMulti(ctx, cmds...) {
			if err := res.Error(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// writeRaw stores recs as the driver lays them out, index entries
// included, with plain commands.
func writeRaw(b *testing.B, raw rueidis.Client, prefix string, recs []driver.Record) {
	b.Helper()
	cmds := make(rueidis.Commands, 0, 2*len(recs))
	idx := prefix + "idx:{" + prefix + "}:"
	for _, z := range []string{"lru", "lfu", "age", "exp"} {
		add := raw.B().Zadd().Key(idx + z).ScoreMember()
		for i, r := range recs {
			add = add.ScoreMember(float64(i), r.ID)
		}
		cmds = append(cmds, add.Build())
	}
	size := raw.B().Hset().Key(idx + "size").FieldValue()
	for _, r := range recs {
		size = size.FieldValue(r.ID, strconv.FormatInt(r.Size, 10))
	}
	cmds = append(cmds, size.Build())
	for _, r := range recs {
		vals, err := redisdriver.EncodeMeta(r.Meta)
		if err != nil {
			b.Fatal(err)
		}
		h := raw.B().Hset().Key(prefix + "meta:{" + r.ID + "}").FieldValue()
		for i, f := range redisdriver.MetaFields {
			h = h.FieldValue(f, vals[i])
		}
		cmds = append(cmds,
			raw.B().Set().Key(prefix+"frame:{"+r.ID+"}").Value(rueidis.BinaryString(r.Compressed)).Build(),
			h.Build())
	}
	for _, res := range raw.DoMulti(context.Background(), cmds...) {
		if err := res.Error(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetMetas100 reads the metadata of 100 frames with one GetMetas:
// no document read, nothing inflated.
func BenchmarkGetMetas100(b *testing.B) {
	s, _ := openStore(b, testenv.RedisURL(b))
	ctx := context.Background()
	ids := putHundred(b, s)
	b.ReportAllocs()
	for b.Loop() {
		if ms, err := s.GetMetas(ctx, ids); err != nil || len(ms) != len(ids) {
			b.Fatal(len(ms), err)
		}
	}
}

// BenchmarkGetMetasByGetMany100 learns the same with GetMany, reading and
// inflating every document, as the manager had to before GetMetas.
func BenchmarkGetMetasByGetMany100(b *testing.B) {
	s, _ := openStore(b, testenv.RedisURL(b))
	ctx := context.Background()
	ids := putHundred(b, s)
	b.ReportAllocs()
	for b.Loop() {
		if rs, err := s.GetMany(ctx, ids); err != nil || len(rs) != len(ids) {
			b.Fatal(len(rs), err)
		}
	}
}

// BenchmarkRawGetMetas100 reads the meta hashes of the same 100 frames
// with one pipeline of HMGET, and parses nothing.
func BenchmarkRawGetMetas100(b *testing.B) {
	base := testenv.RedisURL(b)
	s, prefix := openStore(b, base)
	raw := rawClient(b, base)
	ctx := context.Background()
	ids := putHundred(b, s)
	b.ReportAllocs()
	for b.Loop() {
		cmds := make(rueidis.Commands, len(ids))
		for i, id := range ids {
			cmds[i] = raw.B().Hmget().Key(prefix + "meta:{" + id + "}").Field(redisdriver.MetaFields...).Build()
		}
		for _, res := range raw.DoMulti(ctx, cmds...) {
			if _, err := res.ToArray(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// putHundred stores 100 typical frames and returns their IDs.
func putHundred(b *testing.B, s *redisdriver.Store) []string {
	b.Helper()
	recs := hundredRecords(false)
	for i := range recs {
		recs[i].Compressed = codec.Compress(recs[i].Data, redisdriver.DefaultCompressionLevel)
	}
	if err := s.PutMany(context.Background(), recs); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}
