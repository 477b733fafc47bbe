package drivertest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

// testInvalidRecord checks that records a tier cannot store faithfully are
// refused with driver.ErrInvalidRecord before anything is written.
func testInvalidRecord(t *testing.T, h *Harness, tr driver.Tier) {
	for _, tc := range []struct {
		name  string
		spoil func(*driver.Record)
	}{
		{"EmptyID", func(r *driver.Record) { r.ID = "" }},
		{"SizeNotLenData", func(r *driver.Record) { r.Size++ }},
		{"ChecksumNotOfData", func(r *driver.Record) { r.Checksum ^= 1 }},
		{"VersionAboveMaxInt64", func(r *driver.Record) { r.Version = math.MaxInt64 + 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := record(newID(), 1, h.doc("invalid", 1), baseTime)
			tc.spoil(&r)
			if err := tr.Put(ctxFor(t), r); !errors.Is(err, driver.ErrInvalidRecord) {
				t.Errorf("Put of a record with %s = %v; want an error wrapping driver.ErrInvalidRecord", tc.name, err)
			}
			if b, ok := tr.(driver.Batcher); ok {
				if err := b.PutMany(ctxFor(t), []driver.Record{r}); !errors.Is(err, driver.ErrInvalidRecord) {
					t.Errorf("PutMany of a record with %s = %v; want an error wrapping driver.ErrInvalidRecord", tc.name, err)
				}
			}
			if r.ID != "" {
				mustAbsent(t, tr, r.ID)
			}
			if u, err := tr.Usage(ctxFor(t)); err != nil || u != (driver.Usage{}) {
				t.Errorf("Usage after refusing a record with %s = %+v, %v; want nothing stored", tc.name, u, err)
			}
		})
	}
}

// testFrameSizeLimit checks, when Harness.BigFrames is set, that documents
// of exactly the tier's MaxFrameSize come back byte for byte, and that one
// byte more is refused with driver.ErrInvalidRecord and nothing stored.
func testFrameSizeLimit(t *testing.T, h *Harness, tr driver.Tier) {
	sl, isLimiter := tr.(driver.SizeLimiter)
	if !h.BigFrames {
		t.Logf("Harness.BigFrames is off; documents at the size limit are not tried (tier is a SizeLimiter: %v)", isLimiter)
		return
	}
	if !isLimiter {
		t.Fatal("drivertest: Harness.BigFrames is set but the tier does not implement driver.SizeLimiter, so the suite cannot know how large a document must fit")
	}
	max := sl.MaxFrameSize()
	if max <= 0 {
		t.Fatalf("MaxFrameSize() = %d; want the size in bytes of the largest document the tier stores", max)
	}
	ctx := ctxFor(t)

	over := record(newID(), 1, sizedDocument(t, h, max+1, repeated), baseTime)
	if err := tr.Put(ctx, over); !errors.Is(err, driver.ErrInvalidRecord) {
		t.Errorf("Put of a document of MaxFrameSize()+1 = %d bytes = %v; want an error wrapping driver.ErrInvalidRecord", max+1, err)
	}
	mustAbsent(t, tr, over.ID)
	if u, err := tr.Usage(ctx); err != nil || u != (driver.Usage{}) {
		t.Errorf("Usage after refusing a document over the limit = %+v, %v; want nothing stored", u, err)
	}

	for _, fill := range []struct {
		name string
		text func(n int) string
	}{{"HighEntropy", randomBase64}, {"Repetitive", repeated}} {
		t.Run(fill.name, func(t *testing.T) {
			r := record(newID(), 1, sizedDocument(t, h, max, fill.text), baseTime)
			mustPut(t, tr, r)
			got := mustGet(t, tr, r.ID)
			if !bytes.Equal(got.Data, r.Data) {
				i := 0
				for i < len(got.Data) && i < len(r.Data) && got.Data[i] == r.Data[i] {
					i++
				}
				t.Fatalf("%s document of %d bytes came back as %d bytes, different from byte %d", fill.name, len(r.Data), len(got.Data), i)
			}
			if got.Checksum != r.Checksum || got.Size != r.Size {
				t.Fatalf("%s document of %d bytes came back with checksum %08x size %d, want %08x %d", fill.name, len(r.Data),
					got.Checksum, got.Size, r.Checksum, r.Size)
			}
			if err := tr.Delete(ctxFor(t), r.ID, driver.AnyVersion); err != nil {
				t.Fatalf("Delete of the %s document: %v", fill.name, err)
			}
		})
	}
}

// sizedDocument returns a document made by the harness of exactly size
// bytes, its text made by fill.
func sizedDocument(t *testing.T, h *Harness, size int64, fill func(n int) string) []byte {
	t.Helper()
	for _, n := range []int{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, -1, -10, -100, -1000} {
		base := int64(len(h.doc("", n)))
		per := int64(len(h.doc("x", n))) - base
		if per <= 0 {
			t.Fatalf("drivertest: Harness.Document(%q, %d) is no longer than Document(%q, %d): the text is not carried", "x", n, "", n)
		}
		rest := size - base
		if rest < 0 || rest%per != 0 {
			continue
		}
		if doc := h.doc(fill(int(rest/per)), n); int64(len(doc)) == size {
			return doc
		}
	}
	t.Fatalf("drivertest: cannot make a document of exactly %d bytes with Harness.Document (any text length, n of 1 to 8 digits)", size)
	return nil
}

// randomBase64 returns n characters of random base64: high entropy, no
// character JSON escapes.
func randomBase64(n int) string {
	b := make([]byte, n*3/4+3)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:n]
}

// repeated returns one character n times.
func repeated(n int) string { return strings.Repeat("z", n) }
