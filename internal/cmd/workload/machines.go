package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
	"golang.org/x/time/rate"
)

// The two-machine mode (-machines 2) runs two Managers in this process,
// each with its own SQLite file and state file, as two hosts would, over
// one shared Redis prefix and one shared PostgreSQL database. Writer i
// writes through machine i mod n, reader i reads through machine i mod n,
// and every reader reads the sessions all writers are working on, so half
// the reads of current work cross machines. Updates and deletes of old
// frames land on either machine, also on frames the other has brought up.
//
// A read on one machine that returns an older revision than another
// machine acknowledged less than -stale-bound before counts as
// "stale-within-bound"; longer than that, as "stale" (a failure). The same
// holds for a new frame not found yet and a deleted frame still served.
//
// Replication lag is measured from outside the library too: after a write
// returns on one machine, a prober reads the frame on the other machine
// every probeEvery until it returns that revision (or a newer one).

const (
	probeEvery   = 5 * time.Millisecond
	probeTimeout = 10 * time.Second
	probers      = 3 // per machine
)

// machinesReport is the outcome of a two-machine run.
type machinesReport struct {
	Machines []*report `json:"machines"`
	// Lag is the time from a write returning on one machine to the other
	// machine reading that revision, for the writes probed; Unseen counts
	// probes that did not see it within probeTimeout, Skipped writes not
	// probed because every prober was busy.
	Lag     latency `json:"lag"`
	Unseen  int64   `json:"unseen"`
	Skipped int64   `json:"skipped"`
	// StaleAges are the ages of stale reads on every machine (within the
	// bound or not).
	StaleAges latency       `json:"stale_ages"`
	Bound     time.Duration `json:"stale_bound_ns"`
	// ProcessCPU is the CPU time of this process (every machine and the
	// workload itself) over the workload's wall time, in cores.
	ProcessCPU float64 `json:"process_cpu_cores"`
	Failures   int64   `json:"failures"`
	Errors     int64   `json:"errors"`
}

// prober measures when writes become visible on one machine.
type prober struct {
	w       *workload // of the machine that reads
	reqs    chan probeReq
	mu      sync.Mutex
	lag     hist
	unseen  int64
	skipped atomic.Int64
}

type probeReq struct {
	e   *entry
	rev int
	at  time.Time
}

// offer hands a write to the prober, or skips it when every prober is busy.
func (p *prober) offer(e *entry, rev int) {
	select {
	case p.reqs <- probeReq{e: e, rev: rev, at: time.Now()}:
	default:
		p.skipped.Add(1)
	}
}

func (p *prober) run(ctx context.Context) {
	for req := range p.reqs {
		p.one(ctx, req)
	}
}

func (p *prober) one(ctx context.Context, req probeReq) {
	for time.Since(req.at) < probeTimeout && ctx.Err() == nil {
		if req.e.deleting.Load() {
			return // deleted since: that revision may never be seen
		}
		gctx, cancel := context.WithTimeout(ctx, opTimeout)
		f, err := p.w.m.Get(gctx, req.e.id)
		cancel()
		if err == nil {
			hi := max(int(req.e.rev.Load()), int(req.e.next.Load()))
			if p.w.compare(req.e, f.Data, req.rev, hi) == "ok" {
				p.mu.Lock()
				p.lag.add(time.Since(req.at))
				p.mu.Unlock()
				return
			}
		}
		sleep(ctx, probeEvery)
	}
	if ctx.Err() == nil {
		p.mu.Lock()
		p.unseen++
		p.mu.Unlock()
	}
}

// runMachines runs the two-machine mode with the shared services of sp.
func runMachines(ctx context.Context, o options, sp *spec) (*machinesReport, error) {
	mdl, _, err := openModel(filepath.Join(sp.Dir, "journal.log"), sp.Seed)
	if err != nil {
		return nil, err
	}
	defer mdl.close()
	n := o.Machines
	reads, writersDone := new(atomic.Int64), new(atomic.Bool)
	current := make([]atomic.Pointer[session], max(sp.Writers, 1))
	var limiter *rate.Limiter
	if sp.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(sp.Rate), 64)
	}
	ws := make([]*workload, n)
	logs := make([]*logCounter, n)
	closed := make([]bool, n)
	defer func() {
		for i, w := range ws {
			if w != nil && !closed[i] {
				w.m.Close()
			}
		}
	}()
	for i := range n {
		msp := *sp
		msp.Dir = filepath.Join(sp.Dir, fmt.Sprintf("machine-%d", i))
		if err := os.MkdirAll(msp.Dir, 0o700); err != nil {
			return nil, err
		}
		logs[i] = newLogCounter(sp.Verbose)
		m, err := config.Open(ctx, msp.config(slog.New(logs[i])))
		if err != nil {
			return nil, fmt.Errorf("machine %d: open the tiers: %w", i, err)
		}
		ws[i] = &workload{spec: sp, m: m, model: mdl, c: newCounters(0), limiter: limiter,
			reads: reads, writersDone: writersDone, current: current, machine: i, bound: o.StaleBound}
		if err := m.ResetStats(ctx); err != nil {
			return nil, err
		}
	}
	cpu0 := processCPU()
	runCtx, cancel := context.WithDeadline(ctx, sp.Deadline)
	defer cancel()
	probes := make([]*prober, n)
	var probeWG sync.WaitGroup
	for i := range n {
		probes[i] = &prober{w: ws[i], reqs: make(chan probeReq, probers)}
		for range probers {
			probeWG.Add(1)
			go func() {
				defer probeWG.Done()
				probes[i].run(runCtx)
			}()
		}
	}
	for i, w := range ws {
		w.probe = probes[(i+1)%n].offer
	}
	samplers := make([]*peakSampler, n)
	for i, w := range ws {
		samplers[i] = samplePeaks(w.m)
	}
	progressDone := make(chan struct{})
	go reportProgress(progressDone, ws[0], ws[0].m)

	readEnd := sp.T0.Add(sp.Settle)
	stopReading := func() bool { return writersDone.Load() && time.Now().After(readEnd) }
	var readers, writers sync.WaitGroup
	for i := range sp.Readers {
		readers.Add(1)
		r := rand.New(rand.NewPCG(sp.Seed, uint64(1000+i)<<32|uint64(time.Now().UnixNano())))
		go func() {
			defer readers.Done()
			ws[i%n].reader(runCtx, r, stopReading)
		}()
	}
	for i := range sp.Writers {
		writers.Add(1)
		r := rand.New(rand.NewPCG(sp.Seed, uint64(i)<<32|uint64(time.Now().UnixNano())))
		go func() {
			defer writers.Done()
			ws[i%n].writer(runCtx, i, r)
		}()
	}
	writers.Wait()
	writersDone.Store(true)
	readers.Wait()
	for _, w := range ws {
		w.probe = nil
	}
	for _, p := range probes {
		close(p.reqs)
	}
	probeWG.Wait()
	close(progressDone)
	ended := time.Now()

	out := &machinesReport{Bound: o.StaleBound}
	if wall := ended.Sub(sp.T0); wall > 0 {
		out.ProcessCPU = float64(processCPU()-cpu0) / float64(wall)
	}
	results := make([]*segmentResult, n)
	for i, w := range ws {
		peaks, queued := samplers[i].finish()
		results[i] = &segmentResult{Counters: w.c, EndedAt: ended, Peaks: peaks, MaxQueued: queued}
		w.c.WallNanos = int64(ended.Sub(sp.T0))
	}
	progress("workload done: %d frames, %d reads; waiting for replication and the tiers", mdl.count(), reads.Load())
	for i, w := range ws {
		results[i].Recovery = waitReplicated(ctx, w.m, sp.Recovery)
	}
	// Past the bound, every machine must serve the newest revision.
	sleep(ctx, o.StaleBound+time.Second)
	for i, w := range ws {
		res := results[i]
		if res.Stats, err = w.m.Stats(ctx); err != nil {
			return nil, err
		}
		if res.Status, err = w.m.Status(ctx); err != nil {
			return nil, err
		}
		progress("machine %d: auditing %d frames", i, mdl.count())
		res.Audit = audit(ctx, w.m, mdl, w)
	}
	for i, w := range ws {
		closed[i] = true
		if err := w.m.Close(); err != nil {
			results[i].CloseErr = err.Error()
		}
		results[i].Logs = logs[i].snapshot()
	}
	all := newCounters(0)
	for i := range ws {
		rep := buildReport(o, sp, results[i], nil)
		out.Machines = append(out.Machines, rep)
		out.Failures += rep.Failures
		out.Errors += rep.Errors
		all.merge(ws[i].c)
	}
	lag := hist{}
	for _, p := range probes {
		lag.merge(p.lag)
		out.Unseen += p.unseen
		out.Skipped += p.skipped.Load()
	}
	out.Lag = latencyOf(&lag)
	out.StaleAges = latencyOf(&all.StaleAges)
	return out, nil
}

// waitReplicated waits until the tiers are healthy and nothing is waiting
// to be replicated or moved, for at most limit.
func waitReplicated(ctx context.Context, m *tier.Manager, limit time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < limit && ctx.Err() == nil {
		st, err := m.Status(ctx)
		if err == nil && st.PendingChanges == 0 && st.PendingMoves == 0 && st.Replication.Queued == 0 && allHealthy(st) {
			break
		}
		sleep(ctx, 200*time.Millisecond)
	}
	return time.Since(start)
}

// print writes the report of every machine, then what they saw of each
// other.
func (r *machinesReport) print(out io.Writer) {
	for i, m := range r.Machines {
		fmt.Fprintf(out, "==== machine %d ====\n", i)
		m.print(out)
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out, "==== between machines ====")
	for i, m := range r.Machines {
		fmt.Fprintf(out, "machine %d: reads from tier 1 %.1f %%; library lag p50 %s p99 %s; %d stale reads within the bound, %d not-yet-replicated reads, %d deleted frames still served within the bound\n",
			i, 100*m.HotShare, ms(m.Replication.LagP50), ms(m.Replication.LagP99),
			m.Outcomes["get/stale-within-bound"], m.Outcomes["get/notfound-within-bound"], m.Outcomes["get/resurrected-within-bound"])
	}
	fmt.Fprintf(out, "write returned on one machine -> the other reads that revision: %d probed, p50 %s, p99 %s, max %s; unseen after %s: %d; not probed (probers busy): %d\n",
		r.Lag.Count, ms(r.Lag.P50), ms(r.Lag.P99), ms(r.Lag.Max), probeTimeout, r.Unseen, r.Skipped)
	fmt.Fprintf(out, "stale reads (an older revision than one acknowledged elsewhere): %d, age p50 %s, p99 %s, max %s\n",
		r.StaleAges.Count, ms(r.StaleAges.P50), ms(r.StaleAges.P99), ms(r.StaleAges.Max))
	beyond := int64(0)
	for _, m := range r.Machines {
		beyond += m.Outcomes["get/stale"]
	}
	fmt.Fprintf(out, "stale reads beyond the bound of %s: %d (goal 0)\n", r.Bound, beyond)
	fmt.Fprintf(out, "process CPU (both machines and the workload): %.2f cores\n", r.ProcessCPU)
	fmt.Fprintf(out, "failures (lost, stale beyond the bound, corrupt, resurrected), all machines: %d\nerrors: %d\n", r.Failures, r.Errors)
}

var errMachinesFaults = errors.New("-machines above 1 runs without -faults")

// runTwo sets up a two-machine run (directory, Redis prefix), runs it and
// cleans up.
func runTwo(ctx context.Context, o options) (*machinesReport, error) {
	if len(o.Faults) > 0 {
		return nil, errMachinesFaults
	}
	if o.RedisURL == "" && o.PostgresURL == "" {
		return nil, errors.New("-machines above 1 needs -redis or -postgres: the machines share them")
	}
	dir := o.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "tier-workload-")
		if err != nil {
			return nil, err
		}
		dir = tmp
		if !o.Keep {
			defer os.RemoveAll(tmp)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sp := &spec{
		Frames: o.Frames, Readers: o.Readers, Writers: o.Writers, Seed: o.Seed,
		ReadRatio: o.ReadRatio, Rate: o.Rate, Dir: dir,
		HotFrames: o.HotFrames, WarmBytes: o.WarmBytes, SyncInterval: o.SyncInterval,
		Settle: o.Settle, Recovery: o.Recovery, Verbose: o.Verbose,
		RedisURL: o.RedisURL, PostgresURL: o.PostgresURL,
	}
	if o.RedisURL != "" {
		sp.RedisPrefix = "workload_" + randomHex(6) + ":"
		if !o.Keep {
			defer func() {
				n, err := deletePrefix(o.RedisURL, sp.RedisPrefix)
				if err != nil {
					progress("cannot remove the Redis keys under %s: %v", sp.RedisPrefix, err)
					return
				}
				progress("removed %d Redis keys under %s", n, sp.RedisPrefix)
			}()
		}
	}
	sp.T0 = time.Now()
	sp.Deadline = sp.T0.Add(o.Duration)
	return runMachines(ctx, o, sp)
}
