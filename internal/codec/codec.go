// Package codec compresses frame documents for the tiers that store them
// compressed (Redis, PostgreSQL), with brotli.
package codec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/andybalholm/brotli"
)

// DefaultLevel is the brotli quality used when a tier sets none: a good
// ratio on JSON at a cost small enough for the write path of a warm tier.
const DefaultLevel = 5

// ErrDecode is returned for bytes that are not a valid brotli stream or
// inflate past the allowed size.
var ErrDecode = errors.New("codec: invalid compressed document")

var writers [brotli.BestCompression + 1]sync.Pool

// Compress returns data encoded with brotli at the given quality (0 to 11).
func Compress(data []byte, level int) []byte {
	if level < brotli.BestSpeed || level > brotli.BestCompression {
		level = DefaultLevel
	}
	var buf bytes.Buffer
	buf.Grow(len(data)/3 + 16)
	w, _ := writers[level].Get().(*brotli.Writer)
	if w == nil {
		w = brotli.NewWriterLevel(&buf, level)
	} else {
		w.Reset(&buf)
	}
	_, _ = w.Write(data) // writes to a bytes.Buffer cannot fail
	_ = w.Close()
	writers[level].Put(w)
	return buf.Bytes()
}

var readers sync.Pool

// Decompress inflates a brotli stream. It refuses to produce more than
// maxSize bytes, so a hostile value cannot exhaust memory.
func Decompress(enc []byte, maxSize int64) ([]byte, error) {
	r, _ := readers.Get().(*brotli.Reader)
	if r == nil {
		r = brotli.NewReader(bytes.NewReader(enc))
	} else if err := r.Reset(bytes.NewReader(enc)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	defer readers.Put(r)
	out, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	if int64(len(out)) > maxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrDecode, maxSize)
	}
	return out, nil
}
