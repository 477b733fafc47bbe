package engine

import (
	"context"
	"sync"

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
	Stuck []string `json:"stuck,omitempty"`
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
	st.Stuck = m.stuckReasons()
	return st, nil
}

func (m *Engine) setStuck(reasons []string) {
	m.stuckMu.Lock()
	defer m.stuckMu.Unlock()
	m.stuck = reasons
}

func (m *Engine) stuckReasons() []string {
	m.stuckMu.Lock()
	defer m.stuckMu.Unlock()
	return append([]string(nil), m.stuck...)
}
