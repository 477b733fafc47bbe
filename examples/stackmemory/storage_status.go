package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/stackmemoryai/tier"
)

// spanScanLimit bounds the frames listed to find the oldest and newest
// frame of each tier: beyond it the span is reported as incomplete.
const spanScanLimit = 5000

// tierView is one tier in the status output: the library's TierStatus
// (level, name, driver, durable, frames, bytes, healthy, breaker, error,
// limits) plus the creation time of its oldest and newest frames.
type tierView struct {
	tier.TierStatus
	Oldest *time.Time `json:"oldest,omitempty"`
	Newest *time.Time `json:"newest,omitempty"`
}

// storageStatus is the output of `storage status`.
type storageStatus struct {
	Tiers []tierView `json:"tiers"`
	// Copies and Bytes add up the tiers: a frame held by two tiers (a
	// cache and the durable tier below it) counts twice.
	Copies         int64 `json:"copies"`
	Bytes          int64 `json:"bytes"`
	PendingChanges int   `json:"pending_changes"`
	PendingMoves   int   `json:"pending_moves"`
	// Stuck explains each tier over its limits whose frames cannot move
	// (like a full tier 1 with only a cache below); empty when none.
	Stuck []string `json:"stuck"`
	// SpanScanned counts the frames listed to find oldest and newest;
	// SpanComplete is false when the listing stopped early or a tier could
	// not be listed (then the times are a lower bound of the span).
	SpanScanned  int  `json:"span_scanned"`
	SpanComplete bool `json:"span_complete"`
}

func (a *app) storageStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show frames and bytes per tier, health, breakers and pending work",
		Long: `Show the tier distribution: frames and bytes per tier, the oldest and newest
frame of each tier, each tier's health and circuit breaker state, moves and
changes waiting for a tier, and why a full tier cannot demote (stuck).

Redis keeps no index, so the oldest and newest of a Redis tier are not shown.
The exit code is 4 while a configured tier cannot be reached; the table is
printed all the same.`,
		Example: `  stackmemory storage status
  stackmemory storage status --json | jq '.tiers[] | {level, driver, frames}'`,
		Args: args(cobra.NoArgs),
		RunE: a.managed(func(ctx context.Context, s *session, _ []string) (output, error) {
			st, err := a.collectStatus(ctx, s)
			if err != nil {
				return nil, err
			}
			return st, st.downError()
		}),
	}
}

// downError is the unavailable exit code and the tiers that are down, or
// nil when every tier is healthy.
func (st storageStatus) downError() error {
	tiers := make([]tier.TierStatus, len(st.Tiers))
	for i, t := range st.Tiers {
		tiers[i] = t.TierStatus
	}
	return downError(tiers)
}

// collectStatus asks the manager for its status and lists frames to find
// each tier's span. Tiers that could not be opened show as unhealthy.
func (a *app) collectStatus(ctx context.Context, s *session) (storageStatus, error) {
	st, err := s.m.Status(ctx)
	if err != nil {
		return storageStatus{}, err
	}
	out := storageStatus{
		PendingChanges: st.PendingChanges,
		PendingMoves:   st.PendingMoves,
		Stuck:          st.Stuck,
	}
	if out.Stuck == nil {
		out.Stuck = []string{}
	}
	for _, t := range st.Tiers {
		out.Tiers = append(out.Tiers, tierView{TierStatus: t})
		out.Copies += t.Frames
		out.Bytes += t.Bytes
	}
	out.SpanScanned, out.SpanComplete = a.scanSpans(ctx, s.m, out.Tiers)
	return out, nil
}

// scanSpans lists frames newest first, across tiers, and records the
// oldest and newest creation time per tier. It stops after spanScanLimit
// frames, or at a tier that cannot be listed (then complete is false).
func (a *app) scanSpans(ctx context.Context, m *tier.Manager, tiers []tierView) (scanned int, complete bool) {
	byLevel := map[int]*tierView{}
	for i := range tiers {
		byLevel[tiers[i].Level] = &tiers[i]
	}
	for f, err := range m.All(ctx, tier.Query{Limit: 1000}) {
		if err != nil {
			a.log.Debug("listing frames for the status span", "err", err)
			return scanned, false
		}
		if scanned == spanScanLimit {
			return scanned, false
		}
		scanned++
		t := byLevel[f.Level]
		if t == nil {
			continue
		}
		c := f.CreatedAt
		if t.Oldest == nil || c.Before(*t.Oldest) {
			t.Oldest = &c
		}
		if t.Newest == nil || c.After(*t.Newest) {
			t.Newest = &c
		}
	}
	return scanned, true
}

func (st storageStatus) text(a *app) {
	t := newTable(a)
	t.row("LEVEL", "DRIVER", "FRAMES", "BYTES", "OLDEST", "NEWEST", "HEALTH", "BREAKER")
	for _, v := range st.Tiers {
		health := "ok"
		if !v.Healthy {
			health = "DOWN"
		}
		oldest, newest := "-", "-"
		if v.Oldest != nil {
			oldest = humanTime(*v.Oldest)
		}
		if v.Newest != nil {
			newest = humanTime(*v.Newest)
		}
		frames, size := any(v.Frames), any(humanBytes(v.Bytes))
		if !v.Healthy {
			frames, size = "?", "?"
		}
		t.row(v.Level, driverLabel(v.TierStatus), frames, size, oldest, newest, health, v.Breaker)
	}
	t.flush()
	a.printf("\ntotal: %d copies, %s\n", st.Copies, humanBytes(st.Bytes))
	a.printf("pending: %d moves, %d changes waiting for a tier\n", st.PendingMoves, st.PendingChanges)
	switch {
	case st.SpanComplete:
	case st.SpanScanned < spanScanLimit:
		a.printf("oldest/newest: partial, a tier could not be listed (%s listed)\n", count(st.SpanScanned, "frame"))
	default:
		a.printf("oldest/newest: from the %d newest frames only\n", st.SpanScanned)
	}
	for _, v := range st.Tiers {
		if v.Error != "" {
			a.printf("tier %d (%s): %s\n", v.Level, v.Driver, v.Error)
		}
	}
	for _, s := range st.Stuck {
		a.printf("stuck: %s\n", s)
	}
}

// driverLabel names a tier, with "(cache)" for a tier that is not durable.
func driverLabel(t tier.TierStatus) string {
	if t.Healthy && !t.Durable && t.Driver != "" {
		return t.Driver + " (cache)"
	}
	return t.Driver
}
