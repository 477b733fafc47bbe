package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// breaker is a circuit breaker for one tier. Only failures that mean the
// tier is unreachable (errors wrapping ErrUnavailable) count; not found,
// corrupt copies and the caller's cancellation do not.
//
// After the cooldown one call probes the tier. A call that arrives while
// the probe is in flight waits for the probe's outcome (at most as long as
// the call itself may take) instead of failing: a tier that has just come
// back must not fail the callers that happen to run beside the probe.
type breaker struct {
	name string
	cb   *gobreaker.TwoStepCircuitBreaker[struct{}]

	mu      sync.Mutex
	settled chan struct{} // closed at the next change of state
}

func newBreaker(name string, cooldown time.Duration, log *slog.Logger, onChange func(state string)) *breaker {
	b := &breaker{name: name, settled: make(chan struct{})}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		Timeout:     cooldown,
		// One timeout is enough: a down tier must cost its timeout once,
		// then nothing while the breaker is open.
		ReadyToTrip:  func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 },
		IsSuccessful: func(err error) bool { return !errors.Is(err, ErrUnavailable) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			b.mu.Lock()
			close(b.settled)
			b.settled = make(chan struct{})
			b.mu.Unlock()
			onChange(to.String())
			switch to {
			case gobreaker.StateOpen:
				log.Warn("tier unavailable; failing fast", "tier", name, "retry_in", cooldown)
			case gobreaker.StateClosed:
				log.Info("tier available again", "tier", name)
			}
		},
	})
	return b
}

// allow asks to make a call. It returns a function to report the call's
// result, or an error wrapping ErrUnavailable while the breaker is open.
// While a probe is in flight it waits for the probe's outcome, for at
// most wait (0: as long as ctx allows); the caller's cancellation is
// returned as the context's error.
func (b *breaker) allow(ctx context.Context, wait time.Duration) (func(error), error) {
	var expired <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		expired = t.C
	}
	for {
		b.mu.Lock()
		settled := b.settled
		b.mu.Unlock()
		done, err := b.cb.Allow()
		if err == nil {
			return func(err error) {
				if errors.Is(err, ErrUnavailable) {
					done(err)
				} else {
					done(nil)
				}
			}, nil
		}
		if !errors.Is(err, gobreaker.ErrTooManyRequests) {
			return nil, b.open()
		}
		select {
		case <-settled: // the probe ended: ask again
		case <-expired:
			return nil, b.open()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (b *breaker) open() error {
	return fmt.Errorf("%w: %s: circuit breaker open after recent failures", ErrUnavailable, b.name)
}

// state is "closed" (healthy), "open" (failing fast) or "half-open"
// (probing).
func (b *breaker) state() string { return b.cb.State().String() }

// probing reports whether the breaker is half-open: the tier failed
// recently and the next call is a probe.
func (b *breaker) probing() bool { return b.cb.State() == gobreaker.StateHalfOpen }
