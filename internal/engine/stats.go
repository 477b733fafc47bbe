package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Operations whose latency is tracked per tier.
const (
	opGet    = "get"
	opPut    = "put"
	opDelete = "delete"
	opQuery  = "query"
	opOther  = "other"
)

var trackedOps = []string{opGet, opPut, opDelete, opQuery, opOther}

// Latency histogram buckets: bucket i holds durations below
// latencyBase * 2^((i+1)/2), i.e. two buckets per doubling, from 1µs to
// about 70 s.
const (
	latencyBase    = time.Microsecond
	latencyBuckets = 54
)

func latencyBucket(d time.Duration) int {
	if d <= latencyBase {
		return 0
	}
	i := int(2 * math.Log2(float64(d)/float64(latencyBase)))
	return min(i, latencyBuckets-1)
}

func bucketUpper(i int) time.Duration {
	return time.Duration(float64(latencyBase) * math.Pow(2, float64(i+1)/2))
}

// statsRecorder counts what the manager does. Hot-path updates are
// atomic adds into fixed arrays (no allocation, no lock); take returns the
// counts since the last take, to be added to the state store's totals.
type statsRecorder struct {
	reads     []atomic.Int64 // per level
	failures  [][]atomic.Int64
	trips     []atomic.Int64
	moves     [][]atomic.Int64 // from level, to level
	latencies [][][latencyBuckets]atomic.Int64
	misses    atomic.Int64
	bgNanos   atomic.Int64
	rawBytes  atomic.Int64 // documents compressed on their way down
	encBytes  atomic.Int64 // their size once compressed
	other     sync.Map     // rare counters by name
	onMove    func(from, to, frames int)
}

func newStatsRecorder(levels int, onMove func(from, to, frames int)) *statsRecorder {
	s := &statsRecorder{
		onMove:    onMove,
		reads:     make([]atomic.Int64, levels),
		failures:  make([][]atomic.Int64, levels),
		trips:     make([]atomic.Int64, levels),
		moves:     make([][]atomic.Int64, levels),
		latencies: make([][][latencyBuckets]atomic.Int64, levels),
	}
	for i := range levels {
		s.failures[i] = make([]atomic.Int64, len(trackedOps))
		s.moves[i] = make([]atomic.Int64, levels)
		s.latencies[i] = make([][latencyBuckets]atomic.Int64, len(trackedOps))
	}
	return s
}

func opIndex(op string) int {
	for i, o := range trackedOps {
		if o == op {
			return i
		}
	}
	return len(trackedOps) - 1
}

func (s *statsRecorder) read(level int)              { s.reads[level-1].Add(1) }
func (s *statsRecorder) miss()                       { s.misses.Add(1) }
func (s *statsRecorder) failed(level int, op string) { s.failures[level-1][opIndex(op)].Add(1) }
func (s *statsRecorder) trip(level int)              { s.trips[level-1].Add(1) }

func (s *statsRecorder) moved(from, to int, n int64) {
	if n == 0 {
		return
	}
	s.moves[from-1][to-1].Add(n)
	if s.onMove != nil {
		s.onMove(from, to, int(n))
	}
}

func (s *statsRecorder) latency(level int, op string, d time.Duration) {
	s.latencies[level-1][opIndex(op)][latencyBucket(d)].Add(1)
}

func (s *statsRecorder) background(d time.Duration) { s.bgNanos.Add(int64(d)) }

func (s *statsRecorder) compressed(raw, enc int64) {
	s.rawBytes.Add(raw)
	s.encBytes.Add(enc)
}

// evicted counts frames that left a tier by a local delete, their copies
// below being in place already.
func (s *statsRecorder) evicted(n int64) { s.add("evicted", n) }

// add counts rare events by name, and restores counts that could not be
// persisted.
func (s *statsRecorder) add(key string, n int64) {
	c, _ := s.other.LoadOrStore(key, new(atomic.Int64))
	c.(*atomic.Int64).Add(n)
}

// take returns the counts since the last take, keyed as in the state
// store, and resets them.
func (s *statsRecorder) take() map[string]int64 {
	out := map[string]int64{}
	put := func(key string, c *atomic.Int64) {
		if n := c.Swap(0); n != 0 {
			out[key] += n
		}
	}
	put("misses", &s.misses)
	put("background_ns", &s.bgNanos)
	put("compress.raw", &s.rawBytes)
	put("compress.enc", &s.encBytes)
	for i := range s.reads {
		level := strconv.Itoa(i + 1)
		put("reads."+level, &s.reads[i])
		put("trips."+level, &s.trips[i])
		for j, op := range trackedOps {
			put("failures."+level+"."+op, &s.failures[i][j])
			for b := range latencyBuckets {
				put(fmt.Sprintf("lat.%s.%s.%d", level, op, b), &s.latencies[i][j][b])
			}
		}
		for j := range s.moves[i] {
			dir := "down"
			if j < i {
				dir = "up"
			}
			put(fmt.Sprintf("moves.%s.%d.%d", dir, i+1, j+1), &s.moves[i][j])
		}
	}
	s.other.Range(func(k, v any) bool {
		put(k.(string), v.(*atomic.Int64))
		return true
	})
	return out
}

// persistStats adds the counts since the last persist to the state store.
func (m *Engine) persistStats(ctx context.Context) {
	deltas := m.stats.take()
	if err := m.state.AddStats(ctx, deltas); err != nil {
		m.log.Debug("statistics not persisted", "err", err)
		// Put them back so that they are not lost.
		for k, v := range deltas {
			m.stats.add(k, v)
		}
	}
}

// Stats is what the managers of a state file did, added up over every
// process since the statistics were last reset.
type Stats struct {
	Tiers []TierStats `json:"tiers"`
	// Reads counts Gets that found their frame; Misses those that did not.
	Reads  int64 `json:"reads"`
	Misses int64 `json:"misses"`
	// HotHitRatio is the share of Reads served by tier 1.
	HotHitRatio float64 `json:"hot_hit_ratio"`
	// MovesDown and MovesUp count frames demoted and promoted.
	MovesDown int64 `json:"moves_down"`
	MovesUp   int64 `json:"moves_up"`
	// BackgroundTime is the time spent in background maintenance cycles.
	BackgroundTime time.Duration `json:"background_ns"`
	// CompressedBytes is the size of the documents compressed on their way
	// down; BytesSaved is how much smaller they are once compressed.
	CompressedBytes   int64 `json:"compressed_bytes"`
	BytesSaved        int64 `json:"bytes_saved"`
	Evictions         int64
	Replicated        int64
	PromotionsSkipped int64
}

// TierStats describes the work of one tier.
type TierStats struct {
	Level int    `json:"level"`
	Name  string `json:"name"`
	// Reads counts Gets this tier served.
	Reads int64 `json:"reads"`
	// MovedIn and MovedOut count frames moved into and out of the tier.
	MovedIn  int64 `json:"moved_in"`
	MovedOut int64 `json:"moved_out"`
	// Failures counts calls that failed because the tier was unreachable.
	Failures int64 `json:"failures"`
	// BreakerTrips counts how often its circuit breaker opened.
	BreakerTrips int64 `json:"breaker_trips"`
	// Latency has one entry per operation that was called.
	Latency []OpLatency `json:"latency"`
}

// OpLatency are latency percentiles of one operation on one tier, read
// from a histogram with two buckets per doubling (values are bucket upper
// bounds, so within 41 % above the true value).
type OpLatency struct {
	Op    string        `json:"op"`
	Count int64         `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
	P99   time.Duration `json:"p99_ns"`
}

// Stats persists this process's counts and returns the totals of every
// process that used the same state file.
func (m *Engine) Stats(ctx context.Context) (Stats, error) {
	if err := m.enter(); err != nil {
		return Stats{}, err
	}
	defer m.leave()
	m.persistStats(ctx)
	raw, err := m.state.Stats(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("tier: read statistics: %w", err)
	}
	return m.buildStats(raw), nil
}

// ResetStats clears the persisted statistics.
func (m *Engine) ResetStats(ctx context.Context) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	m.stats.take()
	return m.state.ResetStats(ctx)
}

func (m *Engine) buildStats(raw map[string]int64) Stats {
	st := Stats{Tiers: make([]TierStats, len(m.chain))}
	hist := map[[2]string][]int64{} // (level, op) -> buckets
	for i, l := range m.chain {
		st.Tiers[i] = TierStats{Level: l.level, Name: l.name}
	}
	tierAt := func(s string) *TierStats {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > len(st.Tiers) {
			return nil
		}
		return &st.Tiers[n-1]
	}
	for key, v := range raw {
		parts := strings.Split(key, ".")
		switch {
		case parts[0] == "misses":
			st.Misses += v
		case parts[0] == "background_ns":
			st.BackgroundTime += time.Duration(v)
		case key == "compress.raw":
			st.CompressedBytes += v
			st.BytesSaved += v
		case key == "compress.enc":
			st.BytesSaved -= v
		case key == "evicted":
			st.Evictions += v
		case key == "replicated":
			st.Replicated += v
		case key == "promotions.skipped":
			st.PromotionsSkipped += v
		case parts[0] == "reads" && len(parts) == 2:
			if t := tierAt(parts[1]); t != nil {
				t.Reads += v
				st.Reads += v
			}
		case parts[0] == "failures" && len(parts) == 3:
			if t := tierAt(parts[1]); t != nil {
				t.Failures += v
			}
		case parts[0] == "trips" && len(parts) == 2:
			if t := tierAt(parts[1]); t != nil {
				t.BreakerTrips += v
			}
		case parts[0] == "moves" && len(parts) == 4:
			from, to := tierAt(parts[2]), tierAt(parts[3])
			if from != nil && to != nil {
				from.MovedOut += v
				to.MovedIn += v
				if parts[1] == "up" {
					st.MovesUp += v
				} else {
					st.MovesDown += v
				}
			}
		case parts[0] == "lat" && len(parts) == 4:
			b, err := strconv.Atoi(parts[3])
			if err != nil || b < 0 || b >= latencyBuckets || tierAt(parts[1]) == nil {
				continue
			}
			k := [2]string{parts[1], parts[2]}
			if hist[k] == nil {
				hist[k] = make([]int64, latencyBuckets)
			}
			hist[k][b] += v
		}
	}
	if st.Reads > 0 && len(st.Tiers) > 0 {
		st.HotHitRatio = float64(st.Tiers[0].Reads) / float64(st.Reads)
	}
	for k, buckets := range hist {
		t := tierAt(k[0])
		t.Latency = append(t.Latency, percentiles(k[1], buckets))
	}
	for i := range st.Tiers {
		slices.SortFunc(st.Tiers[i].Latency, func(a, b OpLatency) int {
			return slices.Index(trackedOps, a.Op) - slices.Index(trackedOps, b.Op)
		})
	}
	return st
}

func percentiles(op string, buckets []int64) OpLatency {
	var total int64
	for _, n := range buckets {
		total += n
	}
	at := func(q float64) time.Duration {
		rank := int64(math.Ceil(q * float64(total)))
		var seen int64
		for i, n := range buckets {
			seen += n
			if seen >= rank {
				return bucketUpper(i)
			}
		}
		return bucketUpper(len(buckets) - 1)
	}
	return OpLatency{Op: op, Count: total, P50: at(0.50), P95: at(0.95), P99: at(0.99)}
}

// histogram is an in-process latency histogram, for figures that are not
// persisted (replication lag).
type histogram struct {
	buckets [latencyBuckets]atomic.Int64
}

func (h *histogram) observe(d time.Duration) { h.buckets[latencyBucket(d)].Add(1) }

// summary returns the count and percentiles observed so far.
func (h *histogram) summary(name string) OpLatency {
	counts := make([]int64, latencyBuckets)
	for i := range h.buckets {
		counts[i] = h.buckets[i].Load()
	}
	return percentiles(name, counts)
}
