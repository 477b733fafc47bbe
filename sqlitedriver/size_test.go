package sqlitedriver_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// bigDoc returns a JSON document of exactly n bytes whose one string value
// is made by fill.
func bigDoc(n int, fill func(int) string) string {
	const head, tail = `{"a":"`, `"}`
	return head + fill(n-len(head)-len(tail)) + tail
}

// entropy returns n random characters of the base64 alphabet without its
// '+' and '/': the full-text index sees one long token. With them, the
// separators cut the text into about 500 000 random words per 16 MiB, and
// now and then one of them is "word" (or stems to it), which the search
// below counted as a fourth hit.
func entropy(n int) string {
	raw := make([]byte, n)
	rand.Read(raw)
	return strings.NewReplacer("+", "A", "/", "B").Replace(base64.RawStdEncoding.EncodeToString(raw)[:n])
}

func oneChar(n int) string { return strings.Repeat("x", n) }

func words(n int) string { return strings.Repeat("word ", n/5+1)[:n] }

// TestBigDocumentsOneAfterAnother writes documents up to MaxFrameSize of
// every kind, growing and in a row, on one store: each comes back byte for
// byte, is found by search, and nothing fails or panics (each connection's
// memory must hold the largest document again and again).
func TestBigDocumentsOneAfterAnother(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var ids []string
	n := 0
	put := func(size int, fill func(int) string) {
		t.Helper()
		rec := newRecord(n, bigDoc(size, fill))
		n++
		if err := s.Put(ctx, rec); err != nil {
			t.Fatalf("Put of %d bytes: %v", size, err)
		}
		if got := mustGet(t, s, rec.ID); string(got.Data) != string(rec.Data) {
			t.Fatalf("document of %d bytes came back different", size)
		}
		ids = append(ids, rec.ID)
	}
	for _, size := range []int{4 << 20, 8 << 20, sqlitedriver.MaxFrameSize} {
		for _, fill := range []func(int) string{entropy, oneChar, words} {
			put(size, fill)
		}
	}
	for range 3 {
		put(sqlitedriver.MaxFrameSize, oneChar)
		put(sqlitedriver.MaxFrameSize, entropy)
	}
	recs, err := s.GetMany(ctx, ids)
	if err != nil || len(recs) != len(ids) {
		t.Fatalf("GetMany of %d big frames = %d, %v", len(ids), len(recs), err)
	}
	hits, err := s.Query(ctx, driver.Query{Text: "word", Limit: 10})
	if err != nil || len(hits) != 3 {
		t.Fatalf("search among big frames = %d hits, %v; want 3", len(hits), err)
	}
	big := []driver.Record{
		newRecord(100, bigDoc(sqlitedriver.MaxFrameSize, oneChar)),
		newRecord(101, bigDoc(sqlitedriver.MaxFrameSize, entropy)),
		newRecord(102, bigDoc(sqlitedriver.MaxFrameSize, words)),
	}
	if err := s.PutMany(ctx, big); err != nil {
		t.Fatalf("PutMany of three documents of MaxFrameSize: %v", err)
	}
	over := newRecord(103, bigDoc(sqlitedriver.MaxFrameSize+1, oneChar))
	if err := s.Put(ctx, over); !errors.Is(err, driver.ErrInvalidRecord) {
		t.Errorf("Put of MaxFrameSize+1 bytes = %v, want ErrInvalidRecord", err)
	}
}
