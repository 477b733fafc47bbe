package redisdriver_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
	"github.com/stackmemoryai/tier/redisdriver"
)

// The fuzz tests below feed the decoders of what Redis holds (the meta
// hash and the compressed document) values that another client, a damaged
// server or an attacker with access to Redis could have written. Whatever
// the bytes, decoding must not panic, must never return a document that
// does not match its checksum, and must report what it refuses as
// driver.ErrCorrupt.

// message builds a reply as rueidis would decode it from the server: a
// bulk string, or nil when null is set.
func message(t testing.TB, s string, null bool) rueidis.RedisMessage {
	buf := make([]byte, 7, 7+9+len(s)) // 7 bytes of cache TTL
	typ := byte('$')
	n := uint64(len(s))
	if null {
		typ, n, s = '_', 0, ""
	}
	buf = append(buf, typ)
	buf = binary.BigEndian.AppendUint64(buf, n)
	buf = append(buf, s...)
	var m rueidis.RedisMessage
	if err := m.CacheUnmarshalView(buf); err != nil {
		t.Fatal(err)
	}
	return m
}

// array builds an array reply of bulk strings; bit i of nulls makes the
// i-th value nil.
func array(t testing.TB, vals []string, nulls uint16) rueidis.RedisMessage {
	buf := make([]byte, 7, 64)
	buf = append(buf, '*')
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(vals)))
	for i, v := range vals {
		if nulls&(1<<i) != 0 {
			buf = append(buf, '_')
			buf = binary.BigEndian.AppendUint64(buf, 0)
			continue
		}
		buf = append(buf, '$')
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	var m rueidis.RedisMessage
	if err := m.CacheUnmarshalView(buf); err != nil {
		t.Fatal(err)
	}
	return m
}

const fuzzID = "0198c6a4-2b1e-7c3d-9e4f-5a6b7c8d9e0f"

func goodMeta(doc []byte) []string {
	vals, err := redisdriver.EncodeMeta(driver.Meta{
		ID: fuzzID, SessionID: fuzzID, ProjectID: "proj", Version: 1764132000123456,
		Checksum: driver.Checksum(doc), Size: int64(len(doc)),
		CreatedAt: time.UnixMicro(1764132000123456), LastAccess: time.UnixMicro(1764132000999000),
		AccessCount: 3, LFUKey: 12.5,
	})
	if err != nil {
		panic(err)
	}
	return vals
}

// FuzzDecodeFrame decodes a document and a meta hash reply.
func FuzzDecodeFrame(f *testing.F) {
	doc := []byte(`{"task":"fuzz","n":[1,2,3]}`)
	enc := codec.Compress(doc, 5)
	add := func(enc []byte, docNil bool, vals []string, nulls uint16) {
		f.Add(enc, docNil, strings.Join(vals, "\x00"), nulls)
	}
	good := goodMeta(doc)
	add(enc, false, good, 0)
	add(enc, true, good, 0)      // meta hash without document: missing
	add(enc, false, good, 0x3ff) // document without meta hash: half evicted, missing
	add(enc, false, good, 1<<2)  // one field missing
	add(enc, false, good[:9], 0) // short reply
	add(enc[:len(enc)/2], false, good, 0)
	add([]byte("not brotli"), false, good, 0)
	add(doc, false, good, 0) // stored uncompressed
	for i, v := range []string{"-1", "x", "4294967296", "99999999999999999999", "1.5", "", " 7", "NaN", "+Inf", "1e400"} {
		bad := append([]string(nil), good...)
		bad[i%len(bad)] = v
		add(enc, false, bad, 0)
	}
	big := append([]string(nil), good...)
	big[2] = "9223372036854775807"
	add(enc, false, big, 0)
	f.Fuzz(func(t *testing.T, enc []byte, docNil bool, joined string, nulls uint16) {
		vals := strings.Split(joined, "\x00")
		if len(vals) > 16 {
			vals = vals[:16]
		}
		d := message(t, string(enc), docNil)
		m := array(t, vals, nulls)
		rec, ok, err := redisdriver.DecodeFrame(fuzzID, 1<<20, &d, &m)
		switch {
		case err != nil:
			if !errors.Is(err, driver.ErrCorrupt) {
				t.Fatalf("decode refused with %v, not ErrCorrupt", err)
			}
			if ok {
				t.Fatal("decode reported ok with an error")
			}
		case ok:
			if driver.Checksum(rec.Data) != rec.Checksum || int64(len(rec.Data)) != rec.Size {
				t.Fatalf("decode returned %d bytes that do not match size %d and checksum %08x", len(rec.Data), rec.Size, rec.Checksum)
			}
			if rec.ID != fuzzID || !bytes.Equal(rec.Compressed, enc) {
				t.Fatal("decode returned another frame's identity or bytes")
			}
		}
	})
}

// FuzzParseMeta decodes a meta hash reply alone: a hash it accepts holds
// values that encode back to what was read (for the numeric fields).
func FuzzParseMeta(f *testing.F) {
	good := goodMeta([]byte(`{}`))
	f.Add(strings.Join(good, "\x00"), uint16(0))
	f.Add(strings.Join(good, "\x00"), uint16(0x3ff))
	f.Add(strings.Join(good, "\x00"), uint16(1))
	f.Add("1\x002\x003\x00\x00\x00\x00-5.5\x000\x001\x00-0", uint16(0))
	f.Fuzz(func(t *testing.T, joined string, nulls uint16) {
		vals := strings.Split(joined, "\x00")
		if len(vals) > 16 {
			vals = vals[:16]
		}
		m := array(t, vals, nulls)
		msgs, err := m.ToArray()
		if err != nil {
			t.Fatal(err)
		}
		meta, ok, err := redisdriver.ParseMeta(fuzzID, msgs)
		if err != nil {
			if !errors.Is(err, driver.ErrCorrupt) || ok {
				t.Fatalf("ParseMeta: ok %v, %v; want ErrCorrupt", ok, err)
			}
			return
		}
		if !ok {
			return
		}
		if meta.Size < 0 {
			t.Fatalf("ParseMeta accepted a negative size %d", meta.Size)
		}
		again, err := redisdriver.EncodeMeta(meta)
		if err != nil {
			t.Fatalf("a decoded meta does not encode: %v", err)
		}
		m2 := array(t, again, 0)
		msgs2, _ := m2.ToArray()
		back, ok, err := redisdriver.ParseMeta(fuzzID, msgs2)
		if err != nil || !ok || back.Version != meta.Version || back.Checksum != meta.Checksum ||
			back.Size != meta.Size || !back.CreatedAt.Equal(meta.CreatedAt) || !back.LastAccess.Equal(meta.LastAccess) ||
			back.AccessCount != meta.AccessCount || back.LFUKey != meta.LFUKey {
			t.Fatalf("meta %+v does not survive encode and decode: %+v, %v", meta, back, err)
		}
	})
}

// FuzzMillis checks the timestamp codec: every microsecond time survives
// format and parse; any string either fails or parses to a time that
// formats and parses back to itself.
func FuzzMillis(f *testing.F) {
	f.Add(int64(1764132000123456), "1764132000123.456")
	f.Add(int64(-1), "-0.001")
	f.Add(int64(0), "0")
	f.Add(int64(-1764132000123456), "-1764132000123.4")
	f.Add(int64(9223372036854775807), "9223372036854775.807")
	f.Add(int64(-9223372036854775808), "1.")
	f.Fuzz(func(t *testing.T, us int64, s string) {
		tm := time.UnixMicro(us).UTC()
		back, err := redisdriver.ParseMillis(redisdriver.FormatMillis(tm))
		if err == nil && !back.Equal(tm) {
			t.Fatalf("%d µs formats as %q and parses back as %d µs", us, redisdriver.FormatMillis(tm), back.UnixMicro())
		}
		if err != nil && us/1000 > -9223372036854775 && us/1000 < 9223372036854775 {
			t.Fatalf("%d µs formats as %q, which does not parse: %v", us, redisdriver.FormatMillis(tm), err)
		}
		got, err := redisdriver.ParseMillis(s)
		if err != nil {
			return
		}
		again, err := redisdriver.ParseMillis(redisdriver.FormatMillis(got))
		if err != nil || !again.Equal(got) {
			t.Fatalf("%q parses as %d µs, which formats as %q and parses as %v, %v",
				s, got.UnixMicro(), redisdriver.FormatMillis(got), again, err)
		}
	})
}
