package tier_test

import (
	"context"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/testenv"
	_ "github.com/stackmemoryai/tier/pgdriver"
	_ "github.com/stackmemoryai/tier/redisdriver"
	_ "github.com/stackmemoryai/tier/sqlitedriver"
)

// The benchmarks of this file measure the moves of issues 10 and 11 on
// real services, each against the same drivers doing the same work
// without the manager ("Raw"), in the same run. Every iteration gets new
// stores (a new SQLite file, Redis prefix and PostgreSQL database), filled
// outside the timer; each reports frames/s. Run them with a fixed count of
// iterations, setup being slow:
//
//	go test -run '^$' -bench 'Move|Evict|Replicat' -benchtime 3x .

// moveFrames is how many frames each iteration moves; moveBatch the batch
// size of the raw programs (the manager's move batch).
const (
	moveFrames = 2000
	moveBatch  = 200
)

// benchStores are one iteration's tiers, opened from testenv URLs.
type benchStores struct {
	sqlite, redis, pg driver.Tier
}

func openBenchStores(b *testing.B) benchStores {
	b.Helper()
	ctx := context.Background()
	open := func(url string) driver.Tier {
		t, err := tier.OpenTier(ctx, url)
		if err != nil {
			b.Fatal(tier.Redact(err.Error()))
		}
		return t
	}
	return benchStores{
		sqlite: open("sqlite://" + filepath.Join(b.TempDir(), "frames.db")),
		redis:  open(testenv.RedisTierURL(b)),
		pg:     open(testenv.PostgresURL(b)),
	}
}

func (s benchStores) close() {
	for _, t := range []driver.Tier{s.sqlite, s.redis, s.pg} {
		_ = t.Close()
	}
}

// chain opens a Manager over s with background maintenance off; first is
// the limits of tier 1, second of Redis.
func (s benchStores) chain(b *testing.B, first, second tier.Limits, replicate bool) *tier.Manager {
	b.Helper()
	m, err := tier.Open(context.Background(), tier.Config{
		Tiers: []tier.TierSpec{
			{Name: "sqlite", Tier: s.sqlite, Scheme: "sqlite", Limits: first},
			{Name: "redis", Tier: s.redis, Scheme: "redis", Limits: second},
			{Name: "postgres", Tier: s.pg, Scheme: "postgres"},
		},
		ManualMaintenance: true,
		NoReplication:     !replicate,
	})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchDoc is a frame document of about 1.5 KB, JSON like an agent's.
func benchDoc(i int) []byte {
	return fmt.Appendf(nil, `{"task":"step %d of a refactoring session","inputs":{"files":["internal/engine/move.go","internal/engine/demote.go"],"query":"why does demotion stall when every candidate was promoted"},"outputs":{"summary":"%s","tokens":%d},"events":[%s]}`,
		i, summaryText(i), 1000+i%977, eventsText(i))
}

func summaryText(i int) string {
	words := []string{"demotion", "replica", "version", "checksum", "eviction", "promotion", "budget", "journal", "session", "parent"}
	out := ""
	for k := range 60 {
		out += words[(i*7+k*3)%len(words)] + " "
	}
	return out
}

func eventsText(i int) string {
	out := ""
	for k := range 8 {
		if k > 0 {
			out += ","
		}
		out += fmt.Sprintf(`{"kind":"tool_call","name":"read_file","n":%d,"ok":%t}`, i*8+k, (i+k)%5 != 0)
	}
	return out
}

// moveFramesOf returns n frames of one session.
func moveFramesOf(n int) []tier.Frame {
	session := tier.NewID()
	out := make([]tier.Frame, n)
	for i := range out {
		out[i] = tier.Frame{SessionID: session, ProjectID: "bench", Data: benchDoc(i)}
	}
	return out
}

// benchRecords returns the records of n frames, as the manager would
// write them to a tier.
func benchRecords(n int) []driver.Record {
	now := time.Now().UTC().Truncate(time.Microsecond)
	session := tier.NewID()
	table := crc32.MakeTable(crc32.Castagnoli)
	out := make([]driver.Record, n)
	for i := range out {
		data := benchDoc(i)
		out[i] = driver.Record{Meta: driver.Meta{
			ID: tier.NewID(), SessionID: session, ProjectID: "bench", CreatedAt: now,
			Version: uint64(now.UnixMicro()) + uint64(i), Checksum: crc32.Checksum(data, table),
			Size: int64(len(data)), LastAccess: now, LFUKey: driver.NewLFUKey(now, 0),
		}, Data: data}
	}
	return out
}

// putAll stores frames through m in batches.
func putAll(b *testing.B, m *tier.Manager, frames []tier.Frame) {
	b.Helper()
	for start := 0; start < len(frames); start += 100 {
		if _, err := m.PutBatch(context.Background(), frames[start:min(start+100, len(frames))]); err != nil {
			b.Fatal(err)
		}
	}
}

// putRecords stores recs in t in batches, outside the timer.
func putRecords(b *testing.B, t driver.Tier, recs []driver.Record) {
	b.Helper()
	for start := 0; start < len(recs); start += moveBatch {
		if err := t.(driver.Batcher).PutMany(context.Background(), recs[start:min(start+moveBatch, len(recs))]); err != nil {
			b.Fatal(err)
		}
	}
}

// maintainUntil runs maintenance cycles until tier level holds at most
// limit frames.
func maintainUntil(b *testing.B, m *tier.Manager, level int, limit int64) {
	b.Helper()
	ctx := context.Background()
	for range 1000 {
		st, err := m.Status(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if st.Tiers[level-1].Frames <= limit {
			return
		}
		rep, err := m.Maintain(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Stuck) > 0 {
			b.Fatalf("stuck: %v", rep.Stuck)
		}
	}
	b.Fatalf("tier %d still over %d frames after 1000 cycles", level, limit)
}

// tierFrames returns how many frames t holds.
func tierFrames(b *testing.B, t driver.Tier) int64 {
	b.Helper()
	u, err := t.Usage(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return u.Frames
}

// timed runs setup outside the timer and work inside it, b.N times, and
// reports frames/s of work.
func timed(b *testing.B, setup func() (work func(), done func())) {
	b.StopTimer()
	var spent time.Duration
	for range b.N {
		work, done := setup()
		b.StartTimer()
		start := time.Now()
		work()
		spent += time.Since(start)
		b.StopTimer()
		done()
	}
	b.ReportMetric(float64(moveFrames*b.N)/spent.Seconds(), "frames/s")
}

// rawDemote is the raw program of a move from src to the tiers below:
// candidates, documents, one compression, a batch write to each tier
// below, a batch delete.
func rawDemote(b *testing.B, src driver.Tier, compressor driver.Compressor, dsts ...driver.Tier) {
	ctx := context.Background()
	for {
		metas, err := src.Candidates(ctx, driver.CandidateQuery{Policy: driver.LRU, Limit: moveBatch})
		if err != nil {
			b.Fatal(err)
		}
		if len(metas) == 0 {
			return
		}
		ids := make([]string, len(metas))
		for i, mt := range metas {
			ids[i] = mt.ID
		}
		recs, err := src.(driver.Batcher).GetMany(ctx, ids)
		if err != nil {
			b.Fatal(err)
		}
		for i := range recs {
			recs[i].Compressed = compressor.Compress(recs[i].Data)
		}
		for _, d := range dsts {
			if err := d.(driver.Batcher).PutMany(ctx, recs); err != nil {
				b.Fatal(err)
			}
		}
		dels := make([]driver.Deletion, len(recs))
		for i, r := range recs {
			dels[i] = driver.Deletion{ID: r.ID, UpTo: r.Version}
		}
		if err := src.(driver.BatchDeleter).DeleteMany(ctx, dels); err != nil {
			b.Fatal(err)
		}
	}
}

// rawEvict is the raw program of dropping frames whose copy below is in
// place: candidates, the versions below compared, a batch delete.
func rawEvict(b *testing.B, src, below driver.Tier) {
	ctx := context.Background()
	for {
		metas, err := src.Candidates(ctx, driver.CandidateQuery{Policy: driver.LRU, Limit: moveBatch})
		if err != nil {
			b.Fatal(err)
		}
		if len(metas) == 0 {
			return
		}
		ids := make([]string, len(metas))
		for i, mt := range metas {
			ids[i] = mt.ID
		}
		if below != nil {
			there, err := below.(driver.MetaGetter).GetMetas(ctx, ids)
			if err != nil {
				b.Fatal(err)
			}
			if len(there) != len(ids) {
				b.Fatalf("%d of %d copies below", len(there), len(ids))
			}
		}
		dels := make([]driver.Deletion, len(metas))
		for i, mt := range metas {
			dels[i] = driver.Deletion{ID: mt.ID, UpTo: mt.Version}
		}
		if err := src.(driver.BatchDeleter).DeleteMany(ctx, dels); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMoveSQLiteToRedisPostgres demotes frames from a full SQLite to
// Redis with their durable copy in PostgreSQL (replication off, so every
// frame is a real move). Issue 10 goal: Manager ≥ 0.9x Raw.
func BenchmarkMoveSQLiteToRedisPostgres(b *testing.B) {
	b.Run("Manager", func(b *testing.B) {
		timed(b, func() (func(), func()) {
			s := openBenchStores(b)
			m := s.chain(b, tier.Limits{MaxFrames: 1}, tier.Limits{}, false)
			putAll(b, m, moveFramesOf(moveFrames))
			return func() { maintainUntil(b, m, 1, 1) }, func() {
				if n := tierFrames(b, s.pg); n < moveFrames-1 {
					b.Fatalf("PostgreSQL holds %d frames, want %d", n, moveFrames-1)
				}
				_ = m.Close()
			}
		})
	})
	b.Run("Raw", func(b *testing.B) {
		timed(b, func() (func(), func()) {
			s := openBenchStores(b)
			putRecords(b, s.sqlite, benchRecords(moveFrames))
			return func() { rawDemote(b, s.sqlite, s.redis.(driver.Compressor), s.redis, s.pg) }, s.close
		})
	})
}

// BenchmarkMoveRedisToPostgresHeld demotes frames from a full Redis to
// PostgreSQL, which already holds their copy. Issue 10 goal: Manager ≥
// 0.5x Raw.
func BenchmarkMoveRedisToPostgresHeld(b *testing.B) {
	b.Run("Manager", func(b *testing.B) {
		timed(b, func() (func(), func()) {
			s := openBenchStores(b)
			m := s.chain(b, tier.Limits{}, tier.Limits{MaxFrames: 1}, false)
			putAll(b, m, moveFramesOf(moveFrames))
			if _, err := m.Migrate(context.Background(), tier.MigrateOptions{ToLevel: 2}); err != nil {
				b.Fatal(err)
			}
			if n, want := tierFrames(b, s.pg), int64(moveFrames); n != want {
				b.Fatalf("PostgreSQL holds %d frames after Migrate to Redis, want %d (its durable copies)", n, want)
			}
			return func() { maintainUntil(b, m, 2, 1) }, func() { _ = m.Close() }
		})
	})
	b.Run("Raw", func(b *testing.B) {
		timed(b, func() (func(), func()) {
			s := openBenchStores(b)
			recs := benchRecords(moveFrames)
			putRecords(b, s.redis, recs)
			putRecords(b, s.pg, recs)
			return func() { rawEvict(b, s.redis, s.pg) }, s.close
		})
	})
}

// BenchmarkEvictReplicated drops frames from a full SQLite whose copies
// were replicated early: a local delete. Issue 11 goal: ≥ 20 000 frames/s.
// Raw is the SQLite batch delete of the same frames.
func BenchmarkEvictReplicated(b *testing.B) {
	b.Run("Manager", func(b *testing.B) {
		timed(b, func() (func(), func()) {
			s := openBenchStores(b)
			m := s.chain(b, tier.Limits{MaxFrames: 1}, tier.Limits{}, true)
			// The first cycle of a process compares tier 1 with the
			// shared tiers (reconcile), once: not part of eviction.
			if _, err := m.Maintain(context.Background()); err != nil {
				b.Fatal(err)
			}
			putAll(b, m, moveFramesOf(moveFrames))
			waitReplicated(b, m, moveFrames)
			var before int64
			if st, err := m.Stats(context.Background()); err == nil {
				before = st.Evictions
			}
			return func() { maintainUntil(b, m, 1, 1) }, func() {
				st, err := m.Stats(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if got := st.Evictions - before; got < moveFrames-1 {
					b.Fatalf("%d of %d frames left by eviction; the others were copied again", got, moveFrames-1)
				}
				_ = m.Close()
			}
		})
	})
	b.Run("Raw", func(b *testing.B) {
		timed(b, func() (func(), func()) {
			s := openBenchStores(b)
			putRecords(b, s.sqlite, benchRecords(moveFrames))
			return func() { rawEvict(b, s.sqlite, nil) }, s.close
		})
	})
}

// waitReplicated waits until m has replicated n frames and its queue is
// empty.
func waitReplicated(b *testing.B, m *tier.Manager, n int64) {
	b.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		st, err := m.Status(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if st.Replication.Queued == 0 && st.Replication.Replicated >= n {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.Fatalf("not replicated within 5 minutes")
}

// BenchmarkReplicate measures early replication end to end: PutBatch of
// the frames to SQLite until Redis and PostgreSQL hold every one. Issue 11
// goal: ≥ 2000 frames/s. Raw is PutMany of the same records to Redis and
// PostgreSQL (one compression each), without the local write.
func BenchmarkReplicate(b *testing.B) {
	b.Run("Manager", func(b *testing.B) {
		timed(b, func() (func(), func()) {
			s := openBenchStores(b)
			m := s.chain(b, tier.Limits{}, tier.Limits{}, true)
			frames := moveFramesOf(moveFrames)
			return func() {
					putAll(b, m, frames)
					waitReplicated(b, m, moveFrames)
				}, func() {
					if n := tierFrames(b, s.pg); n != moveFrames {
						b.Fatalf("PostgreSQL holds %d frames, want %d", n, moveFrames)
					}
					_ = m.Close()
				}
		})
	})
	b.Run("Raw", func(b *testing.B) {
		timed(b, func() (func(), func()) {
			s := openBenchStores(b)
			recs := benchRecords(moveFrames)
			c := s.redis.(driver.Compressor)
			return func() {
				for i := range recs {
					recs[i].Compressed = c.Compress(recs[i].Data)
				}
				putRecords(b, s.redis, recs)
				putRecords(b, s.pg, recs)
			}, s.close
		})
	})
}
