package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// fault is one event of the schedule given to -faults, like
// "redis-down@10s+10s": a kind, when it starts (since the run began) and
// how long it lasts (zero for a crash).
type fault struct {
	Kind  string        `json:"kind"`
	Start time.Duration `json:"start_ns"`
	For   time.Duration `json:"duration_ns"`
}

// Fault kinds. A "down" tier refuses and cuts connections; a "stall"ed one
// accepts them and never answers. A crash kills the workload process with
// SIGKILL and starts it again on the same files.
var faultKinds = []string{
	"redis-down", "postgres-down", "both-down",
	"redis-stall", "postgres-stall", "both-stall",
	"crash",
}

func (f fault) String() string {
	if f.Kind == "crash" {
		return fmt.Sprintf("%s@%s", f.Kind, f.Start)
	}
	return fmt.Sprintf("%s@%s+%s", f.Kind, f.Start, f.For)
}

// end is when the fault is over.
func (f fault) end() time.Duration { return f.Start + f.For }

// parseFaults parses a comma-separated schedule. Faults are returned in
// order of their start.
func parseFaults(s string) ([]fault, error) {
	var out []fault
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		kind, when, ok := strings.Cut(item, "@")
		if !ok || !slices.Contains(faultKinds, kind) {
			return nil, fmt.Errorf("fault %q: want KIND@START+DURATION with KIND one of %s", item, strings.Join(faultKinds, ", "))
		}
		start, length, hasLength := strings.Cut(when, "+")
		f := fault{Kind: kind}
		var err error
		if f.Start, err = time.ParseDuration(start); err != nil || f.Start < 0 {
			return nil, fmt.Errorf("fault %q: bad start %q", item, start)
		}
		switch {
		case kind == "crash" && hasLength:
			return nil, fmt.Errorf("fault %q: a crash has no duration", item)
		case kind != "crash" && !hasLength:
			return nil, fmt.Errorf("fault %q: missing +DURATION", item)
		case hasLength:
			if f.For, err = time.ParseDuration(length); err != nil || f.For <= 0 {
				return nil, fmt.Errorf("fault %q: bad duration %q", item, length)
			}
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b fault) int { return int(a.Start - b.Start) })
	return out, nil
}

// hits reports whether the fault takes away the named service.
func (f fault) hits(service string) bool {
	return strings.HasPrefix(f.Kind, service+"-") || strings.HasPrefix(f.Kind, "both-")
}

func (f fault) mode() proxyMode {
	if strings.HasSuffix(f.Kind, "-stall") {
		return modeStall
	}
	return modeDown
}

// scheduleEnd is when the last fault is over.
func scheduleEnd(faults []fault) time.Duration {
	var end time.Duration
	for _, f := range faults {
		end = max(end, f.end())
	}
	return end
}

// windowAt returns the index of the tier fault active at elapsed (the
// latest started, when they overlap), and how long it has been active; -1
// when none is.
func windowAt(faults []fault, elapsed time.Duration) (int, time.Duration) {
	at := -1
	for i, f := range faults {
		if f.Kind != "crash" && elapsed >= f.Start && elapsed < f.end() {
			at = i
		}
	}
	if at < 0 {
		return -1, 0
	}
	return at, elapsed - faults[at].Start
}

// runFaults applies the schedule until ctx ends: it switches the proxies
// and calls crash for crash events. t0 is when the run began. Events are
// logged through logf.
func runFaults(ctx context.Context, t0 time.Time, faults []fault, proxies map[string]*proxy, crash func(), logf func(string, ...any)) {
	type event struct {
		at    time.Duration
		f     fault
		begin bool
	}
	var events []event
	for _, f := range faults {
		events = append(events, event{f.Start, f, true})
		if f.Kind != "crash" {
			events = append(events, event{f.end(), f, false})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return int(a.at - b.at) })
	// active counts the faults holding each service down, so that
	// overlapping faults end cleanly.
	active := map[string][]proxyMode{}
	for _, ev := range events {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(t0.Add(ev.at))):
		}
		if ev.f.Kind == "crash" {
			logf("fault: crash (SIGKILL) at %s", ev.at.Round(time.Millisecond))
			crash()
			continue
		}
		for name, p := range proxies {
			if !ev.f.hits(name) {
				continue
			}
			if ev.begin {
				active[name] = append(active[name], ev.f.mode())
			} else if i := slices.Index(active[name], ev.f.mode()); i >= 0 {
				active[name] = slices.Delete(active[name], i, i+1)
			}
			mode := modeUp
			if n := len(active[name]); n > 0 {
				mode = active[name][n-1]
			}
			p.set(mode)
		}
		what := "begins"
		if !ev.begin {
			what = "ends"
		}
		logf("fault: %s %s at %s", ev.f, what, ev.at.Round(time.Millisecond))
	}
}
