package faulttest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
)

// Workload sizes: operations per worker in each phase.
const (
	workers   = 3
	warmupOps = 40
	faultOps  = 60
	afterOps  = 40
)

// expect is what a Get of a placed frame must give during a fault.
type expect struct {
	level       int      // success from this level; 0 when it must fail
	unavailable []string // tiers the ErrUnavailable must name
	either      bool     // success or ErrUnavailable
}

func ok(level int) expect                { return expect{level: level} }
func unavailable(tiers ...string) expect { return expect{unavailable: tiers} }

// fault describes one fault scenario.
type fault struct {
	name    string
	opts    envOptions
	tiers   []string                           // the tiers the fault takes down
	inject  func(e *env)                       // start the fault
	ongoing func(e *env, stop <-chan struct{}) // optional: keeps faulting until stop
	heal    func(e *env)                       // end the fault
	// What Gets of frames placed in tier 2 (Redis, with the durable copy
	// in PostgreSQL) and tier 3 (PostgreSQL only) give during the fault.
	inRedis, inPostgres expect
	// transient faults may not be seen by Status.
	transient bool
}

func TestFaults(t *testing.T) {
	faults := []fault{
		{
			name: "redis-cut", tiers: []string{"redis"},
			inject:  func(e *env) { e.redisProxy.Down() },
			heal:    func(e *env) { mustResume(e, e.redisProxy) },
			inRedis: ok(3), inPostgres: ok(3),
		},
		{
			// Calls on many frames wait up to 5s on a stalled tier when they
			// probe it; a longer cooldown keeps such probes few.
			name: "redis-stalled", tiers: []string{"redis"}, opts: envOptions{cooldown: 500 * time.Millisecond},
			inject:  func(e *env) { e.redisProxy.Stall() },
			heal:    func(e *env) { mustResume(e, e.redisProxy) },
			inRedis: ok(3), inPostgres: ok(3),
		},
		{
			name: "redis-reset", tiers: []string{"redis"}, transient: true,
			inject: func(e *env) { e.redisProxy.Reset() },
			ongoing: func(e *env, stop <-chan struct{}) {
				every(stop, 30*time.Millisecond, e.redisProxy.Reset)
			},
			heal:    func(e *env) {},
			inRedis: expect{level: 2, either: true}, inPostgres: ok(3),
		},
		{
			name: "redis-killed", tiers: []string{"redis"}, opts: envOptions{privateRedis: true},
			inject:  func(e *env) { e.redis.kill() },
			heal:    func(e *env) { e.redis.restart() },
			inRedis: ok(3), inPostgres: ok(3),
		},
		{
			name: "postgres-cut", tiers: []string{"postgres"},
			inject:  func(e *env) { e.pgProxy.Reset(); e.pgProxy.Down() },
			heal:    func(e *env) { mustResume(e, e.pgProxy) },
			inRedis: ok(2), inPostgres: unavailable("postgres"),
		},
		{
			name: "postgres-backends-terminated", tiers: []string{"postgres"}, transient: true,
			inject: func(e *env) { e.terminateBackends() },
			ongoing: func(e *env, stop <-chan struct{}) {
				every(stop, 50*time.Millisecond, func() { e.terminateBackends() })
			},
			heal:    func(e *env) {},
			inRedis: ok(2), inPostgres: expect{level: 3, either: true},
		},
		{
			name: "both-down", tiers: []string{"redis", "postgres"},
			inject:  func(e *env) { e.redisProxy.Down(); e.pgProxy.Down() },
			heal:    func(e *env) { mustResume(e, e.redisProxy); mustResume(e, e.pgProxy) },
			inRedis: unavailable("redis", "postgres"), inPostgres: unavailable("postgres"),
		},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			runFault(t, f)
		})
	}
}

// TestNoFault runs the same workload and checks without a fault: the
// baseline that tells a harness problem from a fault-handling one.
func TestNoFault(t *testing.T) {
	runFault(t, fault{
		name: "none", inject: func(*env) {}, heal: func(*env) {}, transient: true,
		inRedis: ok(2), inPostgres: ok(3),
	})
}

func runFault(t *testing.T, f fault) {
	e := newEnv(t, f.opts)
	w := newWorkload(t, e.m, workers)

	w.run(warmupOps)
	inRedis, inPostgres := place(t, e.m, w)

	// The fault starts while the workload runs.
	w.faulty.Store(true)
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { defer bg.Done(); w.run(faultOps) }()
	time.Sleep(50 * time.Millisecond)
	f.inject(e)
	stop := make(chan struct{})
	var faulting sync.WaitGroup
	if f.ongoing != nil {
		faulting.Add(1)
		go func() { defer faulting.Done(); f.ongoing(e, stop) }()
	}
	checkPlaced(t, e.m, "at the start of the fault", inRedis, f.inRedis)
	checkPlaced(t, e.m, "at the start of the fault", inPostgres, f.inPostgres)
	bg.Wait()
	checkPlaced(t, e.m, "during the fault", inRedis, f.inRedis)
	checkPlaced(t, e.m, "during the fault", inPostgres, f.inPostgres)
	if !f.transient {
		checkStatusDown(t, e.m, f.tiers)
	}

	// Recovery, still under load, without restarting the Manager.
	bg.Add(1)
	go func() { defer bg.Done(); w.run(faultOps / 2) }()
	close(stop)
	faulting.Wait()
	f.heal(e)
	bg.Wait()
	e.waitHealthy()
	// On a loaded machine a healthy tier may still miss a timeout now and
	// then, so the phase after recovery tolerates ErrUnavailable like the
	// fault; the checks below are strict, retrying only a breaker that a
	// transient failure opened.
	w.run(afterOps)
	w.faulty.Store(false)

	e.converge()
	w.checkAll()
	w.checkStorage(e)
	checkVerify(t, e.m)
	if !f.transient {
		for _, name := range f.tiers {
			if !e.log.saw("tier unavailable; failing fast", name) {
				t.Errorf("no log event said %s went down", name)
			}
			if !e.log.saw("tier available again", name) {
				t.Errorf("no log event said %s came back", name)
			}
		}
	}
	t.Log(w.summary())
}

func mustResume(e *env, p interface{ Resume() error }) {
	if err := p.Resume(); err != nil {
		e.t.Fatal(err)
	}
}

// every calls fn every d until stop is closed.
func every(stop <-chan struct{}, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			fn()
		}
	}
}

// place puts frames in tier 2 (Redis, written through to PostgreSQL) and
// in tier 3 (PostgreSQL only), and checks they are there.
func place(t *testing.T, m *tier.Manager, w *workload) (inRedis, inPostgres []*entry) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	put := func(project string, level int) []*entry {
		var out []*entry
		for i := range 6 {
			data := fmt.Appendf(nil, `{"placed":%q, "i":%d,"note":"kept in tier %d"}`, project, i, level)
			f, err := m.Put(ctx, tier.Frame{ProjectID: project, Data: data})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, &entry{id: f.ID, project: project, data: data, version: f.Version})
		}
		rep, err := m.Migrate(ctx, tier.MigrateOptions{ToLevel: level, ProjectID: project})
		for errors.Is(err, tier.ErrBusy) {
			time.Sleep(20 * time.Millisecond)
			rep, err = m.Migrate(ctx, tier.MigrateOptions{ToLevel: level, ProjectID: project})
		}
		if err != nil || rep.Moved != len(out) {
			t.Fatalf("Migrate %s to tier %d: moved %d of %d, %v", project, level, rep.Moved, len(out), err)
		}
		for _, e := range out {
			f, err := m.Get(ctx, e.id)
			if err != nil || f.Level != level {
				t.Fatalf("placed frame %s: level %d, %v; want level %d", e.id, f.Level, err, level)
			}
		}
		w.placed = append(w.placed, out...)
		return out
	}
	return put("placed-redis", 2), put("placed-postgres", 3)
}

// checkPlaced reads placed frames and checks the answers against want.
func checkPlaced(t *testing.T, m *tier.Manager, when string, frames []*entry, want expect) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, e := range frames {
		f, err := m.Get(ctx, e.id)
		switch {
		case err == nil && (!bytes.Equal(f.Data, e.data) || f.Version != e.version):
			t.Errorf("%s: Get %s returned version %d, want %d byte for byte", when, e.id, f.Version, e.version)
		case err == nil && want.level == 0:
			t.Errorf("%s: Get %s succeeded from %s; want ErrUnavailable naming %v", when, e.id, f.Tier, want.unavailable)
		case err == nil && !want.either && f.Level != want.level:
			t.Errorf("%s: Get %s came from tier %d, want tier %d", when, e.id, f.Level, want.level)
		case err == nil:
		case errors.Is(err, tier.ErrNotFound) || errors.Is(err, tier.ErrCorrupt):
			t.Errorf("%s: Get %s of a frame held by a down tier: %v; want ErrUnavailable, never not found", when, e.id, err)
		case !errors.Is(err, tier.ErrUnavailable):
			t.Errorf("%s: Get %s: %v; want ErrUnavailable", when, e.id, err)
		case want.level != 0 && !want.either:
			t.Errorf("%s: Get %s: %v; want the frame from tier %d", when, e.id, err, want.level)
		default:
			named := tiersNamed(err)
			for _, name := range want.unavailable {
				if !slices.Contains(named, name) {
					t.Errorf("%s: Get %s: %v names tiers %v, want %s among them", when, e.id, err, named, name)
				}
			}
		}
	}
}

// tiersNamed returns the tiers of every FrameError in err's tree.
func tiersNamed(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		var fe *tier.FrameError
		if errors.As(err, &fe) && fe.Tier != "" {
			out = append(out, fe.Tier)
		}
		switch x := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			if u := x.Unwrap(); u != nil && fe == nil {
				walk(u)
			}
		}
	}
	walk(err)
	return out
}

// checkStatusDown checks that Status reports the faulted tiers unhealthy,
// with a reason, and the first tier healthy.
func checkStatusDown(t *testing.T, m *tier.Manager, down []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatalf("Status during the fault: %v", err)
	}
	t.Logf("Status during the fault took %s", time.Since(start).Round(time.Millisecond))
	for _, ts := range st.Tiers {
		isDown := slices.Contains(down, ts.Name)
		switch {
		case isDown && (ts.Healthy || ts.Error == ""):
			t.Errorf("Status during the fault: %s healthy %v, error %q; want unhealthy with a reason", ts.Name, ts.Healthy, ts.Error)
		case !isDown && !ts.Healthy:
			t.Errorf("Status during the fault: %s unhealthy (%s), but it is up", ts.Name, ts.Error)
		}
	}
}

// checkVerify audits the chain after recovery: nothing lost, corrupt or
// held only by the cache, every tier reachable; after a repair pass, not
// even an older copy left below a newer one.
func checkVerify(t *testing.T, m *tier.Manager) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := m.Verify(ctx, tier.VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify after recovery: %v", err)
	}
	if len(rep.Unreachable) > 0 {
		t.Errorf("Verify after recovery: unreachable tiers %v", rep.Unreachable)
	}
	stale := 0
	for _, is := range rep.Issues {
		if is.Kind == tier.IssueStale {
			stale++
			continue
		}
		t.Errorf("Verify after recovery: %+v", is)
	}
	if stale > 0 {
		rep, err = m.Verify(ctx, tier.VerifyOptions{Repair: true})
		if err != nil || rep.Repaired != stale {
			t.Errorf("Verify repair: repaired %d of %d stale copies, %v", rep.Repaired, stale, err)
		}
		rep, err = m.Verify(ctx, tier.VerifyOptions{})
		if err != nil || len(rep.Issues) > 0 {
			t.Errorf("Verify after repair: %+v, %v", rep.Issues, err)
		}
	}
	t.Logf("Verify: %d frames, %d copies checked; %d older copies below newer ones (repaired)", rep.Checked, rep.Copies, stale)
}
