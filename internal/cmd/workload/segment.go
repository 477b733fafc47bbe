package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
	_ "github.com/stackmemoryai/tier/pgdriver"
	_ "github.com/stackmemoryai/tier/redisdriver"
	"golang.org/x/time/rate"
)

// hotTier is the name of tier 1 in the default chain.
const hotTier = "sqlite"

// spec is what one workload process needs to do its part of a run. The
// supervisor hands it to child processes as a JSON file.
type spec struct {
	Frames      int     `json:"frames"`
	Readers     int     `json:"readers"`
	Writers     int     `json:"writers"`
	Seed        uint64  `json:"seed"`
	ReadRatio   float64 `json:"read_ratio"`
	Rate        float64 `json:"rate"` // frames per second, 0: unlimited
	Dir         string  `json:"dir"`
	RedisURL    string  `json:"redis_url,omitempty"` // through the fault proxy
	PostgresURL string  `json:"postgres_url,omitempty"`
	RedisPrefix string  `json:"redis_prefix,omitempty"`
	HotFrames   int64   `json:"hot_frames"`
	WarmBytes   int64   `json:"warm_bytes"`
	// SyncInterval is the pause between background maintenance cycles.
	SyncInterval time.Duration `json:"sync_interval_ns"`
	Faults       []fault       `json:"faults"`
	T0           time.Time     `json:"t0"`       // when the run began
	Deadline     time.Time     `json:"deadline"` // when writing and reading stop, whatever is left
	// Settle is how long reads go on after the last fault ends.
	Settle time.Duration `json:"settle_ns"`
	// Recovery bounds the wait for the tiers to heal before the audit.
	Recovery time.Duration `json:"recovery_ns"`
	Verbose  bool          `json:"verbose"`
}

// segmentResult is what the process that finishes the run reports.
type segmentResult struct {
	Counters *counters      `json:"counters"`
	Stats    tier.Stats     `json:"stats"`
	Status   tier.Status    `json:"status"`
	Audit    auditReport    `json:"audit"`
	Logs     map[string]int `json:"logs"`
	// EndedAt is when the workload stopped (before recovery and audit).
	EndedAt  time.Time     `json:"ended_at"`
	Recovery time.Duration `json:"recovery_ns"` // waited for tiers to heal
	CloseErr string        `json:"close_error,omitempty"`
	// Peaks are the most each tier held while the workload ran (Status
	// sampled every second); MaxQueued the longest replication queue.
	Peaks     []tierPeak `json:"peaks"`
	MaxQueued int        `json:"max_replication_queued"`
}

// config turns sp into the library's configuration.
func (sp *spec) config(logger *slog.Logger) config.Config {
	cfg := config.Default()
	cfg.SQLite.Path = filepath.Join(sp.Dir, "frames.db")
	cfg.SQLite.MaxFrames = sp.HotFrames
	cfg.Redis.URL = sp.RedisURL
	cfg.Redis.KeyPrefix = sp.RedisPrefix
	if sp.WarmBytes > 0 {
		cfg.Redis.MaxSize = config.ByteSize(sp.WarmBytes)
	}
	cfg.Postgres.URL = sp.PostgresURL
	cfg.SyncInterval = config.Duration(sp.SyncInterval)
	cfg.Logger = logger
	return cfg
}

// runSegment runs the workload in this process until the run has its
// frames and the fault schedule is over (or the deadline passes), then
// waits for the tiers to heal, audits every frame and reports. When
// snapshot is set, the counters are written there every second, so that
// they survive a SIGKILL.
func runSegment(ctx context.Context, sp *spec, snapshot string) (*segmentResult, error) {
	segStart := time.Now()
	cpu0 := processCPU()
	logs := newLogCounter(sp.Verbose)
	mdl, pend, err := openModel(filepath.Join(sp.Dir, "journal.log"), sp.Seed)
	if err != nil {
		return nil, err
	}
	defer mdl.close()
	m, err := config.Open(ctx, sp.config(slog.New(logs)))
	if err != nil {
		return nil, fmt.Errorf("open the tiers: %w", err)
	}
	closed := false
	defer func() {
		if !closed {
			m.Close()
		}
	}()
	if mdl.count() == 0 {
		if err := m.ResetStats(ctx); err != nil {
			return nil, err
		}
	}
	c := newCounters(len(sp.Faults))
	w := &workload{spec: sp, m: m, model: mdl, c: c, created0: mdl.count(),
		reads: new(atomic.Int64), writersDone: new(atomic.Bool),
		current: make([]atomic.Pointer[session], max(sp.Writers, 1))}
	if sp.Rate > 0 {
		w.limiter = rate.NewLimiter(rate.Limit(sp.Rate), 64)
	}
	if len(pend) > 0 {
		progress("resuming: %d frames in the journal, redoing %d interrupted changes", mdl.count(), len(pend))
		redo(ctx, w, pend)
	}

	runCtx, cancel := context.WithDeadline(ctx, sp.Deadline)
	defer cancel()
	stopSnap := make(chan struct{})
	var snapWG sync.WaitGroup
	if snapshot != "" {
		snapWG.Add(1)
		go func() {
			defer snapWG.Done()
			snapshotLoop(stopSnap, snapshot, c, segStart, cpu0)
		}()
	}
	progressDone := make(chan struct{})
	go reportProgress(progressDone, w, m)
	peaks := samplePeaks(m)

	readEnd := sp.T0.Add(scheduleEnd(sp.Faults) + sp.Settle)
	stopReading := func() bool { return w.writersDone.Load() && time.Now().After(readEnd) }
	var readers, writers sync.WaitGroup
	for i := range sp.Readers {
		readers.Add(1)
		r := rand.New(rand.NewPCG(sp.Seed, uint64(1000+i)<<32|uint64(time.Now().UnixNano())))
		go func() {
			defer readers.Done()
			w.reader(runCtx, r, stopReading)
		}()
	}
	for i := range sp.Writers {
		writers.Add(1)
		r := rand.New(rand.NewPCG(sp.Seed, uint64(i)<<32|uint64(time.Now().UnixNano())))
		go func() {
			defer writers.Done()
			w.writer(runCtx, i, r)
		}()
	}
	writers.Wait()
	w.writersDone.Store(true)
	readers.Wait()
	close(progressDone)
	ended := time.Now()
	tierPeaks, maxQueued := peaks.finish()
	c.mu.Lock()
	c.WallNanos = int64(ended.Sub(segStart))
	c.CPUNanos = int64(processCPU() - cpu0)
	c.mu.Unlock()
	close(stopSnap)
	snapWG.Wait()

	res := &segmentResult{Counters: c, EndedAt: ended, Peaks: tierPeaks, MaxQueued: maxQueued}
	progress("workload done: %d frames, %d reads; waiting for the tiers to heal", mdl.count(), w.reads.Load())
	res.Recovery = waitHealthy(ctx, m, sp.Recovery)
	if res.Stats, err = m.Stats(ctx); err != nil {
		return nil, err
	}
	if res.Status, err = m.Status(ctx); err != nil {
		return nil, err
	}
	progress("auditing %d frames", mdl.count())
	res.Audit = audit(ctx, m, mdl, w)
	closed = true
	if err := m.Close(); err != nil {
		res.CloseErr = err.Error()
	}
	res.Logs = logs.snapshot()
	return res, nil
}

// redo finishes the changes a killed process left without an outcome:
// frames created but not acknowledged are put again, updates and deletes
// issued again. After it, the model is certain again.
func redo(ctx context.Context, w *workload, pend []pending) {
	for _, p := range pend {
		switch p.op {
		case 'n':
			w.putNew(ctx, []*entry{p.e}, false)
		case 'u':
			p.e.rev.Store(int32(p.rev - 1))
			w.update(ctx, p.e)
		case 'd':
			p.e.deleting.Store(false)
			w.delete(ctx, p.e)
		}
	}
}

// waitHealthy waits until every tier is healthy and nothing is pending,
// for at most limit, and returns how long it waited.
func waitHealthy(ctx context.Context, m *tier.Manager, limit time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < limit && ctx.Err() == nil {
		st, err := m.Status(ctx)
		if err == nil && st.PendingChanges == 0 && st.PendingMoves == 0 && allHealthy(st) {
			break
		}
		sleep(ctx, 500*time.Millisecond)
	}
	return time.Since(start)
}

func allHealthy(st tier.Status) bool {
	for _, t := range st.Tiers {
		if !t.Healthy {
			return false
		}
	}
	return true
}

// snapshotLoop writes the counters to path every second until stop closes.
func snapshotLoop(stop <-chan struct{}, path string, c *counters, start time.Time, cpu0 time.Duration) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		write := func() {
			c.mu.Lock()
			c.WallNanos = int64(time.Since(start))
			c.CPUNanos = int64(processCPU() - cpu0)
			c.mu.Unlock()
			_ = writeJSON(path, c.snapshot())
		}
		select {
		case <-stop:
			write()
			return
		case <-t.C:
			write()
		}
	}
}

// reportProgress prints a line every 10 seconds until done closes.
func reportProgress(done <-chan struct{}, w *workload, m *tier.Manager) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			st, _ := m.Status(ctx)
			cancel()
			line := fmt.Sprintf("%6.0fs  frames %d/%d  reads %d", time.Since(w.spec.T0).Seconds(), w.model.count(), w.spec.Frames, w.reads.Load())
			for _, t := range st.Tiers {
				h := ""
				if !t.Healthy {
					h = " DOWN"
				}
				line += fmt.Sprintf("  %s %d%s", t.Name, t.Frames, h)
			}
			progress("%s", line)
		}
	}
}

// processCPU returns the user and system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeJSON writes v to path atomically (a temporary file renamed).
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readJSON reads a file written by writeJSON.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}

// progress prints a progress line on standard error.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "workload: "+format+"\n", args...)
}
