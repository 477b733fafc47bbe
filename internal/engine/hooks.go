package engine

import (
	"context"
	"time"
)

// Steps of a move, reported to the test hook.
const (
	stepJournaled = "journaled"
	stepCopied    = "copied"
	stepRecorded  = "recorded"
	stepDeleted   = "deleted"
)

// hook reports a step of a move to the test hook, if any.
func (m *Engine) hook(step string) {
	if m.onStep != nil {
		m.onStep(step)
	}
}

// Hooks for the tests of the portable package, which drive an engine
// through tier.Manager.

// SetMoveHook makes e call fn after each step of every move.
func SetMoveHook(e *Engine, fn func(step string)) { e.onStep = fn }

// MoveSteps lists the steps reported to a move hook, in order.
var MoveSteps = []string{stepJournaled, stepCopied, stepRecorded, stepDeleted}

// SetClock makes e read the time from now.
func SetClock(e *Engine, now func() time.Time) { e.now = now }

// HoldLease takes e's mover lease, closes started, and holds the lease
// until release is closed.
func HoldLease(e *Engine, started chan<- struct{}, release <-chan struct{}) {
	done, err := e.takeLease(context.Background())
	close(started)
	if err != nil {
		return
	}
	<-release
	done()
}

// startOp tells Hooks.Start that an operation begins.
func (m *Engine) startOp(ctx context.Context, op, frameID string) (context.Context, func(End)) {
	if m.cfg.Hooks.Start == nil {
		return ctx, func(End) {}
	}
	return m.cfg.Hooks.Start(ctx, op, frameID)
}

// FlushReplication replicates what e has queued, for tests that need the
// first tier's frames to be in place below.
func FlushReplication(ctx context.Context, e *Engine) error { return e.flushReplication(ctx) }
