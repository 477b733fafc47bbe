package codec

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRoundTripAtEveryLevel(t *testing.T) {
	doc := []byte(`{"task":"` + strings.Repeat("compress me ", 500) + `"}`)
	for level := -1; level <= 12; level++ {
		enc := Compress(doc, level)
		if len(enc) >= len(doc) {
			t.Errorf("level %d: %d bytes compressed to %d", level, len(doc), len(enc))
		}
		dec, err := Decompress(enc, int64(len(doc)))
		if err != nil || !bytes.Equal(dec, doc) {
			t.Fatalf("level %d: round trip failed: %v", level, err)
		}
	}
}

func TestDecompressRefusesBombsAndGarbage(t *testing.T) {
	big := Compress(bytes.Repeat([]byte("a"), 1<<20), DefaultLevel)
	if _, err := Decompress(big, 1000); !errors.Is(err, ErrDecode) {
		t.Fatalf("a stream inflating past the cap = %v, want ErrDecode", err)
	}
	for _, junk := range [][]byte{nil, {0xff}, []byte("not brotli at all"), big[:len(big)/2]} {
		if out, err := Decompress(junk, 1<<20); err == nil && len(junk) > 0 && len(out) > 0 {
			t.Errorf("garbage %q decoded to %q without error", junk, out)
		}
	}
}

func FuzzDecompress(f *testing.F) {
	f.Add([]byte{})
	f.Add(Compress([]byte(`{"a":1}`), DefaultLevel))
	f.Add([]byte("\x8b\x03\x80hello\x03"))
	f.Fuzz(func(t *testing.T, enc []byte) {
		out, err := Decompress(enc, 1<<16)
		if err == nil && int64(len(out)) > 1<<16 {
			t.Fatalf("Decompress returned %d bytes past its cap", len(out))
		}
	})
}
