package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

func (a *app) statsCommand() *cobra.Command {
	var reset bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show performance statistics of every process that used this store",
		Long: `Show the statistics the library keeps in its state file, added up over every
process that used this store since they were last reset: reads per tier and
the share served by tier 1, latency percentiles per tier and operation,
frames moved down and up, failures, circuit breaker trips and time spent in
maintenance. Latencies are histogram bucket bounds (within 41 % above the
true value).

With --json the fields are those of tier.Stats: durations are in
nanoseconds (p50_ns, p95_ns, p99_ns, background_ns).`,
		Example: `  stackmemory storage stats
  stackmemory storage stats --json | jq .hot_hit_ratio
  stackmemory storage stats --reset`,
		Args: args(cobra.NoArgs),
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			if reset {
				if err := s.m.ResetStats(ctx); err != nil {
					return nil, err
				}
			}
			st, err := s.m.Stats(ctx)
			if err != nil {
				return nil, err
			}
			return statsReport(st), nil
		}),
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "clear the statistics first")
	return cmd
}

// statsReport is the output of `storage stats`.
type statsReport tier.Stats

func (st statsReport) text(a *app) {
	a.printf("reads:            %d found, %d not found\n", st.Reads, st.Misses)
	a.printf("served by tier 1: %s\n", percent(st.HotHitRatio))
	a.printf("moves:            %d down, %d up\n", st.MovesDown, st.MovesUp)
	a.printf("compression:      %s compressed on the way down, %s saved\n", humanBytes(st.CompressedBytes), humanBytes(st.BytesSaved))
	a.printf("background time:  %s\n\n", humanDuration(st.BackgroundTime))

	t := newTable(a)
	t.row("LEVEL", "TIER", "READS", "MOVED IN", "MOVED OUT", "FAILURES", "BREAKER TRIPS")
	for _, ts := range st.Tiers {
		t.row(ts.Level, ts.Name, ts.Reads, ts.MovedIn, ts.MovedOut, ts.Failures, ts.BreakerTrips)
	}
	t.flush()

	a.printf("\nlatency:\n")
	t = newTable(a)
	t.row("LEVEL", "TIER", "OP", "CALLS", "P50", "P95", "P99")
	rows := 0
	for _, ts := range st.Tiers {
		for _, l := range ts.Latency {
			t.row(ts.Level, ts.Name, l.Op, l.Count, humanDuration(l.P50), humanDuration(l.P95), humanDuration(l.P99))
			rows++
		}
	}
	t.flush()
	if rows == 0 {
		a.printf("  (no calls recorded yet)\n")
	}
}
