package tierotel

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/stackmemoryai/tier"
)

// durationBuckets are the histogram bounds, in seconds: from 50 µs (a
// local SQLite read) to 10 s (a batch against a slow archive).
var durationBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// instruments are the metrics the hooks feed.
type instruments struct {
	attrs        []attribute.KeyValue
	opDuration   metric.Float64Histogram
	callDuration metric.Float64Histogram
	reads        metric.Int64Counter
	moves        metric.Int64Counter
	breakerState metric.Int64UpDownCounter
	breakerTrips metric.Int64Counter
	// sets caches the measurement option of each series.
	sets sync.Map // series -> metric.MeasurementOption
}

// newInstruments creates the instruments on a meter of mp. An instrument
// the meter refuses is reported to otel.Handle and replaced by one that
// records nothing.
func newInstruments(mp metric.MeterProvider, attrs []attribute.KeyValue) *instruments {
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(version()))
	nop := noop.Meter{}
	check := func(err error) bool {
		if err != nil {
			otel.Handle(err)
		}
		return err != nil
	}
	in := &instruments{attrs: attrs}
	var err error
	if in.opDuration, err = m.Float64Histogram("tier.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the Manager's operations (Get, Put, Query, Delete, moves)."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); check(err) {
		in.opDuration, _ = nop.Float64Histogram("")
	}
	if in.callDuration, err = m.Float64Histogram("tier.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of each call to a tier."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); check(err) {
		in.callDuration, _ = nop.Float64Histogram("")
	}
	if in.reads, err = m.Int64Counter("tier.reads", metric.WithUnit("{read}"),
		metric.WithDescription("Gets, by outcome and by the tier that answered.")); check(err) {
		in.reads, _ = nop.Int64Counter("")
	}
	if in.moves, err = m.Int64Counter("tier.moves", metric.WithUnit("{frame}"),
		metric.WithDescription("Frames moved between tiers.")); check(err) {
		in.moves, _ = nop.Int64Counter("")
	}
	if in.breakerState, err = m.Int64UpDownCounter("tier.breaker.state", metric.WithUnit("{state}"),
		metric.WithDescription("1 for the current state of each tier's circuit breaker, 0 for the others.")); check(err) {
		in.breakerState, _ = nop.Int64UpDownCounter("")
	}
	if in.breakerTrips, err = m.Int64Counter("tier.breaker.trips", metric.WithUnit("{trip}"),
		metric.WithDescription("Times a tier's circuit breaker opened.")); check(err) {
		in.breakerTrips, _ = nop.Int64Counter("")
	}
	return in
}

// with returns the options of a measurement with attrs and the hooks'
// own attributes.
func (m *instruments) with(attrs ...attribute.KeyValue) metric.MeasurementOption {
	all := make([]attribute.KeyValue, 0, len(attrs)+len(m.attrs))
	return metric.WithAttributes(append(append(all, attrs...), m.attrs...)...)
}

// series identifies the attributes of a measurement. There are few of
// them (tiers × operations × outcomes), so the attribute set of each is
// built once and kept in instruments.sets.
type series struct {
	kind    byte // 'o' operation, 'r' read, 'c' call
	op      string
	outcome string
	level   int
	name    string
}

// option returns the measurement option of s, built on first use.
func (m *instruments) option(s series) metric.MeasurementOption {
	if o, ok := m.sets.Load(s); ok {
		return o.(metric.MeasurementOption)
	}
	attrs := []attribute.KeyValue{OutcomeKey.String(s.outcome)}
	switch s.kind {
	case 'o':
		attrs = append(attrs, OperationKey.String(s.op))
	case 'c':
		attrs = append(attrs, CallKey.String(s.op))
	}
	if s.level > 0 {
		attrs = append(attrs, LevelKey.Int(s.level), NameKey.String(s.name))
	}
	o, _ := m.sets.LoadOrStore(s, m.with(attrs...))
	return o.(metric.MeasurementOption)
}

// recordOperation records an operation that ended.
func (in *instrumentation) recordOperation(ctx context.Context, op string, e tier.End, outcome string, took time.Duration) {
	m := in.metrics
	s := series{kind: 'o', op: op, outcome: outcome, level: e.Level, name: e.Tier}
	if m.opDuration.Enabled(ctx) {
		m.opDuration.Record(ctx, took.Seconds(), m.option(s))
	}
	if op == tier.OpGet && m.reads.Enabled(ctx) {
		s.kind, s.op = 'r', ""
		m.reads.Add(ctx, 1, m.option(s))
	}
}

// recordCall records a call to a tier, and what it says of the tier's
// breaker.
func (in *instrumentation) recordCall(ctx context.Context, c tier.Call, outcome string) {
	m := in.metrics
	if m.callDuration.Enabled(ctx) {
		m.callDuration.Record(ctx, c.Took.Seconds(),
			m.option(series{kind: 'c', op: c.Op, outcome: outcome, level: c.Level, name: c.Tier}))
	}
	in.sawCall(c.Level, c.Tier, c.Err == nil)
}

// recordMove counts frames moved from one level to another.
func (in *instrumentation) recordMove(from, to, frames int) {
	direction := "down"
	if to < from {
		direction = "up"
	}
	m := in.metrics
	m.moves.Add(context.Background(), int64(frames), m.with(MoveFromKey.Int(from), MoveToKey.Int(to),
		DirectionKey.String(direction)))
}
