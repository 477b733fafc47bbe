package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sony/gobreaker/v2"
)

// breaker is a circuit breaker for one tier. Only failures that mean the
// tier is unreachable (errors wrapping ErrUnavailable) count; not found,
// corrupt copies and the caller's cancellation do not.
type breaker struct {
	name string
	cb   *gobreaker.TwoStepCircuitBreaker[struct{}]
}

func newBreaker(name string, cooldown time.Duration, log *slog.Logger, onChange func(state string)) *breaker {
	b := &breaker{name: name}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		Timeout:     cooldown,
		// One timeout is enough: a down tier must cost its timeout once,
		// then nothing while the breaker is open.
		ReadyToTrip:  func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 },
		IsSuccessful: func(err error) bool { return !errors.Is(err, ErrUnavailable) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
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
func (b *breaker) allow() (func(error), error) {
	done, err := b.cb.Allow()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: circuit breaker open after recent failures", ErrUnavailable, b.name)
	}
	return func(err error) {
		if errors.Is(err, ErrUnavailable) {
			done(err)
		} else {
			done(nil)
		}
	}, nil
}

// state is "closed" (healthy), "open" (failing fast) or "half-open"
// (probing).
func (b *breaker) state() string { return b.cb.State().String() }

// probing reports whether the breaker is half-open: the tier failed
// recently and the next call is a probe.
func (b *breaker) probing() bool { return b.cb.State() == gobreaker.StateHalfOpen }
