// Command workload replays a realistic agent workload over the full chain
// of tiers (SQLite, Redis, PostgreSQL) and reports what the StackMemory
// spec asks of the library: the share of reads served from tier 1, the
// background share of the time, the latency of each tier, the frames each
// tier holds at the end and at most during the run against its limits,
// and, under a fault schedule, the cost of a down tier and the proof that
// no frame was lost or corrupted.
//
// It lives under internal/cmd because it is the project's own load and
// fault tool, the source of the numbers in the README's Performance
// section, not an example of the API: it cuts connections through its own
// proxies, kills itself with SIGKILL and checks every byte against a
// journal, none of which a host should copy.
//
//	go run ./internal/cmd/workload -redis redis://127.0.0.1:6379/0 \
//	    -postgres 'postgres://postgres@127.0.0.1:5432/tier_workload?sslmode=disable' \
//	    -frames 100000 -faults 'redis-down@10s+10s,postgres-down@30s+10s,both-down@50s+10s,crash@70s'
//
// # Workload
//
// Writers are agents: each writes sessions, a root frame then a chain of
// child frames (parent IDs) in bursts, JSON documents of 0.5 to 8 KB (task,
// inputs, outputs, events, digest), refreshing the root's digest now and
// then, and sometimes updating or deleting an old frame. Readers follow
// readMix: mostly the sessions being written, then recent history (Zipf),
// a few old frames, parent-chain walks, full-text searches and session
// resumes (Warm). Reads are paced at -read-ratio reads per frame written.
//
// The library has no simulated clock, so time is compressed through the
// limits, not the clock: tier 1 keeps its spec limit of 1000 frames
// (-hot-frames), the background loop runs every -sync-interval (1s), and
// frames leave SQLite because it is full, not because they are a day old.
// Redis keeps its spec limits (1 GB, 7 days) unless -warm-bytes says less.
//
// # Faults
//
// With -faults, Redis and PostgreSQL are reached through TCP proxies inside
// this program that refuse and cut connections ("-down") or hold them
// silent ("-stall") on schedule. A "crash" kills the workload process: the
// workload then runs in a child process of this program, which is killed
// with SIGKILL and started again on the same files; a journal of the
// workload's own changes lets the new process carry on.
//
// # Audit
//
// At the end, once the tiers are healthy again, every frame the workload
// stored is read back and compared byte for byte with what it wrote; every
// frame it deleted must be gone. The exit status is 1 when a frame was
// lost, stale, corrupt or resurrected, 3 when only operations failed that
// should not have (failed writes, timeouts, frames unreachable at the
// audit).
//
// # Two machines
//
// With -machines 2, two Managers, each with its own SQLite file and state
// file, share one Redis prefix and one PostgreSQL database, as two hosts
// would; they write and read the same sessions. The report adds the
// replication lag seen from outside (a write returning on one machine to
// the other reading that revision), stale reads beyond -stale-bound and
// each machine's share of reads from tier 1 (see machines.go).
//
// Without -redis and -postgres (or their environment variables) the run is
// SQLite only.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/stackmemoryai/tier/config"
)

// Environment variables of a child process.
const (
	envSpec    = "TIER_WORKLOAD_SPEC"
	envSegment = "TIER_WORKLOAD_SEGMENT"
)

func main() {
	if path := os.Getenv(envSpec); path != "" {
		os.Exit(childMain(path, os.Getenv(envSegment)))
	}
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opts.Machines > 1 {
		os.Exit(mainMachines(ctx, opts))
	}
	rep, err := run(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
	if opts.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.print(os.Stdout)
	}
	switch {
	case rep.Failures > 0:
		os.Exit(1)
	case rep.Errors > 0:
		os.Exit(3)
	}
}

// mainMachines runs the two-machine mode and returns the exit status.
func mainMachines(ctx context.Context, opts options) int {
	rep, err := runTwo(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		return 1
	}
	if opts.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.print(os.Stdout)
	}
	switch {
	case rep.Failures > 0:
		return 1
	case rep.Errors > 0:
		return 3
	}
	return 0
}

// options are the command-line flags.
type options struct {
	RedisURL, PostgresURL string
	Dir                   string
	Keep                  bool
	Frames                int
	Readers, Writers      int
	Seed                  uint64
	ReadRatio             float64
	Rate                  float64
	Duration              time.Duration
	SyncInterval          time.Duration
	Settle                time.Duration
	Recovery              time.Duration
	HotFrames             int64
	WarmBytes             int64
	Faults                []fault
	JSON                  bool
	Verbose               bool
	// Machines is how many Managers share Redis and PostgreSQL, each with
	// its own SQLite and state files; StaleBound is how long after a
	// write returns on one machine the others may still miss it.
	Machines   int
	StaleBound time.Duration
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("workload", flag.ContinueOnError)
	fs.StringVar(&o.RedisURL, "redis", firstEnv("STACKMEMORY_REDIS_URL", "REDIS_URL"), "Redis URL of tier 2 (default $STACKMEMORY_REDIS_URL or $REDIS_URL); keys go under a fresh prefix, removed at exit")
	fs.StringVar(&o.PostgresURL, "postgres", firstEnv("STACKMEMORY_POSTGRES_URL", "DATABASE_URL"), "PostgreSQL URL of tier 3 (default $STACKMEMORY_POSTGRES_URL or $DATABASE_URL); use a fresh database")
	fs.StringVar(&o.Dir, "dir", "", "directory of the SQLite files (default: a temporary directory, removed at exit)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary directory and the Redis keys")
	fs.IntVar(&o.Frames, "frames", 100000, "frames to create")
	quick := fs.Bool("quick", false, "a smoke run: 2000 frames")
	fs.IntVar(&o.Readers, "readers", 4, "concurrent readers")
	fs.IntVar(&o.Writers, "writers", 2, "concurrent writers (agents)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the documents and of the choices")
	fs.Float64Var(&o.ReadRatio, "read-ratio", 5, "read operations per frame written")
	fs.Float64Var(&o.Rate, "rate", 0, "frames per second, all writers together (0: as fast as the library takes them)")
	fs.DurationVar(&o.Duration, "duration", 30*time.Minute, "stop writing and reading after this long, whatever is left")
	fs.DurationVar(&o.SyncInterval, "sync-interval", time.Second, "pause between background maintenance cycles")
	fs.DurationVar(&o.Settle, "settle", 5*time.Second, "reads go on this long after the last fault ends")
	fs.DurationVar(&o.Recovery, "recovery", 2*time.Minute, "at most this long to wait, after the workload, for the tiers to heal before the audit")
	fs.Int64Var(&o.HotFrames, "hot-frames", config.DefaultSQLiteMaxFrames, "frame limit of tier 1 (SQLite)")
	warm := fs.String("warm-bytes", "", "byte limit of tier 2 (Redis), like 64MB (default the spec's 1GB)")
	faults := fs.String("faults", "", "fault schedule, like redis-down@10s+10s,postgres-down@30s+10s,both-down@50s+10s,crash@70s (kinds: "+strings.Join(faultKinds, ", ")+")")
	fs.IntVar(&o.Machines, "machines", 1, "Managers sharing Redis and PostgreSQL, each with its own SQLite and state files, as separate hosts would (2: the two-machine mode)")
	fs.DurationVar(&o.StaleBound, "stale-bound", time.Second, "with -machines 2: how long after a write returned on one machine the other may still read an older revision")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&o.Verbose, "v", false, "print the library's warnings as they happen")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *quick {
		o.Frames = 2000
	}
	if *warm != "" {
		b, err := config.ParseByteSize(*warm)
		if err != nil {
			return o, fmt.Errorf("-warm-bytes: %w", err)
		}
		o.WarmBytes = int64(b)
	}
	var err error
	if o.Faults, err = parseFaults(*faults); err != nil {
		return o, err
	}
	switch {
	case o.Frames < 1, o.Readers < 0, o.Writers < 1, o.ReadRatio < 0, o.Rate < 0, o.HotFrames < 1, o.Machines < 1:
		return o, errors.New("-frames, -writers, -hot-frames and -machines must be positive; -readers, -read-ratio and -rate not negative")
	case o.Machines > 1 && len(o.Faults) > 0:
		return o, errMachinesFaults
	case o.SyncInterval < time.Second:
		return o, errors.New("-sync-interval must be at least 1s (the library's minimum)")
	}
	for _, f := range o.Faults {
		if (f.hits("redis") && f.Kind != "crash" && o.RedisURL == "" && !f.hits("postgres")) ||
			(f.hits("postgres") && f.Kind != "crash" && o.PostgresURL == "" && !f.hits("redis")) {
			return o, fmt.Errorf("fault %s: that tier is not configured", f)
		}
	}
	return o, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// childMain runs one segment of a run in a child process and returns its
// exit status. It writes its counters to seg-N.json every second, and its
// result to result.json when it finishes.
func childMain(specPath, segment string) int {
	var sp spec
	if err := readJSON(specPath, &sp); err != nil {
		fmt.Fprintln(os.Stderr, "workload child:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := runSegment(ctx, &sp, segmentPath(sp.Dir, segment))
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload child:", err)
		return 1
	}
	if err := writeJSON(resultPath(sp.Dir), res); err != nil {
		fmt.Fprintln(os.Stderr, "workload child:", err)
		return 1
	}
	return 0
}
