package tier

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

// statsRecorder counts what the manager does. Hot-path updates are atomic
// adds; the counts since the last persist are kept apart so that they can
// be added to the state store's totals.
type statsRecorder struct {
	levels   int
	counters sync.Map // key -> *atomic.Int64, deltas not yet persisted
	started  time.Time
	bgNanos  atomic.Int64
}

func newStatsRecorder(levels int) *statsRecorder {
	return &statsRecorder{levels: levels, started: time.Now()}
}

func (s *statsRecorder) add(key string, n int64) {
	c, ok := s.counters.Load(key)
	if !ok {
		c, _ = s.counters.LoadOrStore(key, new(atomic.Int64))
	}
	c.(*atomic.Int64).Add(n)
}

func (s *statsRecorder) read(level int) { s.add("reads."+strconv.Itoa(level), 1) }
func (s *statsRecorder) miss()          { s.add("misses", 1) }
func (s *statsRecorder) failed(level int, op string) {
	s.add("failures."+strconv.Itoa(level)+"."+op, 1)
}
func (s *statsRecorder) trip(level int) { s.add("trips."+strconv.Itoa(level), 1) }

func (s *statsRecorder) moved(from, to int, n int64) {
	if n == 0 {
		return
	}
	dir := "down"
	if to < from {
		dir = "up"
	}
	s.add(fmt.Sprintf("moves.%s.%d.%d", dir, from, to), n)
}

func (s *statsRecorder) latency(level int, op string, d time.Duration) {
	s.add(fmt.Sprintf("lat.%d.%s.%d", level, op, latencyBucket(d)), 1)
}

func (s *statsRecorder) background(d time.Duration) {
	s.bgNanos.Add(int64(d))
	s.add("background_ns", int64(d))
}

// take returns the deltas since the last take and resets them.
func (s *statsRecorder) take() map[string]int64 {
	out := map[string]int64{}
	s.counters.Range(func(k, v any) bool {
		if n := v.(*atomic.Int64).Swap(0); n != 0 {
			out[k.(string)] = n
		}
		return true
	})
	return out
}

// persistStats adds the counts since the last persist to the state store.
func (m *Manager) persistStats(ctx context.Context) {
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
func (m *Manager) Stats(ctx context.Context) (Stats, error) {
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
func (m *Manager) ResetStats(ctx context.Context) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	m.stats.take()
	return m.state.ResetStats(ctx)
}

func (m *Manager) buildStats(raw map[string]int64) Stats {
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
