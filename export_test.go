package tier

import "time"

// Test hooks, visible to the external tests of this package only.

// SetMoveHook makes m call fn after each step of every move.
func SetMoveHook(m *Manager, fn func(step string)) { m.onStep = fn }

// MoveSteps lists the steps reported to a move hook, in order.
var MoveSteps = []string{stepJournaled, stepCopied, stepRecorded, stepDeleted}

// SetClock makes m read the time from now.
func SetClock(m *Manager, now func() time.Time) { m.now = now }
