package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// Status is a snapshot of the chain.
type Status struct {
	Tiers []TierStatus `json:"tiers"`
	// PendingChanges counts changes (deletes) waiting for a tier to come
	// back.
	PendingChanges int `json:"pending_changes"`
	// PendingMoves counts moves in progress or interrupted (healed by the
	// next maintenance cycle).
	PendingMoves int `json:"pending_moves"`
	// Stuck explains tiers over their limits whose frames cannot move.
	Stuck       []string `json:"stuck,omitempty"`
	Replication ReplicationStatus
	Coherence   CoherenceStatus
}

// ReplicationStatus describes early replication in this process.
type ReplicationStatus struct {
	On         bool
	Queued     int   // frames not replicated yet, in a batch under way or not
	Replicated int64 // frames replicated
	LagP50     time.Duration
	LagP99     time.Duration
}

// CoherenceStatus describes the invalidation of first-tier copies.
type CoherenceStatus struct {
	Channel       string // "live", "down" or "none"
	Invalidations int64  // frames named by change notifications
	Revalidations int64  // first-tier copies compared with the shared tiers
	Dropped       int64  // stale or deleted copies removed from the first tier
}

// TierStatus describes one tier.
type TierStatus struct {
	Level   int    `json:"level"`
	Name    string `json:"name"`
	Driver  string `json:"driver"`
	Durable bool   `json:"durable"`
	Frames  int64  `json:"frames"`
	Bytes   int64  `json:"bytes"`
	Healthy bool   `json:"healthy"`
	// Breaker is the state of the tier's circuit breaker: "closed"
	// (healthy), "open" (failing fast) or "half-open" (probing).
	Breaker string `json:"breaker"`
	// Error says why the tier is unhealthy; it never contains credentials.
	Error  string `json:"error,omitempty"`
	Limits Limits `json:"limits"`
	// BroughtUp and Protected count the copies brought up to the tier
	// (first tier only) and those still within the promotion window.
	BroughtUp int
	Protected int
	// Backlog is how many frames must leave for the tier to fit its
	// limits.
	Backlog int
}

// Status asks every tier, in parallel, for its usage and health. A tier
// that cannot be reached is reported unhealthy; Status itself fails only
// after Close.
func (m *Engine) Status(ctx context.Context) (Status, error) {
	if err := m.enter(); err != nil {
		return Status{}, err
	}
	defer m.leave()
	st := Status{Tiers: make([]TierStatus, len(m.chain))}
	var wg sync.WaitGroup
	for i, l := range m.chain {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := TierStatus{Level: l.level, Name: l.name, Driver: l.scheme, Durable: l.h().durable, Limits: l.limits}
			err := l.ping(ctx)
			if err == nil {
				var u driver.Usage
				u, err = l.usage(ctx)
				ts.Frames, ts.Bytes = u.Frames, u.Bytes
			}
			ts.Backlog = overLimits(driver.Usage{Frames: ts.Frames, Bytes: ts.Bytes}, l.limits)
			if l.level == 1 {
				ts.BroughtUp, ts.Protected = m.up.counts(m.now(), m.cfg.PromotionWindow)
			}
			ts.Healthy = err == nil
			if err != nil {
				ts.Error = err.Error()
			}
			ts.Breaker = l.h().breaker.state()
			st.Tiers[i] = ts
		}()
	}
	wg.Wait()
	st.PendingChanges, _ = m.state.CountPending(ctx)
	st.PendingMoves, _ = m.state.CountMoves(ctx)
	for _, ts := range st.Tiers[:len(st.Tiers)-1] {
		if ts.Backlog == 0 {
			continue
		}
		l := m.chain[ts.Level-1]
		if _, why, ok := m.planMove(l, l.level+1); !ok {
			st.Stuck = append(st.Stuck, stuckReason(l, ts.Backlog, why))
		}
	}
	lag := m.repl.lag.summary("replication")
	st.Replication = ReplicationStatus{On: m.replicates(), Queued: m.repl.backlog(),
		Replicated: lag.Count, LagP50: lag.P50, LagP99: lag.P99}
	st.Coherence = CoherenceStatus{Channel: m.coh.channel(), Invalidations: m.coh.invalidations.Load(),
		Revalidations: m.coh.revalidations.Load(), Dropped: m.coh.dropped.Load()}
	return st, nil
}

// stuckReason says why a tier over its limits cannot demote.
func stuckReason(l *link, over int, why string) string {
	frames := "frames"
	if over == 1 {
		frames = "frame"
	}
	return fmt.Sprintf("%s is over its limits by %d %s but cannot demote: %s", l, over, frames, why)
}
