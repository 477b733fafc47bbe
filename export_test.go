package tier

import (
	"context"
	"time"

	"github.com/stackmemoryai/tier/internal/engine"
)

// Test hooks, visible to the external tests of this package only.

// SetMoveHook makes m call fn after each step of every move.
func SetMoveHook(m *Manager, fn func(step string)) { engine.SetMoveHook(m.e, fn) }

// MoveSteps lists the steps reported to a move hook, in order.
var MoveSteps = engine.MoveSteps

// SetClock makes m read the time from now.
func SetClock(m *Manager, now func() time.Time) { engine.SetClock(m.e, now) }

// HoldLease takes m's mover lease, closes started, and holds the lease
// until release is closed.
func HoldLease(m *Manager, started chan<- struct{}, release <-chan struct{}) {
	engine.HoldLease(m.e, started, release)
}

// FlushReplication replicates what m has queued.
func FlushReplication(ctx context.Context, m *Manager) error {
	return engine.FlushReplication(ctx, m.e)
}
