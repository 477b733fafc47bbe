package contextdb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stackmemoryai/tier/contextdb"
	"github.com/stackmemoryai/tier/driver"
)

// benchFile returns a context.db with n generated frames (three events
// and two anchors each), not yet adopted.
func benchFile(b *testing.B, n int) string {
	b.Helper()
	path := newContextDB(b)
	up := upstream(b, path)
	generate(b, up, n, 3, 2)
	if err := up.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkGet reads frames of an adopted file: each read encodes the
// frame's rows, events and anchors.
func BenchmarkGet(b *testing.B) {
	const n = 1000
	s := openStore(b, benchFile(b, n))
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("f%07d-1111-4111-8111-%012d", i%n, i%n)
		if _, ok, err := s.Get(ctx, id); err != nil || !ok {
			b.Fatal(ok, err)
		}
		i++
	}
}

// BenchmarkPut writes new frames with one event and one anchor each.
func BenchmarkPut(b *testing.B) {
	s := openStore(b, benchFile(b, 0))
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		doc := frameDocument("benchmark", i)
		rec := driver.Record{Meta: driver.Meta{ID: fmt.Sprintf("fe000000-6666-4666-8666-%012d", i), SessionID: "run", ProjectID: "p",
			Version: 1, Checksum: driver.Checksum(doc), Size: int64(len(doc))}, Data: doc}
		if err := s.Put(ctx, rec); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAdopt opens files never adopted: ALTER TABLE, triggers, and
// the first encoding of every frame.
func BenchmarkAdopt(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("frames=%d", n), func(b *testing.B) { benchAdopt(b, n) })
	}
}

func benchAdopt(b *testing.B, n int) {
	src := benchFile(b, n)
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(dir, fmt.Sprintf("context-%d.db", i))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		i++
		b.StartTimer()
		s, err := contextdb.Open(context.Background(), contextdb.Options{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = s.Close()
		b.StartTimer()
	}
}
