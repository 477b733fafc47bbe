package tierotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/stackmemoryai/tier"
)

// spanNames are the names of the operations' spans.
var spanNames = map[string]string{
	tier.OpGet:    "tier.Get",
	tier.OpPut:    "tier.Put",
	tier.OpQuery:  "tier.Query",
	tier.OpDelete: "tier.Delete",
	tier.OpMove:   "tier.move",
}

// spanName names the span of op; an operation this package does not know
// yet is "tier." followed by its name.
func spanName(op string) string {
	if name, ok := spanNames[op]; ok {
		return name
	}
	return "tier." + op
}

func (in *instrumentation) startSpan(ctx context.Context, op, frameID string) (context.Context, trace.Span) {
	attrs := make([]attribute.KeyValue, 0, 2+len(in.attrs))
	attrs = append(attrs, OperationKey.String(op))
	if frameID != "" {
		attrs = append(attrs, FrameIDKey.String(frameID))
	}
	attrs = append(attrs, in.attrs...)
	return in.tracer.Start(ctx, spanName(op),
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
}

func (in *instrumentation) endSpan(span trace.Span, e tier.End, outcome string) {
	if span.IsRecording() {
		attrs := []attribute.KeyValue{OutcomeKey.String(outcome), FramesKey.Int(e.Frames)}
		if e.Level > 0 {
			attrs = append(attrs, LevelKey.Int(e.Level), NameKey.String(e.Tier))
		}
		span.SetAttributes(attrs...)
		setStatus(span, e.Err, outcome)
	}
	span.End()
}

// setStatus marks a failed span, leaving successes and not-found unset
// as the OpenTelemetry specification asks of instrumentation libraries.
func setStatus(span trace.Span, err error, outcome string) {
	if failed(outcome) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
}

// traceCall records a finished call to a tier in the span of ctx: a child
// span that started when the call did, or an event with WithCallEvents.
// Without a recording span in ctx it records nothing.
func (in *instrumentation) traceCall(ctx context.Context, c tier.Call, outcome string) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 4+len(in.attrs))
	attrs = append(attrs, LevelKey.Int(c.Level), NameKey.String(c.Tier),
		CallKey.String(c.Op), OutcomeKey.String(outcome))
	attrs = append(attrs, in.attrs...)
	ended := time.Now()
	name := c.Op + " " + c.Tier
	if in.callEvents {
		attrs = append(attrs, attribute.Float64("tier.call.duration", c.Took.Seconds()))
		if failed(outcome) {
			attrs = append(attrs, attribute.String("exception.message", c.Err.Error()))
		}
		parent.AddEvent(name, trace.WithTimestamp(ended), trace.WithAttributes(attrs...))
		return
	}
	_, span := in.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(ended.Add(-c.Took)), trace.WithAttributes(attrs...))
	setStatus(span, c.Err, outcome)
	span.End(trace.WithTimestamp(ended))
}
