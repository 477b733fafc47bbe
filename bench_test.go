package tier_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/ncruces/go-sqlite3/driver" // the raw driver the hot tier uses
	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
)

const benchFrames = 10000

// hotChain opens a manager on a new SQLite file holding benchFrames frames
// of about 2 KB, and returns it with their IDs and the file's path.
func hotChain(b *testing.B) (*tier.Manager, []string, string) {
	b.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.SQLite.Path = filepath.Join(b.TempDir(), "frames.db")
	cfg.SQLite.MaxFrames = 10 * benchFrames
	cfg.BackgroundSync = new(bool)
	m, err := config.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	pad := make([]byte, 1800)
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
	}
	var ids []string
	for start := 0; start < benchFrames; start += 500 {
		batch := make([]tier.Frame, 500)
		for i := range batch {
			batch[i] = tier.Frame{ProjectID: "bench", Data: fmt.Appendf(nil, `{"n":%d,"pad":%q}`, start+i, pad)}
		}
		out, err := m.PutBatch(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range out {
			ids = append(ids, f.ID)
		}
	}
	return m, ids, cfg.SQLite.Path
}

// reportP99 records the 99th percentile of per-operation times.
func reportP99(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkHotGet compares Manager.Get on the hot tier with the raw driver
// reading the same row of the same file in the same run.
func BenchmarkHotGet(b *testing.B) {
	m, ids, path := hotChain(b)
	ctx := context.Background()
	b.Run("Manager", func(b *testing.B) {
		times := make([]time.Duration, 0, b.N)
		for i := 0; b.Loop(); i++ {
			id := ids[rand.IntN(len(ids))]
			start := time.Now()
			if _, err := m.Get(ctx, id); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		reportP99(b, times)
	})
	raw, err := sqlx.Open("sqlite3", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	// The same row and columns the hot tier reads for a Get.
	const query = `SELECT frame_id, coalesce(session_id, '') AS session_id, coalesce(project_id, '') AS project_id,
		coalesce(parent_id, '') AS parent_id, created_at, version, checksum, size_bytes,
		last_accessed, access_count, lfu_key, data FROM frames WHERE frame_id = ?`
	var row struct {
		ID           string  `db:"frame_id"`
		Session      string  `db:"session_id"`
		Project      string  `db:"project_id"`
		Parent       string  `db:"parent_id"`
		Created      int64   `db:"created_at"`
		Version      int64   `db:"version"`
		Checksum     int64   `db:"checksum"`
		Size         int64   `db:"size_bytes"`
		LastAccessed int64   `db:"last_accessed"`
		AccessCount  int64   `db:"access_count"`
		LFUKey       float64 `db:"lfu_key"`
		Data         []byte  `db:"data"`
	}
	b.Run("RawSQLXPrepared", func(b *testing.B) {
		stmt, err := raw.Preparex(query)
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		times := make([]time.Duration, 0, b.N)
		for b.Loop() {
			id := ids[rand.IntN(len(ids))]
			start := time.Now()
			if err := stmt.GetContext(ctx, &row, id); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		reportP99(b, times)
	})
	b.Run("RawSQLX", func(b *testing.B) {
		times := make([]time.Duration, 0, b.N)
		for b.Loop() {
			id := ids[rand.IntN(len(ids))]
			start := time.Now()
			if err := raw.GetContext(ctx, &row, query, id); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		reportP99(b, times)
	})
}

// BenchmarkHotPut measures Manager.Put and PutBatch of 100 frames on the
// hot tier.
func BenchmarkHotPut(b *testing.B) {
	m, _, _ := hotChain(b)
	ctx := context.Background()
	doc := []byte(`{"task":"benchmark","outputs":{"summary":"a frame of a typical size, a few hundred bytes of JSON"}}`)
	b.Run("Single", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Put(ctx, tier.Frame{ProjectID: "bench", Data: doc}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Batch100", func(b *testing.B) {
		batch := make([]tier.Frame, 100)
		for b.Loop() {
			for i := range batch {
				batch[i] = tier.Frame{ProjectID: "bench", Data: doc}
			}
			if _, err := m.PutBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/frame")
	})
}

// BenchmarkHotDelete compares Manager.Delete on the hot tier alone (the
// tombstone in the state file, the delete, the bookkeeping) with the raw
// driver deleting the same kind of row, FTS triggers included, in the
// same run. Run it with -benchtime of at most 5000x: each side deletes
// frames of its own half of the file.
func BenchmarkHotDelete(b *testing.B) {
	m, ids, path := hotChain(b)
	ctx := context.Background()
	half := len(ids) / 2
	b.Run("Manager", func(b *testing.B) {
		next := 0
		for b.Loop() {
			if next == half {
				b.Fatalf("more than %d deletes: use -benchtime %dx or less", half, half)
			}
			if err := m.Delete(ctx, ids[next]); err != nil {
				b.Fatal(err)
			}
			next++
		}
	})
	raw, err := sqlx.Open("sqlite3", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	b.Run("Raw", func(b *testing.B) {
		stmt, err := raw.Preparex(`DELETE FROM frames WHERE frame_id = ?`)
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		next := half
		for b.Loop() {
			if next == len(ids) {
				b.Fatalf("more than %d deletes: use -benchtime %dx or less", half, half)
			}
			if _, err := stmt.ExecContext(ctx, ids[next]); err != nil {
				b.Fatal(err)
			}
			next++
		}
	})
}
