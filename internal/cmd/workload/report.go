package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stackmemoryai/tier"
)

// report is the outcome of a run: the -json output, and the table.
type report struct {
	Config    runConfig     `json:"config"`
	Wall      time.Duration `json:"wall_ns"` // the workload, without recovery and audit
	Processes int           `json:"processes"`

	Written int64 `json:"frames_written"`
	Updates int64 `json:"updates"`
	Deletes int64 `json:"deletes"`
	Gets    int64 `json:"gets"`
	Queries int64 `json:"queries"`
	Warms   int64 `json:"warms"`

	// HotShare is the share of successful Gets served by tier 1, as the
	// workload saw them; LibraryHotHitRatio is the library's own figure
	// (Stats.HotHitRatio, which also counts the audit's reads).
	HotShare           float64 `json:"hot_share"`
	LibraryHotHitRatio float64 `json:"library_hot_hit_ratio"`

	// BackgroundTime is Stats.BackgroundTime: time spent in maintenance
	// cycles; BackgroundShare is it over Wall. ProcessCPU is the CPU time
	// of the workload processes (the workload itself included), and
	// ProcessCPUShare is it over Wall, in cores.
	BackgroundTime  time.Duration `json:"background_ns"`
	BackgroundShare float64       `json:"background_share"`
	ProcessCPU      time.Duration `json:"process_cpu_ns"`
	ProcessCPUShare float64       `json:"process_cpu_cores"`

	Tiers     []tierRow `json:"tiers"`
	MovesDown int64     `json:"moves_down"`
	MovesUp   int64     `json:"moves_up"`
	// Evictions are moves down that were a local delete (Stats);
	// Replicated the frames copied early to the shared tiers;
	// PromotionsSkipped the promotions refused for lack of room.
	Evictions         int64 `json:"evictions"`
	Replicated        int64 `json:"replicated"`
	PromotionsSkipped int64 `json:"promotions_skipped"`
	// Replication and Coherence are the library's Status at the end;
	// MaxQueued the longest replication queue seen while running.
	Replication tier.ReplicationStatus `json:"replication"`
	Coherence   tier.CoherenceStatus   `json:"coherence"`
	MaxQueued   int                    `json:"max_replication_queued"`

	PendingChanges int           `json:"pending_changes"`
	PendingMoves   int           `json:"pending_moves"`
	Stuck          []string      `json:"stuck,omitempty"`
	Recovery       time.Duration `json:"recovery_ns"`

	Outcomes map[string]int64 `json:"outcomes"`
	// BaselineBelow is the latency of Gets that went below tier 1 outside
	// any fault; Faults the same during each fault.
	BaselineBelow latency    `json:"baseline_below_tier1"`
	Faults        []faultRow `json:"faults,omitempty"`

	Audit    auditReport    `json:"audit"`
	Logs     map[string]int `json:"library_logs,omitempty"`
	Samples  []string       `json:"samples,omitempty"`
	CloseErr string         `json:"close_error,omitempty"`
	// Failures counts what must be zero whatever happens: frames lost,
	// stale, corrupt or resurrected at the audit, and reads that returned
	// such frames or "not found" for an existing frame.
	Failures int64 `json:"failures"`
	// Errors counts operations that failed when they should not have
	// (writes, deletes, timeouts) and frames the audit could not reach
	// even after the tiers had time to heal.
	Errors int64 `json:"errors"`
}

type runConfig struct {
	Frames       int           `json:"frames"`
	Readers      int           `json:"readers"`
	Writers      int           `json:"writers"`
	Seed         uint64        `json:"seed"`
	ReadRatio    float64       `json:"read_ratio"`
	Rate         float64       `json:"rate"`
	Chain        []string      `json:"chain"`
	HotFrames    int64         `json:"hot_frames"`
	WarmBytes    int64         `json:"warm_bytes,omitempty"`
	SyncInterval time.Duration `json:"sync_interval_ns"`
	Faults       []string      `json:"faults,omitempty"`
	ReadMix      any           `json:"read_mix"`
}

type latency struct {
	Count int64         `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

func latencyOf(h *hist) latency {
	if h == nil {
		return latency{}
	}
	return latency{Count: h.Count, P50: h.quantile(0.50), P99: h.quantile(0.99), Max: h.Max}
}

// tierRow is one tier: what it holds at the end and how fast it served.
type tierRow struct {
	Level   int    `json:"level"`
	Name    string `json:"name"`
	Frames  int64  `json:"frames"`
	Bytes   int64  `json:"bytes"`
	Healthy bool   `json:"healthy"`
	Breaker string `json:"breaker"`
	// MaxFrames and MaxBytes are the most the tier held while the
	// workload ran (sampled every second); Limits its budgets.
	MaxFrames int64       `json:"max_frames"`
	MaxBytes  int64       `json:"max_bytes"`
	Limits    tier.Limits `json:"limits"`
	// BroughtUp, Protected and Backlog are Status's at the end;
	// MaxBroughtUp and MaxBacklog the most seen while running.
	BroughtUp    int `json:"brought_up"`
	Protected    int `json:"protected"`
	Backlog      int `json:"backlog"`
	MaxBroughtUp int `json:"max_brought_up"`
	MaxBacklog   int `json:"max_backlog"`
	// Gets served by the tier, client side (the whole Get call).
	Gets latency `json:"gets"`
	// LibraryGet is the library's own latency of the tier's get
	// operation (Stats), background reads and the audit included.
	LibraryGet   latency `json:"library_get"`
	Failures     int64   `json:"failures"`
	BreakerTrips int64   `json:"breaker_trips"`
	MovedIn      int64   `json:"moved_in"`
	MovedOut     int64   `json:"moved_out"`
}

// faultRow is what Gets below tier 1 saw during one fault.
type faultRow struct {
	Fault string `json:"fault"`
	// First is the latency of the first Get below tier 1 after the fault
	// began (the cost of finding the tier down), FirstAt when it came.
	First    time.Duration    `json:"first_ns"`
	FirstAt  time.Duration    `json:"first_at_ns"`
	Below    latency          `json:"below_tier1"`
	Outcomes map[string]int64 `json:"outcomes"`
}

// buildReport puts the results of the processes of a run together.
func buildReport(o options, sp *spec, res *segmentResult, killed []*counters) *report {
	c := newCounters(len(sp.Faults))
	for _, k := range killed {
		c.merge(k)
	}
	c.merge(res.Counters)
	r := &report{
		Config: runConfig{
			Frames: o.Frames, Readers: o.Readers, Writers: o.Writers, Seed: o.Seed,
			ReadRatio: o.ReadRatio, Rate: o.Rate, HotFrames: o.HotFrames, WarmBytes: o.WarmBytes,
			SyncInterval: o.SyncInterval, ReadMix: readMix,
		},
		Wall:      res.EndedAt.Sub(sp.T0),
		Processes: len(killed) + 1,
		Written:   c.Written, Updates: c.Updates, Deletes: c.Deletes,
		Gets: c.Gets, Queries: c.Queries, Warms: c.Warms,
		LibraryHotHitRatio: res.Stats.HotHitRatio,
		BackgroundTime:     res.Stats.BackgroundTime,
		ProcessCPU:         time.Duration(c.CPUNanos),
		MovesDown:          res.Stats.MovesDown, MovesUp: res.Stats.MovesUp,
		Evictions: res.Stats.Evictions, Replicated: res.Stats.Replicated, PromotionsSkipped: res.Stats.PromotionsSkipped,
		Replication: res.Status.Replication, Coherence: res.Status.Coherence, MaxQueued: res.MaxQueued,
		PendingChanges: res.Status.PendingChanges, PendingMoves: res.Status.PendingMoves,
		Stuck: res.Status.Stuck, Recovery: res.Recovery,
		Outcomes:      c.Outcomes,
		BaselineBelow: latencyOf(&c.Baseline),
		Audit:         res.Audit,
		Logs:          res.Logs,
		Samples:       append(c.Samples, res.Audit.Samples...),
		CloseErr:      res.CloseErr,
	}
	for _, f := range sp.Faults {
		r.Config.Faults = append(r.Config.Faults, f.String())
	}
	var served int64
	for _, n := range c.GetsByTier {
		served += n
	}
	if served > 0 {
		r.HotShare = float64(c.GetsByTier[hotTier]) / float64(served)
	}
	if r.Wall > 0 {
		r.BackgroundShare = float64(r.BackgroundTime) / float64(r.Wall)
		r.ProcessCPUShare = float64(r.ProcessCPU) / float64(r.Wall)
	}
	for i, ts := range res.Status.Tiers {
		r.Config.Chain = append(r.Config.Chain, ts.Name)
		row := tierRow{Level: ts.Level, Name: ts.Name, Frames: ts.Frames, Bytes: ts.Bytes,
			Healthy: ts.Healthy, Breaker: ts.Breaker, Gets: latencyOf(c.GetLatency[ts.Name]),
			Limits: ts.Limits, BroughtUp: ts.BroughtUp, Protected: ts.Protected, Backlog: ts.Backlog,
			MaxFrames: ts.Frames, MaxBytes: ts.Bytes}
		if i < len(res.Peaks) {
			pk := res.Peaks[i]
			row.MaxFrames, row.MaxBytes = max(row.MaxFrames, pk.Frames), max(row.MaxBytes, pk.Bytes)
			row.MaxBroughtUp, row.MaxBacklog = pk.BroughtUp, pk.Backlog
		}
		if i < len(res.Stats.Tiers) {
			st := res.Stats.Tiers[i]
			row.Failures, row.BreakerTrips, row.MovedIn, row.MovedOut = st.Failures, st.BreakerTrips, st.MovedIn, st.MovedOut
			for _, l := range st.Latency {
				if l.Op == "get" {
					row.LibraryGet = latency{Count: l.Count, P50: l.P50, P99: l.P99}
				}
			}
		}
		r.Tiers = append(r.Tiers, row)
	}
	for i, f := range sp.Faults {
		if f.Kind == "crash" {
			continue
		}
		w := c.Windows[i]
		r.Faults = append(r.Faults, faultRow{Fault: f.String(), First: w.First, FirstAt: w.FirstAt,
			Below: latencyOf(&w.Below), Outcomes: w.Outcomes})
	}
	a := r.Audit
	r.Failures = int64(a.Lost + a.Stale + a.Corrupt + a.Resurrected)
	r.Errors = int64(a.Unreachable)
	for k, v := range c.Outcomes {
		op, kind, _ := strings.Cut(k, "/")
		switch {
		case kind == "ok", kind == "notfound-deleted", strings.HasSuffix(kind, "-within-bound"):
			// within-bound: another machine's write not seen yet, less
			// than the stale bound after it returned (two-machine mode)
		case kind == "unavailable" && (op == "get" || op == "query" || op == "warm"):
			// expected while a tier is down
		case kind == "notfound-existing", kind == "stale", kind == "corrupt", kind == "resurrected":
			r.Failures += v
		default:
			r.Errors += v
		}
	}
	return r
}

// print writes the report as tables.
func (r *report) print(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	pct := func(x float64) string { return fmt.Sprintf("%.1f %%", 100*x) }
	fmt.Fprintf(w, "chain\t%s\n", strings.Join(r.Config.Chain, " -> "))
	fmt.Fprintf(w, "config\t%d frames, %d writers, %d readers, %.0f reads/frame, seed %d, tier 1 limit %d frames, sync every %s\n",
		r.Config.Frames, r.Config.Writers, r.Config.Readers, r.Config.ReadRatio, r.Config.Seed, r.Config.HotFrames, r.Config.SyncInterval)
	if len(r.Config.Faults) > 0 {
		fmt.Fprintf(w, "faults\t%s (%d workload processes)\n", strings.Join(r.Config.Faults, ", "), r.Processes)
	}
	fmt.Fprintf(w, "wall time\t%s (workload), then %s to heal, %s to audit\n", r.Wall.Round(time.Millisecond), r.Recovery.Round(time.Millisecond), r.Audit.Took.Round(time.Millisecond))
	fmt.Fprintf(w, "written\t%d frames, %d updates, %d deletes\n", r.Written, r.Updates, r.Deletes)
	fmt.Fprintf(w, "reads\t%d gets, %d searches, %d session resumes\n", r.Gets, r.Queries, r.Warms)
	fmt.Fprintf(w, "reads from tier 1\t%s (library's HotHitRatio %s; spec goal 90 %%, ours 95 %%)\n", pct(r.HotShare), pct(r.LibraryHotHitRatio))
	cpu := ""
	if r.ProcessCPU > 0 {
		cpu = fmt.Sprintf("; process CPU %s = %.2f cores", r.ProcessCPU.Round(time.Millisecond), r.ProcessCPUShare)
	}
	fmt.Fprintf(w, "background\t%s in maintenance = %s of wall time (spec 5 %%, ours 2 %%)%s\n",
		r.BackgroundTime.Round(time.Millisecond), pct(r.BackgroundShare), cpu)
	fmt.Fprintf(w, "moves\t%d down (%d of them evictions, a local delete), %d up (%d promotions skipped); pending changes %d, pending moves %d\n",
		r.MovesDown, r.Evictions, r.MovesUp, r.PromotionsSkipped, r.PendingChanges, r.PendingMoves)
	if r.Replication.On {
		fmt.Fprintf(w, "replication\t%d frames copied early (Stats), lag p50 %s p99 %s (Status); queue %d at the end, at most %d\n",
			r.Replicated, ms(r.Replication.LagP50), ms(r.Replication.LagP99), r.Replication.Queued, r.MaxQueued)
	}
	fmt.Fprintf(w, "coherence\tchannel %s, %d invalidations, %d revalidations, %d copies dropped\n",
		r.Coherence.Channel, r.Coherence.Invalidations, r.Coherence.Revalidations, r.Coherence.Dropped)
	for _, s := range r.Stuck {
		fmt.Fprintf(w, "stuck\t%s\n", s)
	}
	w.Flush()

	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "tier\tframes\tMB\thealthy\tgets\tp50\tp99\tlib p50\tlib p99\tfailures\ttrips\tin\tout\t")
	for _, t := range r.Tiers {
		fmt.Fprintf(w, "%d %s\t%d\t%.1f\t%v\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t\n", t.Level, t.Name, t.Frames, float64(t.Bytes)/1e6, t.Healthy,
			t.Gets.Count, ms(t.Gets.P50), ms(t.Gets.P99), ms(t.LibraryGet.P50), ms(t.LibraryGet.P99),
			t.Failures, t.BreakerTrips, t.MovedIn, t.MovedOut)
	}
	w.Flush()
	fmt.Fprintln(out, "(gets, p50, p99: client-side Get latency by the tier that served it; lib: the library's per-tier get latency)")

	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "tier\tframes end\tframes max\tframe limit\tmax/limit\tMB max\tMB limit\tbrought up end/max\tprotected\tbacklog end/max\t")
	for _, t := range r.Tiers {
		ratio, limit, mbLimit := "-", "-", "-"
		if t.Limits.MaxFrames > 0 {
			limit = fmt.Sprint(t.Limits.MaxFrames)
			ratio = fmt.Sprintf("%.2fx", float64(t.MaxFrames)/float64(t.Limits.MaxFrames))
		}
		if t.Limits.MaxBytes > 0 {
			mbLimit = fmt.Sprintf("%.0f", float64(t.Limits.MaxBytes)/1e6)
		}
		fmt.Fprintf(w, "%d %s\t%d\t%d\t%s\t%s\t%.1f\t%s\t%d/%d\t%d\t%d/%d\t\n", t.Level, t.Name, t.Frames, t.MaxFrames, limit, ratio,
			float64(t.MaxBytes)/1e6, mbLimit, t.BroughtUp, t.MaxBroughtUp, t.Protected, t.Backlog, t.MaxBacklog)
	}
	w.Flush()
	fmt.Fprintln(out, "(max: the most seen in Status, sampled every second while the workload ran; the last tier keeps everything)")

	if len(r.Faults) > 0 {
		fmt.Fprintln(out)
		w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "gets below tier 1\tcount\tfirst\tp50\tp99\tmax\toutcomes\t")
		fmt.Fprintf(w, "no fault\t%d\t\t%s\t%s\t%s\t\t\n", r.BaselineBelow.Count, ms(r.BaselineBelow.P50), ms(r.BaselineBelow.P99), ms(r.BaselineBelow.Max))
		for _, f := range r.Faults {
			first := "-"
			if f.First >= 0 {
				first = fmt.Sprintf("%s (+%s)", ms(f.First), f.FirstAt.Round(time.Millisecond))
			}
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", f.Fault, f.Below.Count, first, ms(f.Below.P50), ms(f.Below.P99), ms(f.Below.Max), kv(f.Outcomes))
		}
		w.Flush()
	}

	fmt.Fprintln(out)
	fmt.Fprintf(out, "outcomes: %s\n", kv(r.Outcomes))
	a := r.Audit
	fmt.Fprintf(out, "audit: %d frames checked: %d identical, %d deleted and gone; lost %d, stale %d, corrupt %d, resurrected %d, unreachable %d (served by %s)\n",
		a.Checked, a.OK, a.Gone, a.Lost, a.Stale, a.Corrupt, a.Resurrected, a.Unreachable, kv(a.ByTier))
	if len(r.Logs) > 0 {
		fmt.Fprintf(out, "library log: %s\n", kv(r.Logs))
	}
	if r.CloseErr != "" {
		fmt.Fprintf(out, "close: %s\n", r.CloseErr)
	}
	for _, s := range r.Samples {
		fmt.Fprintf(out, "  sample: %s\n", s)
	}
	fmt.Fprintf(out, "failures (lost, stale, corrupt, resurrected): %d\nerrors (failed writes, timeouts, unreachable at audit): %d\n", r.Failures, r.Errors)
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.3fms", float64(d)/1e6)
}

// kv formats a map sorted by key.
func kv[V int | int64](m map[string]V) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
