package sqlitedriver_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

const benchFrames = 10000

var bench struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// benchFixture returns a file holding benchFrames frames of about 2 KB,
// built once per test binary and shared by the read benchmarks.
func benchFixture(b *testing.B) string {
	b.Helper()
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "sqlitedriver-bench")
		if bench.err != nil {
			return
		}
		bench.path = filepath.Join(bench.dir, "frames.db")
		ctx := context.Background()
		s, err := sqlitedriver.Open(ctx, sqlitedriver.Options{Path: bench.path})
		if err != nil {
			bench.err = err
			return
		}
		defer s.Close()
		batch := make([]driver.Record, 0, 500)
		for i := range benchFrames {
			batch = append(batch, benchRecord(i))
			if len(batch) == cap(batch) {
				if bench.err = s.PutMany(ctx, batch); bench.err != nil {
					return
				}
				batch = batch[:0]
			}
		}
		bench.err = s.Compact(ctx)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path
}

func removeBenchFixture() {
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
}

var filler = `","body":"` + strings.Repeat("lorem ipsum dolor sit amet frame text ", 52) + `"}`

// benchRecord is a ~2 KB frame numbered n.
func benchRecord(n int) driver.Record {
	num := strconv.Itoa(n)
	return newRecord(n, `{"n":`+num+`,"task":"benchmark frame `+num+filler)
}

// reportP99 adds the 99th percentile of the recorded durations.
func reportP99(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)*99/100].Nanoseconds()), "p99-ns")
}

func BenchmarkGet(b *testing.B) {
	s := openStoreAt(b, benchFixture(b))
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, benchFrames)
	for i := range ids {
		ids[i] = newRecord(i, "").ID
	}
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		id := ids[rng.IntN(benchFrames)]
		start := time.Now()
		if _, ok, err := s.Get(ctx, id); !ok || err != nil {
			b.Fatal(ok, err)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	reportP99(b, durs)
}

// BenchmarkRawSQLXGet is the baseline for BenchmarkGet: the point query a
// program would write with sqlx on the same file, without checks.
func BenchmarkRawSQLXGet(b *testing.B) {
	db := rawDB(b, benchFixture(b))
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, benchFrames)
	for i := range ids {
		ids[i] = newRecord(i, "").ID
	}
	type row struct {
		FrameID   string  `db:"frame_id"`
		SessionID string  `db:"session_id"`
		ProjectID string  `db:"project_id"`
		ParentID  string  `db:"parent_id"`
		CreatedAt int64   `db:"created_at"`
		Version   int64   `db:"version"`
		Checksum  int64   `db:"checksum"`
		Size      int64   `db:"size_bytes"`
		Last      int64   `db:"last_accessed"`
		Count     int64   `db:"access_count"`
		LFU       float64 `db:"lfu_key"`
		Data      []byte  `db:"data"`
	}
	const q = `SELECT frame_id, coalesce(session_id, '') AS session_id, coalesce(project_id, '') AS project_id,
		coalesce(parent_id, '') AS parent_id, created_at, version, checksum, size_bytes,
		last_accessed, access_count, lfu_key, data FROM frames WHERE frame_id = ?`
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		var r row
		start := time.Now()
		if err := db.GetContext(ctx, &r, q, ids[rng.IntN(benchFrames)]); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	reportP99(b, durs)
}

func BenchmarkPut(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	for i := range b.N {
		if err := s.Put(ctx, benchRecord(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutMany100 stores 100 frames per op in one transaction; compare
// with BenchmarkPut100Single.
func BenchmarkPutMany100(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	recs := make([]driver.Record, 100)
	for i := range b.N {
		for j := range recs {
			recs[j] = benchRecord(i*100 + j)
		}
		if err := s.PutMany(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut100Single stores 100 frames per op with one Put each.
func BenchmarkPut100Single(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	for i := range b.N {
		for j := range 100 {
			if err := s.Put(ctx, benchRecord(i*100+j)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
