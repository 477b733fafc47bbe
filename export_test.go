package tier

import (
	"context"
	"time"
)

// Test hooks, visible to the external tests of this package only.

// SetMoveHook makes m call fn after each step of every move.
func SetMoveHook(m *Manager, fn func(step string)) { m.onStep = fn }

// MoveSteps lists the steps reported to a move hook, in order.
var MoveSteps = []string{stepJournaled, stepCopied, stepRecorded, stepDeleted}

// SetClock makes m read the time from now.
func SetClock(m *Manager, now func() time.Time) { m.now = now }

// HoldLease takes m's mover lease, closes started, and holds the lease
// until release is closed.
func HoldLease(m *Manager, started chan<- struct{}, release <-chan struct{}) {
	done, err := m.takeLease(context.Background())
	close(started)
	if err != nil {
		return
	}
	<-release
	done()
}
