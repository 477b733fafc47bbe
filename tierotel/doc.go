// Package tierotel wires a host's OpenTelemetry TracerProvider and
// MeterProvider into a tier.Manager in one call:
//
//	cfg.Hooks = tierotel.Hooks(
//		tierotel.WithTracerProvider(tp),
//		tierotel.WithMeterProvider(mp),
//	)
//	m, err := tier.Open(ctx, cfg)
//
// The same line works for StackMemory's configuration (package config),
// whose Config has the same Hooks field. Without options the global
// providers (otel.GetTracerProvider, otel.GetMeterProvider) are used.
// The package depends on the OpenTelemetry API only; the host picks the
// SDK and the exporters.
//
// # Spans
//
// Every operation of the Manager is a span in the caller's trace:
// tier.Get, tier.Put, tier.Query and tier.Delete, and tier.move for each
// batch of frames the manager moves down (background demotion, Migrate).
// Frames brought up (promotion, pre-fetch, Warm) are counted by the
// tier.moves metric but have no span of their own. A span carries
//
//   - tier.operation: get, put, query, delete or move;
//   - tier.frame_id: the frame, when the operation is on one frame;
//   - tier.level and tier.name: the tier that answered a Get, stored a
//     Put, or received the moved frames (absent when none did);
//   - tier.frames: how many frames the operation concerned;
//   - tier.outcome: ok, not_found, unavailable or error (see [Outcome]).
//
// Unavailable and error set the span's status to Error and record the
// error; not found is an answer, not an error, and leaves the status
// unset. Each call the operation made to a tier is a child span named
// after the call and the tier ("get sqlite", "put redis"), with the tier's
// level and name, the call and its outcome; [WithCallEvents] records them
// as events of the operation's span instead. Calls made outside any
// recording span (the background loop's bookkeeping; Status or Stats
// called without a span) produce no span; called inside a span of the
// host's, they become its children.
//
// # Metrics
//
// All durations are in seconds.
//
//   - tier.operation.duration (histogram): the Manager's operations, by
//     tier.operation and tier.outcome, and by the answering tier.
//   - tier.call.duration (histogram): each call to a tier, by tier.level,
//     tier.name, tier.call and tier.outcome.
//   - tier.reads (counter): Gets, by tier.outcome and, when the frame was
//     found, by the tier that answered. The tier-1 read share is
//     reads{tier.level=1} / reads{tier.outcome=ok}.
//   - tier.moves (counter): frames moved, by tier.move.from,
//     tier.move.to and tier.move.direction (down or up).
//   - tier.breaker.state (up/down counter): 1 for the current state of
//     each tier's circuit breaker (tier.breaker.state: closed, half-open
//     or open), 0 for the others.
//   - tier.breaker.trips (counter): times a tier's breaker opened.
//
// Frame IDs never appear in metrics, only in spans.
package tierotel
