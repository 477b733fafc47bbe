package main

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stackmemoryai/tier"
)

// collector is a prometheus.Collector that reads Manager.Stats and
// Manager.Status at each scrape, so the numbers are always current and
// include what other processes sharing the store did (the statistics are
// persisted in the store's state file). Counters count since the
// statistics were last reset.
//
//	stackmemory_tier_reads_total{level,tier}            Gets served by the tier
//	stackmemory_tier_misses_total                       Gets that found the frame in no tier
//	stackmemory_tier_hot_hit_ratio                      share of reads served by tier 1
//	stackmemory_tier_moved_in_total{level,tier}         frames moved into the tier
//	stackmemory_tier_moved_out_total{level,tier}        frames moved out of the tier
//	stackmemory_tier_failures_total{level,tier}         calls failed: the tier was unreachable
//	stackmemory_tier_breaker_trips_total{level,tier}    times the tier's circuit breaker opened
//	stackmemory_tier_calls_total{level,tier,op}         calls to the tier
//	stackmemory_tier_call_latency_seconds{level,tier,op,percentile}  p50, p95, p99
//	stackmemory_tier_background_seconds_total           time in maintenance cycles
//	stackmemory_tier_compressed_bytes_total             bytes compressed on their way down
//	stackmemory_tier_compression_saved_bytes_total      bytes compression saved
//	stackmemory_tier_frames{level,tier}                 frames the tier holds
//	stackmemory_tier_bytes{level,tier}                  bytes the tier holds
//	stackmemory_tier_up{level,tier}                     1 when the tier is healthy
//	stackmemory_tier_breaker_state{level,tier,state}    1 for the breaker's state, 0 for the others
//	stackmemory_tier_pending_changes                    changes waiting for a tier to come back
//	stackmemory_tier_pending_moves                      moves in progress or interrupted
//
// The latency percentiles are gauges, not a Prometheus summary (hence the
// label "percentile", not "quantile"): Stats keeps a histogram of calls
// (values are bucket upper bounds, within 41 % above the true value) but
// not their sum.
type collector struct {
	m *tier.Manager
	// timeout bounds the Stats and Status calls of one scrape.
	timeout time.Duration
}

func newCollector(m *tier.Manager) *collector { return &collector{m: m, timeout: 5 * time.Second} }

var (
	tierLabels = []string{"level", "tier"}

	descReads       = desc("reads_total", "Gets served by the tier.", tierLabels...)
	descMisses      = desc("misses_total", "Gets that found the frame in no tier.")
	descHotRatio    = desc("hot_hit_ratio", "Share of reads served by tier 1.")
	descMovedIn     = desc("moved_in_total", "Frames moved into the tier.", tierLabels...)
	descMovedOut    = desc("moved_out_total", "Frames moved out of the tier.", tierLabels...)
	descFailures    = desc("failures_total", "Calls that failed because the tier was unreachable.", tierLabels...)
	descTrips       = desc("breaker_trips_total", "Times the tier's circuit breaker opened.", tierLabels...)
	descCalls       = desc("calls_total", "Calls to the tier, by operation.", "level", "tier", "op")
	descLatency     = desc("call_latency_seconds", "Latency percentiles of calls to the tier (histogram bucket upper bounds).", "level", "tier", "op", "percentile")
	descBackground  = desc("background_seconds_total", "Time spent in background maintenance cycles.")
	descCompressed  = desc("compressed_bytes_total", "Bytes of documents compressed on their way down.")
	descSaved       = desc("compression_saved_bytes_total", "Bytes that compression saved.")
	descFrames      = desc("frames", "Frames the tier holds.", tierLabels...)
	descBytes       = desc("bytes", "Bytes the tier holds.", tierLabels...)
	descUp          = desc("up", "1 when the tier is healthy, 0 otherwise.", tierLabels...)
	descBreaker     = desc("breaker_state", "1 for the current state of the tier's circuit breaker, 0 for the others.", "level", "tier", "state")
	descPendingChg  = desc("pending_changes", "Changes (deletes) waiting for a tier to come back.")
	descPendingMove = desc("pending_moves", "Moves in progress or interrupted.")

	allDescs = []*prometheus.Desc{descReads, descMisses, descHotRatio, descMovedIn, descMovedOut,
		descFailures, descTrips, descCalls, descLatency, descBackground, descCompressed, descSaved,
		descFrames, descBytes, descUp, descBreaker, descPendingChg, descPendingMove}

	breakerStates = []string{"closed", "half-open", "open"}
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("stackmemory_tier_"+name, help, labels, nil)
}

// Describe sends the descriptions of every metric the collector makes.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect reads the statistics and the status of the chain. When one of
// them fails, its metrics are reported as invalid (the scrape says why)
// and the other's are still sent.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if st, err := c.m.Stats(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descReads, err)
	} else {
		collectStats(ch, st)
	}
	if st, err := c.m.Status(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descFrames, err)
	} else {
		collectStatus(ch, st)
	}
}

// send sends one sample; a sample that does not fit its description
// (a bug of this file) is reported as invalid rather than panicking.
func send(ch chan<- prometheus.Metric, d *prometheus.Desc, typ prometheus.ValueType, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, typ, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	ch <- m
}

func collectStats(ch chan<- prometheus.Metric, st tier.Stats) {
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		send(ch, d, prometheus.CounterValue, v, labels...)
	}
	counter(descMisses, float64(st.Misses))
	send(ch, descHotRatio, prometheus.GaugeValue, st.HotHitRatio)
	counter(descBackground, st.BackgroundTime.Seconds())
	counter(descCompressed, float64(st.CompressedBytes))
	counter(descSaved, float64(st.BytesSaved))
	for _, t := range st.Tiers {
		level := strconv.Itoa(t.Level)
		counter(descReads, float64(t.Reads), level, t.Name)
		counter(descMovedIn, float64(t.MovedIn), level, t.Name)
		counter(descMovedOut, float64(t.MovedOut), level, t.Name)
		counter(descFailures, float64(t.Failures), level, t.Name)
		counter(descTrips, float64(t.BreakerTrips), level, t.Name)
		for _, l := range t.Latency {
			counter(descCalls, float64(l.Count), level, t.Name, l.Op)
			for _, q := range []struct {
				q string
				d time.Duration
			}{{"p50", l.P50}, {"p95", l.P95}, {"p99", l.P99}} {
				send(ch, descLatency, prometheus.GaugeValue, q.d.Seconds(), level, t.Name, l.Op, q.q)
			}
		}
	}
}

func collectStatus(ch chan<- prometheus.Metric, st tier.Status) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		send(ch, d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descPendingChg, float64(st.PendingChanges))
	gauge(descPendingMove, float64(st.PendingMoves))
	for _, t := range st.Tiers {
		level := strconv.Itoa(t.Level)
		gauge(descFrames, float64(t.Frames), level, t.Name)
		gauge(descBytes, float64(t.Bytes), level, t.Name)
		gauge(descUp, boolValue(t.Healthy), level, t.Name)
		for _, s := range breakerStates {
			gauge(descBreaker, boolValue(t.Breaker == s), level, t.Name, s)
		}
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
