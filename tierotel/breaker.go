package tierotel

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
)

// Breaker states, the values of BreakerStateKey.
const (
	BreakerClosed   = "closed"
	BreakerHalfOpen = "half-open"
	BreakerOpen     = "open"
)

// breakerStates is the last known state of each tier's circuit breaker,
// by level. The tier.breaker.state up/down counter holds 1 for that state
// and 0 for the others, so that it always sums to 1 per tier.
type breakerStates struct {
	mu     sync.Mutex
	states map[int]string
}

// sawCall notes a call to a tier. A tier seen for the first time has a
// closed breaker (a breaker starts closed, and the hooks hear of every
// change). A call that succeeded means the breaker is closed: that catches
// a tier the manager reconnected with a new breaker.
func (in *instrumentation) sawCall(level int, name string, ok bool) {
	b := &in.breakers
	b.mu.Lock()
	defer b.mu.Unlock()
	prev, known := b.states[level]
	switch {
	case !known:
		in.setBreaker(level, name, "", BreakerClosed)
	case ok && prev != BreakerClosed:
		in.setBreaker(level, name, prev, BreakerClosed)
	}
}

// recordBreaker follows a change of a tier's breaker.
func (in *instrumentation) recordBreaker(level int, name, state string) {
	b := &in.breakers
	b.mu.Lock()
	defer b.mu.Unlock()
	prev, known := b.states[level]
	if !known {
		in.setBreaker(level, name, "", BreakerClosed)
		prev = BreakerClosed
	}
	if state == BreakerOpen && prev != BreakerOpen {
		in.metrics.breakerTrips.Add(context.Background(), 1, in.metrics.with(LevelKey.Int(level), NameKey.String(name)))
	}
	if prev != state {
		in.setBreaker(level, name, prev, state)
	}
}

// setBreaker moves the counter of a tier from state prev (none when
// empty) to state next. b.mu is held.
func (in *instrumentation) setBreaker(level int, name, prev, next string) {
	m := in.metrics
	ctx := context.Background()
	tierAttrs := []attribute.KeyValue{LevelKey.Int(level), NameKey.String(name)}
	if prev != "" {
		m.breakerState.Add(ctx, -1, m.with(append(tierAttrs, BreakerStateKey.String(prev))...))
	}
	m.breakerState.Add(ctx, 1, m.with(append(tierAttrs, BreakerStateKey.String(next))...))
	in.breakers.states[level] = next
}
