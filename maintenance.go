package tier

import (
	"context"

	"github.com/stackmemoryai/tier/internal/engine"
)

// Kinds of problems Verify reports.
const (
	IssueCorrupt   = engine.IssueCorrupt   // a copy fails its checksum or cannot be decoded
	IssueStale     = engine.IssueStale     // a copy is older than the one in a higher tier
	IssueCacheOnly = engine.IssueCacheOnly // no durable tier holds the frame (invariant 2)
	IssueLost      = engine.IssueLost      // no good copy of the frame remains
)

// Maintain runs one maintenance cycle now: deliver postponed deletes, heal
// interrupted moves, and demote frames from every tier over its limits
// (frames, bytes, idle time) in the order of Config.EvictionStrategy. The
// background loop runs the same cycle every SyncInterval.
//
// Only one process at a time moves frames of a state file: when another
// holds the lease, Maintain returns at once with an error wrapping
// ErrBusy.
func (m *Manager) Maintain(ctx context.Context) (MaintenanceReport, error) {
	rep, err := m.e.Maintain(ctx)
	return MaintenanceReport{Demoted: rep.Demoted, Healed: rep.Healed, Abandoned: rep.Abandoned,
		OutboxApplied: rep.OutboxApplied, Stuck: rep.Stuck}, err
}

// Migrate moves frames from every tier above opts.ToLevel down to it, with
// the same crash-safe moves as the background demotion. It runs under the
// mover lease; while another process holds it, Migrate fails with ErrBusy.
func (m *Manager) Migrate(ctx context.Context, opts MigrateOptions) (MigrateReport, error) {
	rep, err := m.e.Migrate(ctx, engine.MigrateOptions(opts))
	return MigrateReport(rep), err
}

// Compact cleans up: it finishes interrupted moves, delivers postponed
// deletes, removes stale copies (older versions) below the frames of the
// first tier, and asks every tier that can to reclaim space (and to apply
// its retention).
// It runs under the mover lease; while another process holds it, Compact
// fails with ErrBusy.
func (m *Manager) Compact(ctx context.Context) (CompactReport, error) {
	rep, err := m.e.Compact(ctx)
	return CompactReport(rep), err
}

// Verify audits every tier: each frame's copies are read and checked for
// corruption, staleness and invariant 2 (a cache never holds the only
// copy). With opts.Repair it also repairs what it finds from a good copy.
// The background loop runs the healing part (journal, outbox) every
// cycle; Verify is the full audit, run on demand. It reads every frame of
// every tier: its cost grows with the size of the archive.
func (m *Manager) Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error) {
	rep, err := m.e.Verify(ctx, engine.VerifyOptions(opts))
	out := VerifyReport{Checked: rep.Checked, Copies: rep.Copies, Repaired: rep.Repaired, Unreachable: rep.Unreachable}
	for _, is := range rep.Issues {
		out.Issues = append(out.Issues, VerifyIssue(is))
	}
	return out, err
}

// Warm copies the frames of a session or project from lower tiers up to
// the first tier, newest first: for an agent resuming a session. Their
// durable copies stay below. At least one of SessionID and ProjectID is
// required. What it brings up counts against Config.BroughtUpShare.
func (m *Manager) Warm(ctx context.Context, opts WarmOptions) (WarmReport, error) {
	rep, err := m.e.Warm(ctx, engine.WarmOptions(opts))
	return WarmReport(rep), err
}

// Status asks every tier, in parallel, for its usage and health. A tier
// that cannot be reached is reported unhealthy; Status itself fails only
// after Close.
func (m *Manager) Status(ctx context.Context) (Status, error) {
	st, err := m.e.Status(ctx)
	out := Status{PendingChanges: st.PendingChanges, PendingMoves: st.PendingMoves, Stuck: st.Stuck,
		Replication: ReplicationStatus(st.Replication), Coherence: CoherenceStatus(st.Coherence)}
	for _, t := range st.Tiers {
		out.Tiers = append(out.Tiers, TierStatus{Level: t.Level, Name: t.Name, Driver: t.Driver, Durable: t.Durable,
			Frames: t.Frames, Bytes: t.Bytes, Healthy: t.Healthy, Breaker: t.Breaker, Error: t.Error, Limits: Limits(t.Limits),
			BroughtUp: t.BroughtUp, Protected: t.Protected, Backlog: t.Backlog})
	}
	return out, err
}

// Stats persists this process's counts and returns the totals of every
// process that used the same state file.
func (m *Manager) Stats(ctx context.Context) (Stats, error) {
	st, err := m.e.Stats(ctx)
	out := Stats{Reads: st.Reads, Misses: st.Misses, HotHitRatio: st.HotHitRatio, MovesDown: st.MovesDown,
		MovesUp: st.MovesUp, BackgroundTime: st.BackgroundTime, CompressedBytes: st.CompressedBytes, BytesSaved: st.BytesSaved,
		Evictions: st.Evictions, Replicated: st.Replicated, PromotionsSkipped: st.PromotionsSkipped}
	for _, t := range st.Tiers {
		ts := TierStats{Level: t.Level, Name: t.Name, Reads: t.Reads, MovedIn: t.MovedIn, MovedOut: t.MovedOut,
			Failures: t.Failures, BreakerTrips: t.BreakerTrips}
		for _, l := range t.Latency {
			ts.Latency = append(ts.Latency, OpLatency(l))
		}
		out.Tiers = append(out.Tiers, ts)
	}
	return out, err
}

// ResetStats clears the persisted statistics of every process that uses
// the same state file.
func (m *Manager) ResetStats(ctx context.Context) error { return m.e.ResetStats(ctx) }
