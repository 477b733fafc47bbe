package tierotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/stackmemoryai/tier"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/stackmemoryai/tier/tierotel"

// Hooks returns tier.Hooks that record a span for each operation of the
// Manager and a child span for each call to a tier, and feed the
// metrics listed in the package documentation. Assign them to the Hooks
// field of tier.Config (or of package config's Config) before opening the
// Manager.
//
// The hooks are safe for concurrent use and never fail: a metric the
// meter cannot create is reported to otel.Handle and left out, as the
// OpenTelemetry API does.
func Hooks(opts ...Option) tier.Hooks {
	in := newInstrumentation(opts...)
	return tier.Hooks{
		Start:     in.start,
		OnCall:    in.onCall,
		OnMove:    in.onMove,
		OnBreaker: in.onBreaker,
	}
}

// instrumentation holds the tracer, the instruments and the breaker
// states seen so far.
type instrumentation struct {
	tracer     trace.Tracer
	attrs      []attribute.KeyValue
	callEvents bool
	metrics    *instruments
	breakers   breakerStates
}

func newInstrumentation(opts ...Option) *instrumentation {
	s := settings{tp: otel.GetTracerProvider(), mp: otel.GetMeterProvider()}
	for _, o := range opts {
		o.apply(&s)
	}
	in := &instrumentation{
		tracer: s.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(version())),
		attrs:  s.attrs,

		callEvents: s.callEvents,
	}
	in.metrics = newInstruments(s.mp, s.attrs)
	in.breakers.states = make(map[int]string)
	return in
}

// start begins the span of an operation; the function it returns ends
// it and records the operation's metrics.
func (in *instrumentation) start(ctx context.Context, op, frameID string) (context.Context, func(tier.End)) {
	began := time.Now()
	ctx, span := in.startSpan(ctx, op, frameID)
	return ctx, func(e tier.End) {
		outcome := Outcome(e.Err)
		in.endSpan(span, e, outcome)
		in.recordOperation(ctx, op, e, outcome, time.Since(began))
	}
}

// onCall records one finished call to a tier.
func (in *instrumentation) onCall(ctx context.Context, c tier.Call) {
	outcome := Outcome(c.Err)
	in.traceCall(ctx, c, outcome)
	in.recordCall(ctx, c, outcome)
}

// onMove counts frames moved between tiers.
func (in *instrumentation) onMove(from, to, frames int) {
	in.recordMove(from, to, frames)
}

// onBreaker follows a tier's circuit breaker.
func (in *instrumentation) onBreaker(level int, name, state string) {
	in.recordBreaker(level, name, state)
}
