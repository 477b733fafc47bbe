package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/redis/rueidis"
)

func segmentPath(dir, segment string) string {
	return filepath.Join(dir, "segment-"+segment+".json")
}

func resultPath(dir string) string { return filepath.Join(dir, "result.json") }

// run runs the whole workload and returns its report: it sets up the
// directory, the fault proxies and the Redis prefix, applies the fault
// schedule, runs the workload in this process (or in child processes when
// the schedule has a crash), and cleans up.
func run(ctx context.Context, o options) (*report, error) {
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
		Faults: o.Faults, Settle: o.Settle, Recovery: o.Recovery, Verbose: o.Verbose,
	}
	if o.RedisURL == "" && o.PostgresURL == "" {
		progress("no -redis and no -postgres: SQLite only")
	}
	proxies := map[string]*proxy{}
	defer func() {
		for _, p := range proxies {
			p.close()
		}
	}()
	var err error
	if o.RedisURL != "" {
		sp.RedisPrefix = "workload_" + randomHex(6) + ":"
		if sp.RedisURL, err = throughProxy(o.RedisURL, "6379", "redis", o.Faults, proxies); err != nil {
			return nil, err
		}
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
	if o.PostgresURL != "" {
		if sp.PostgresURL, err = throughProxy(o.PostgresURL, "5432", "postgres", o.Faults, proxies); err != nil {
			return nil, err
		}
	}
	sp.T0 = time.Now()
	sp.Deadline = sp.T0.Add(o.Duration)
	children := slices.ContainsFunc(o.Faults, func(f fault) bool { return f.Kind == "crash" })
	var res *segmentResult
	var earlier []*counters
	if children {
		res, earlier, err = runChildren(ctx, sp, proxies)
	} else {
		fctx, cancel := context.WithCancel(ctx)
		go runFaults(fctx, sp.T0, sp.Faults, proxies, func() {}, progress)
		res, err = runSegment(ctx, sp, "")
		cancel()
	}
	if err != nil {
		return nil, err
	}
	return buildReport(o, sp, res, earlier), nil
}

// throughProxy returns the URL to give the library for a service: the URL
// itself, or, when the schedule has faults for the service, the URL of a
// fault proxy in front of it.
func throughProxy(raw, defaultPort, service string, faults []fault, proxies map[string]*proxy) (string, error) {
	if !slices.ContainsFunc(faults, func(f fault) bool { return f.Kind != "crash" && f.hits(service) }) {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("-%s: a fault schedule needs a URL with a host", service)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, defaultPort
	}
	p, err := startProxy(net.JoinHostPort(host, port))
	if err != nil {
		return "", err
	}
	proxies[service] = p
	u.Host = p.addr()
	return u.String(), nil
}

// runChildren runs the workload in child processes of this program,
// killing the running one with SIGKILL at each crash of the schedule and
// starting the next on the same files. It returns the result of the last
// one and the counters the killed ones left in their snapshots.
func runChildren(ctx context.Context, sp *spec, proxies map[string]*proxy) (*segmentResult, []*counters, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	specPath := filepath.Join(sp.Dir, "spec.json")
	if err := writeJSON(specPath, sp); err != nil {
		return nil, nil, err
	}
	crashes := make(chan struct{}, 8)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go runFaults(fctx, sp.T0, sp.Faults, proxies, func() { crashes <- struct{}{} }, progress)
	var killed []*counters
	for segment := 0; segment < 100; segment++ {
		name := fmt.Sprint(segment)
		cmd := exec.CommandContext(ctx, exe)
		cmd.Env = append(os.Environ(), envSpec+"="+specPath, envSegment+"="+name)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		progress("started workload process %d (pid %d)", segment, cmd.Process.Pid)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				return nil, nil, fmt.Errorf("workload process %d: %w", segment, err)
			}
			var res segmentResult
			if err := readJSON(resultPath(sp.Dir), &res); err != nil {
				return nil, nil, err
			}
			return &res, killed, nil
		case <-crashes:
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			progress("killed workload process %d (pid %d) with SIGKILL", segment, cmd.Process.Pid)
			c := newCounters(len(sp.Faults))
			if err := readJSON(segmentPath(sp.Dir, name), c); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, nil, err
			}
			killed = append(killed, c)
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	return nil, nil, errors.New("too many crashes")
}

// deletePrefix removes the keys under prefix with SCAN and DEL (never
// FLUSH: the server is shared), and returns how many it removed.
func deletePrefix(redisURL, prefix string) (int, error) {
	opt, err := rueidis.ParseURL(redisURL)
	if err != nil {
		return 0, err
	}
	opt.DisableCache = true
	c, err := rueidis.NewClient(opt)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := 0
	var cursor uint64
	for range 1 << 20 {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			return n, err
		}
		if len(e.Elements) > 0 {
			if err := c.Do(ctx, c.B().Del().Key(e.Elements...).Build()).Error(); err != nil {
				return n, err
			}
			n += len(e.Elements)
		}
		cursor = e.Cursor
		if cursor == 0 {
			break
		}
	}
	return n, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
