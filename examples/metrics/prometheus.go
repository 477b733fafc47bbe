package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/stackmemoryai/tier"
)

// writePrometheus writes st in the Prometheus text exposition format. It
// shows the names a host would give the library's statistics; with the
// Prometheus client library a host would register the same names as
// CounterFunc / GaugeFunc collectors reading Manager.Stats.
//
// The values are totals since the statistics were last reset (counters),
// and latency quantiles (gauges, in seconds, summary style):
//
//	stackmemory_tier_reads_total{level,tier}          Gets served by the tier
//	stackmemory_tier_misses_total                     Gets that found nothing
//	stackmemory_tier_hot_hit_ratio                    share of reads served by tier 1
//	stackmemory_tier_moved_in_total{level,tier}       frames moved into the tier
//	stackmemory_tier_moved_out_total{level,tier}      frames moved out of the tier
//	stackmemory_tier_failures_total{level,tier}       calls failed: tier unreachable
//	stackmemory_tier_breaker_trips_total{level,tier}  circuit breaker openings
//	stackmemory_tier_latency_seconds{level,tier,op,quantile}
//	stackmemory_tier_calls_total{level,tier,op}
//	stackmemory_tier_background_seconds_total         time in maintenance cycles
func writePrometheus(w io.Writer, st tier.Stats) {
	family := func(name, typ, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	perTier := func(name, typ, help string, value func(tier.TierStats) int64) {
		family(name, typ, help)
		for _, t := range st.Tiers {
			fmt.Fprintf(w, "%s{level=\"%d\",tier=%s} %d\n", name, t.Level, strconv.Quote(t.Name), value(t))
		}
	}
	perTier("stackmemory_tier_reads_total", "counter", "Gets served by the tier.",
		func(t tier.TierStats) int64 { return t.Reads })
	family("stackmemory_tier_misses_total", "counter", "Gets that found the frame in no tier.")
	fmt.Fprintf(w, "stackmemory_tier_misses_total %d\n", st.Misses)
	family("stackmemory_tier_hot_hit_ratio", "gauge", "Share of reads served by tier 1.")
	fmt.Fprintf(w, "stackmemory_tier_hot_hit_ratio %g\n", st.HotHitRatio)
	perTier("stackmemory_tier_moved_in_total", "counter", "Frames moved into the tier.",
		func(t tier.TierStats) int64 { return t.MovedIn })
	perTier("stackmemory_tier_moved_out_total", "counter", "Frames moved out of the tier.",
		func(t tier.TierStats) int64 { return t.MovedOut })
	perTier("stackmemory_tier_failures_total", "counter", "Calls that failed because the tier was unreachable.",
		func(t tier.TierStats) int64 { return t.Failures })
	perTier("stackmemory_tier_breaker_trips_total", "counter", "Times the tier's circuit breaker opened.",
		func(t tier.TierStats) int64 { return t.BreakerTrips })

	family("stackmemory_tier_latency_seconds", "summary", "Latency of tier calls (histogram bucket upper bounds).")
	for _, t := range st.Tiers {
		for _, l := range t.Latency {
			labels := fmt.Sprintf("level=\"%d\",tier=%s,op=%s", t.Level, strconv.Quote(t.Name), strconv.Quote(l.Op))
			for _, q := range []struct {
				q string
				v float64
			}{{"0.5", l.P50.Seconds()}, {"0.95", l.P95.Seconds()}, {"0.99", l.P99.Seconds()}} {
				fmt.Fprintf(w, "stackmemory_tier_latency_seconds{%s,quantile=%q} %g\n", labels, q.q, q.v)
			}
			fmt.Fprintf(w, "stackmemory_tier_latency_seconds_count{%s} %d\n", labels, l.Count)
		}
	}
	family("stackmemory_tier_background_seconds_total", "counter", "Time spent in background maintenance cycles.")
	fmt.Fprintf(w, "stackmemory_tier_background_seconds_total %g\n", st.BackgroundTime.Seconds())
}
