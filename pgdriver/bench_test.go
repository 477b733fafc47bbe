package pgdriver

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// Benchmarks need a server (TIER_TEST_POSTGRES_URL). Run them with
//
//	go test -run '^$' -bench . -benchtime 2000x ./pgdriver/
//
// BenchmarkSearch loads 100,000 frames once into the database
// tier_pgdriver_bench_100k and reuses it on later runs.

// benchDoc returns a frame document shaped like a StackMemory frame (task,
// inputs, outputs, digest, tool events) of about size bytes, whose prose
// draws words from w; extra words go into the digest.
func benchDoc(w *words, i, size int, extra ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"type":"task","name":"step %d of the agent run","inputs":{"files":["src/module_%d/handler.go","src/module_%d/handler_test.go"],"constraints":{"max_tokens":4096,"timeout_s":120}},`, i, i%97, i%97)
	b.WriteString(`"digest":{"text":"`)
	for _, x := range extra {
		b.WriteString(x + " ")
	}
	for n := 0; n < 30; n++ {
		b.WriteString(vocabulary[w.zipf.Uint64()])
		b.WriteByte(' ')
	}
	b.WriteString(`"},"events":[`)
	for n := 0; b.Len() < size; n++ {
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"seq":%d,"type":"tool_call","tool":"read_file","path":"src/module_%d/file_%d.go","ok":true,"ms":%d}`, n, i%97, n, w.rng.IntN(900))
	}
	b.WriteString(`],"outputs":{"status":"done","exit_code":0}}`)
	return []byte(b.String())
}

// vocabulary is a synthetic vocabulary of 5,000 words.
var vocabulary = func() []string {
	syll := []string{"ka", "lo", "mi", "ren", "tos", "vu", "zel", "pra", "qui", "dor", "fen", "gal"}
	words := make([]string, 5000)
	for i := range words {
		var w strings.Builder
		for n := i + 1; n > 0; n /= len(syll) {
			w.WriteString(syll[n%len(syll)])
		}
		words[i] = w.String() + "x"
	}
	return words
}()

// words draws words from the vocabulary with a Zipf skew, as natural
// text does.
type words struct {
	rng  *rand.Rand
	zipf *rand.Zipf
}

func newWords(seed uint64) *words {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	return &words{rng: rng, zipf: rand.NewZipf(rng, 1.1, 2, uint64(len(vocabulary)-1))}
}

func benchRecord(w *words, i, size int, created time.Time, extra ...string) driver.Record {
	data := benchDoc(w, i, size, extra...)
	rng := w.rng
	id := fmt.Sprintf("%08x-%04x-4000-8000-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff)
	return driver.Record{
		Meta: driver.Meta{
			ID: id, ProjectID: fmt.Sprintf("project-%d", i%10), CreatedAt: created,
			Version: 1, Checksum: driver.Checksum(data), Size: int64(len(data)),
			LastAccess: created, AccessCount: 1, LFUKey: driver.NewLFUKey(created, 1),
		},
		Data: data,
	}
}

// BenchmarkGet measures a point Get of a 2 KB frame (stored as is) and of a
// 20 KB frame (stored compressed), next to BenchmarkRawPgxGet.
func BenchmarkGet(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	w := newWords(1)
	for _, size := range []int{2 << 10, 20 << 10} {
		rec := benchRecord(w, 1, size, time.Now().UTC())
		if err := s.Put(ctx, rec); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := s.Get(ctx, rec.ID); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkRawPgxGet reads the same columns as BenchmarkGet with a plain
// pgxpool query, without decoding or verifying the document.
func BenchmarkRawPgxGet(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	w := newWords(1)
	for _, size := range []int{2 << 10, 20 << 10} {
		rec := benchRecord(w, 1, size, time.Now().UTC())
		if err := s.Put(ctx, rec); err != nil {
			b.Fatal(err)
		}
		uid, _ := frameID(rec.ID)
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			for b.Loop() {
				var st recordRow
				m := &st.metaRow
				if err := s.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM frames_archive WHERE frame_id = $1`, uid).Scan(
					&m.ID, &m.Session, &m.Project, &m.Parent, &m.Created, &m.Version, &m.Checksum, &m.Size,
					&m.Accessed, &m.AccessCount, &m.LFUKey, &st.Raw, &st.Compressed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPutMany measures archive throughput: batches of 1,000 new frames
// of about 1.5 KB (a few above the compression threshold).
func BenchmarkPutMany(b *testing.B) {
	s := newStore(b, os.Getenv("PGDRIVER_BENCH_PARAMS"))
	ctx := context.Background()
	w := newWords(3)
	const batch = 1000
	now := time.Now().UTC()
	frames := 0
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		recs := make([]driver.Record, batch)
		for i := range recs {
			recs[i] = benchRecord(w, frames+i, 1200+w.rng.IntN(600), now)
		}
		b.StartTimer()
		start := time.Now()
		if err := s.PutMany(ctx, recs); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		frames += batch
	}
	b.ReportMetric(float64(frames)/elapsed.Seconds(), "frames/s")
}

// Words of the search benchmark: "common" is in about 90% of the frames,
// "rare" in 0.1%.
const (
	benchFrames   = 100_000
	benchDatabase = "tier_pgdriver_bench_100k"
	commonWord    = "deploy"
	rareWord      = "kubernetes"
)

// BenchmarkSearch measures full-text queries over 100,000 archived frames
// for a common and a rare word, reporting the p50 and p99 latency.
func BenchmarkSearch(b *testing.B) {
	s := searchStore(b)
	ctx := context.Background()
	for _, c := range []struct{ name, text string }{
		{"common", commonWord},
		{"rare", rareWord},
		{"common-and-rare", commonWord + " " + rareWord},
		{"phrase", `"` + commonWord + " " + vocabulary[0] + `"`},
	} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			hits := 0
			for b.Loop() {
				start := time.Now()
				h, err := s.Query(ctx, driver.Query{Text: c.text, Limit: 20})
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				hits = len(h)
			}
			if hits == 0 {
				b.Fatalf("%q found nothing", c.text)
			}
			slices.Sort(lat)
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// searchStore opens the 100k-frame benchmark database, creating and
// loading it on the first run.
func searchStore(b *testing.B) *Store {
	server := testenv.PostgresServerURL(b)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		b.Fatal(err)
	}
	var exists bool
	err = admin.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, benchDatabase).Scan(&exists)
	if err == nil && !exists {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+benchDatabase)
	}
	_ = admin.Close(ctx)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(server)
	if err != nil {
		b.Fatal(err)
	}
	cfg.ConnConfig.Database = benchDatabase
	s, err := Open(ctx, Options{Pool: cfg, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if u, err := s.Usage(ctx); err != nil || u.Frames != benchFrames {
		loadSearchFrames(b, s)
	}
	return s
}

func loadSearchFrames(b *testing.B, s *Store) {
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, "TRUNCATE frames_archive"); err != nil {
		b.Fatal(err)
	}
	w := newWords(5)
	base := time.Now().UTC().Add(-benchFrames * time.Minute)
	start := time.Now()
	const batch = 2000
	for i := 0; i < benchFrames; i += batch {
		recs := make([]driver.Record, batch)
		for j := range recs {
			n := i + j
			var extra []string
			if w.rng.IntN(10) != 0 {
				extra = append(extra, commonWord)
			}
			if n%1000 == 500 {
				extra = append(extra, rareWord)
			}
			recs[j] = benchRecord(w, n, 800+w.rng.IntN(1200), base.Add(time.Duration(n)*time.Minute), extra...)
		}
		if err := s.PutMany(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d frames in %v", benchFrames, time.Since(start).Round(time.Millisecond))
}

// BenchmarkGetMetas measures GetMetas of 100 frames next to a plain
// pgxpool query of the same columns scanned into variables ("raw-pgx").
func BenchmarkGetMetas(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	w := newWords(7)
	now := time.Now().UTC()
	recs := make([]driver.Record, 100)
	ids := make([]string, len(recs))
	for i := range recs {
		recs[i] = benchRecord(w, i, 1500, now)
		ids[i] = recs[i].ID
	}
	if err := s.PutMany(ctx, recs); err != nil {
		b.Fatal(err)
	}
	b.Run("driver", func(b *testing.B) {
		for b.Loop() {
			metas, err := s.GetMetas(ctx, ids)
			if err != nil || len(metas) != len(ids) {
				b.Fatal(len(metas), err)
			}
		}
	})
	b.Run("raw-pgx", func(b *testing.B) {
		for b.Loop() {
			uids := make([]pgtype.UUID, 0, len(ids))
			for _, id := range ids {
				u, _ := frameID(id)
				uids = append(uids, u)
			}
			rows, err := s.pool.Query(ctx, getMetasSQL, uids)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var m metaRow
				if err := rows.Scan(&m.ID, &m.Session, &m.Project, &m.Parent, &m.Created, &m.Version, &m.Checksum,
					&m.Size, &m.Accessed, &m.AccessCount, &m.LFUKey); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if rows.Err() != nil || n != len(ids) {
				b.Fatal(n, rows.Err())
			}
		}
	})
}
