package sqlitedriver_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// searchFixture returns a file of n frames of about 400 bytes: "common"
// is in every frame, "rare" in one frame of a thousand. Frames are written
// in batches of 1000.
//
// The file is built in a temporary directory, unless
// TIER_BENCH_SEARCH_CACHE names a directory: there it is built once, as
// search-<n>.db, and reused by later runs (opened, and so migrated, by the
// code under test; delete it to rebuild).
func searchFixture(b *testing.B, n int) string {
	b.Helper()
	dir := os.Getenv("TIER_BENCH_SEARCH_CACHE")
	if dir == "" {
		return buildSearchFixture(b, filepath.Join(b.TempDir(), "frames.db"), n)
	}
	path := filepath.Join(dir, fmt.Sprintf("search-%d.db", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	building := filepath.Join(b.TempDir(), "frames.db")
	buildSearchFixture(b, building, n)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	// The store that built it is closed: the database file holds every frame.
	if err := copyFile(building, path+".tmp"); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

// copyFile copies the file src to dst, which it creates or truncates.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// buildSearchFixture writes the frames of searchFixture to a new file at
// path and returns path.
func buildSearchFixture(b *testing.B, path string, n int) string {
	b.Helper()
	s, err := sqlitedriver.Open(context.Background(), sqlitedriver.Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := make([]driver.Record, 0, 1000)
	for i := range n {
		extra := ""
		if i%1000 == 7 {
			extra = " rare"
		}
		num := strconv.Itoa(i)
		batch = append(batch, newRecord(i, `{"task":"common task `+num+extra+`","notes":"`+
			"the agent edited files, ran the tests and wrote a summary of what changed in step "+num+
			` of the session; nothing else happened here worth noting for later readers of memory"}`))
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.PutMany(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.Compact(context.Background()); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkSearch measures a full-text query for a word in every frame
// and for a word in one frame of a thousand, at several file sizes (set
// TIER_BENCH_SEARCH_SIZES, e.g. "10000,100000,1000000"), through Query
// (ranking a bounded window) and, as the before, with a statement ranking
// every match as Query did before the window. The size and the word are
// levels of the name of their own: -bench 'Search/.*/.*/Query' runs the
// Query ones ('Search/.*/Query' matches none).
func BenchmarkSearch(b *testing.B) {
	sizes := []int{10000, 100000}
	if env := os.Getenv("TIER_BENCH_SEARCH_SIZES"); env != "" {
		sizes = nil
		for _, f := range splitComma(env) {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		path := searchFixture(b, n)
		s := openStoreAt(b, path)
		db := rawDB(b, path)
		for _, word := range []string{"common", "rare"} {
			b.Run(fmt.Sprintf("frames=%d/word=%s/Query", n, word), func(b *testing.B) {
				ctx := context.Background()
				for range 5 { // warm the page cache: measure steady state
					if _, err := s.Query(ctx, driver.Query{Text: word, Limit: 10}); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				durs := make([]time.Duration, 0, b.N)
				for range b.N {
					start := time.Now()
					hits, err := s.Query(ctx, driver.Query{Text: word, Limit: 10})
					if err != nil || len(hits) == 0 {
						b.Fatal(len(hits), err)
					}
					durs = append(durs, time.Since(start))
				}
				reportP99(b, durs)
			})
			b.Run(fmt.Sprintf("frames=%d/word=%s/RankAll", n, word), func(b *testing.B) {
				durs := make([]time.Duration, 0, b.N)
				for range b.N {
					start := time.Now()
					rows, err := db.Query(`SELECT frames.frame_id, frames.data, -bm25(frames_fts) AS score
						FROM frames_fts JOIN frames ON frames.rowid = frames_fts.rowid
						WHERE frames_fts MATCH ? ORDER BY score DESC, created_at DESC, frame_id LIMIT 10`, `"`+word+`"`)
					if err != nil {
						b.Fatal(err)
					}
					for rows.Next() {
					}
					if err := rows.Close(); err != nil {
						b.Fatal(err)
					}
					durs = append(durs, time.Since(start))
				}
				reportP99(b, durs)
			})
		}
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
