package tierotel

import (
	"errors"

	"go.opentelemetry.io/otel/attribute"

	"github.com/stackmemoryai/tier"
)

// Attribute keys of the spans and metrics.
const (
	// OperationKey is the Manager's operation: get, put, query, delete or
	// move (the tier.Op* constants).
	OperationKey = attribute.Key("tier.operation")
	// FrameIDKey is the frame an operation is about (spans only).
	FrameIDKey = attribute.Key("tier.frame_id")
	// LevelKey is a tier's position in the chain, 1 for the first.
	LevelKey = attribute.Key("tier.level")
	// NameKey is a tier's name, as in tier.TierSpec.Name.
	NameKey = attribute.Key("tier.name")
	// FramesKey is how many frames an operation concerned (spans only).
	FramesKey = attribute.Key("tier.frames")
	// OutcomeKey is how an operation or a call ended; see Outcome.
	OutcomeKey = attribute.Key("tier.outcome")
	// CallKey is the call made to a tier: get, put, delete, query or
	// other (tier.Call.Op).
	CallKey = attribute.Key("tier.call")
	// MoveFromKey and MoveToKey are the levels frames moved from and to.
	MoveFromKey = attribute.Key("tier.move.from")
	MoveToKey   = attribute.Key("tier.move.to")
	// DirectionKey is "down" (demotion) or "up" (promotion, warm-up).
	DirectionKey = attribute.Key("tier.move.direction")
	// BreakerStateKey is a circuit breaker's state: closed, half-open or
	// open.
	BreakerStateKey = attribute.Key("tier.breaker.state")
)

// Outcomes, the values of OutcomeKey.
const (
	OutcomeOK          = "ok"
	OutcomeNotFound    = "not_found"
	OutcomeUnavailable = "unavailable"
	OutcomeError       = "error"
)

// Outcome names how an operation or a call that returned err ended:
// OutcomeOK for nil, OutcomeNotFound for an error wrapping
// tier.ErrNotFound, OutcomeUnavailable for one wrapping
// tier.ErrUnavailable (a tier down, or a partial Query), OutcomeError
// otherwise.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, tier.ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, tier.ErrUnavailable):
		return OutcomeUnavailable
	default:
		return OutcomeError
	}
}

// failed reports whether outcome is a failure, for a span's status.
func failed(outcome string) bool {
	return outcome == OutcomeUnavailable || outcome == OutcomeError
}
