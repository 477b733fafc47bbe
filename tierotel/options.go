package tierotel

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures Hooks.
type Option interface {
	apply(*settings)
}

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// settings are what the options chose.
type settings struct {
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	attrs      []attribute.KeyValue
	callEvents bool
}

// WithTracerProvider sets the provider of the tracer that records the
// spans. Without it, or with nil, the global provider is used.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(s *settings) {
		if tp != nil {
			s.tp = tp
		}
	})
}

// WithMeterProvider sets the provider of the meter that records the
// metrics. Without it, or with nil, the global provider is used.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(s *settings) {
		if mp != nil {
			s.mp = mp
		}
	})
}

// WithAttributes adds attributes to every span and every measurement,
// for example to tell two Managers of one process apart. Keep them few
// and of low cardinality: they are metric dimensions too.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(s *settings) {
		s.attrs = append(s.attrs, attrs...)
	})
}

// WithCallEvents records each call to a tier as an event of the
// operation's span rather than as a child span: lighter traces, without
// the calls' own timing bars.
func WithCallEvents() Option {
	return optionFunc(func(s *settings) { s.callEvents = true })
}
