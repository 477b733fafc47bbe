package main

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/internal/testenv"
)

// smallRun is a configuration that finishes in seconds under -race, on
// the full chain with a private Redis prefix and a private database.
func smallRun(t *testing.T, frames int, faults string) options {
	t.Helper()
	fs, err := parseFaults(faults)
	if err != nil {
		t.Fatal(err)
	}
	return options{
		RedisURL:     testenv.RedisURL(t),
		PostgresURL:  testenv.PostgresURL(t),
		Dir:          t.TempDir(),
		Frames:       frames,
		Readers:      2,
		Writers:      2,
		Seed:         7,
		ReadRatio:    2,
		Duration:     5 * time.Minute, // a bound for a loaded machine, not a target
		SyncInterval: time.Second,
		Settle:       time.Second,
		HotFrames:    100, // small, so that frames reach every tier
		Recovery:     30 * time.Second,
		Faults:       fs,
	}
}

// checkSound fails the test when the run lost, corrupted, served stale or
// resurrected a frame. Operations that failed without harming a frame
// (timeouts of an overloaded machine, a tier still unreachable at the
// audit) are logged.
func checkSound(t *testing.T, rep *report) {
	t.Helper()
	a := rep.Audit
	if a.Lost+a.Stale+a.Corrupt+a.Resurrected != 0 {
		t.Errorf("audit: lost %d, stale %d, corrupt %d, resurrected %d; samples %q",
			a.Lost, a.Stale, a.Corrupt, a.Resurrected, a.Samples)
	}
	if a.OK == 0 || a.Checked != a.OK+a.Gone+a.failures() {
		t.Errorf("audit counts do not add up: %+v", a)
	}
	if rep.Failures != 0 {
		t.Errorf("%d failures; outcomes %v; samples %q", rep.Failures, rep.Outcomes, rep.Samples)
	}
	if rep.Errors != 0 {
		t.Logf("%d errors (not frame damage); outcomes %v; samples %q", rep.Errors, rep.Outcomes, rep.Samples)
	}
}

func TestWorkloadFullChain(t *testing.T) {
	rep, err := run(context.Background(), smallRun(t, 600, ""))
	if err != nil {
		t.Fatal(err)
	}
	checkSound(t, rep)
	if rep.Written < 600 || rep.Gets == 0 || rep.Queries == 0 || rep.Wall <= 0 {
		t.Errorf("report not filled: written %d, gets %d, queries %d, wall %s", rep.Written, rep.Gets, rep.Queries, rep.Wall)
	}
	if len(rep.Tiers) != 3 || rep.Tiers[0].Name != hotTier {
		t.Fatalf("tiers: %+v", rep.Tiers)
	}
	if rep.HotShare <= 0 || rep.HotShare > 1 || rep.Tiers[0].Gets.Count == 0 || rep.Tiers[0].Gets.P99 <= 0 {
		t.Errorf("hot share %v, tier 1 gets %+v", rep.HotShare, rep.Tiers[0].Gets)
	}
	// The archive is reached by early replication at once; how much was
	// demoted in a run of a few seconds depends on the machine's load, and
	// demotion has deterministic tests of its own (limits_test.go).
	if rep.Tiers[2].Frames == 0 {
		t.Errorf("nothing reached the archive: %d moves down, tiers %+v", rep.MovesDown, rep.Tiers)
	}
	if rep.Audit.Checked < 600 {
		t.Errorf("audit checked %d frames", rep.Audit.Checked)
	}
}

func TestWorkloadRedisDown(t *testing.T) {
	rep, err := run(context.Background(), smallRun(t, 400, "redis-down@1s+2s"))
	if err != nil {
		t.Fatal(err)
	}
	checkSound(t, rep)
	if len(rep.Faults) != 1 || rep.Faults[0].Fault != "redis-down@1s+2s" {
		t.Errorf("faults: %+v", rep.Faults)
	}
}

func TestParseFaults(t *testing.T) {
	fs, err := parseFaults("crash@70s, redis-down@10s+10s,both-stall@50s+5s")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 || fs[0].Kind != "redis-down" || fs[2].Kind != "crash" || fs[1].end() != 55*time.Second {
		t.Errorf("parsed %+v", fs)
	}
	for _, bad := range []string{"redis-down@10s", "crash@1s+1s", "disk-full@1s+1s", "redis-down@x+1s"} {
		if _, err := parseFaults(bad); err == nil {
			t.Errorf("parseFaults(%q) succeeded", bad)
		}
	}
}

func TestDocumentsAreStable(t *testing.T) {
	a, b := document(1, 42, 3, 2), document(1, 42, 3, 2)
	if string(a) != string(b) {
		t.Fatal("document is not a function of its inputs")
	}
	if string(a) == string(document(1, 42, 3, 3)) {
		t.Error("two revisions have the same document")
	}
	for i := range 200 {
		if n := len(document(9, i, i%7, 0)); n < 400 || n > 10<<10 {
			t.Errorf("document %d is %d bytes", i, n)
		}
	}
}

func TestWorkloadTwoMachines(t *testing.T) {
	o := smallRun(t, 300, "")
	o.Machines = 2
	o.StaleBound = 5 * time.Second // generous: -race slows replication
	// Time limits far above what -race on a loaded machine needs: a call
	// that times out may still happen on the server, and such ambiguous
	// outcomes are the fault tests' subject, not this one's (see the
	// README: a delete racing a timed-out replication).
	o.RedisURL = withParam(o.RedisURL, "timeout", "2s")
	o.PostgresURL = withParam(o.PostgresURL, "timeout", "5s")
	rep, err := runTwo(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Machines) != 2 {
		t.Fatalf("%d machine reports, want 2", len(rep.Machines))
	}
	for i, m := range rep.Machines {
		t.Run(fmt.Sprint("machine ", i), func(t *testing.T) { checkSound(t, m) })
		if m.Audit.Checked != rep.Machines[0].Audit.Checked {
			t.Errorf("machine %d audited %d frames, machine 0 %d: both must see every frame", i, m.Audit.Checked, rep.Machines[0].Audit.Checked)
		}
	}
	if rep.Lag.Count == 0 {
		t.Errorf("no write was seen from the other machine: %+v", rep)
	}
}

// withParam adds a query parameter to a URL.
func withParam(raw, key, value string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
