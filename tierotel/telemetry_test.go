package tierotel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/tierotel"
)

// telemetry is an SDK tracer provider recording spans in memory and a
// meter provider read on demand, as a host would set them up.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newTelemetry(t testing.TB) *telemetry {
	t.Helper()
	tel := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tel.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tel.spans))
	tel.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(tel.reader))
	t.Cleanup(func() {
		_ = tel.tp.Shutdown(context.Background())
		_ = tel.mp.Shutdown(context.Background())
	})
	return tel
}

// hooks wires tel into tier.Hooks the way a host does.
func (tel *telemetry) hooks(opts ...tierotel.Option) tier.Hooks {
	return tierotel.Hooks(append([]tierotel.Option{
		tierotel.WithTracerProvider(tel.tp), tierotel.WithMeterProvider(tel.mp)}, opts...)...)
}

// ended returns the spans ended since the last call, in the order they
// ended.
func (tel *telemetry) ended() []sdktrace.ReadOnlySpan {
	spans := tel.spans.Ended()
	tel.spans.Reset()
	return spans
}

// metrics collects the metrics: for each instrument, the value of each
// series (a counter's sum, a histogram's count) by its attributes
// encoded as "key=value,..." in key order.
func (tel *telemetry) metrics(t *testing.T) map[string]map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			series := map[string]float64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					series[encode(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					series[encode(p.Attributes)] = float64(p.Count)
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = series
		}
	}
	return out
}

func encode(s attribute.Set) string { return s.Encoded(attribute.DefaultEncoder()) }

// attrs returns the attributes of a span or an event as strings.
func attrs(kvs []attribute.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}

// only returns the one span named name among spans.
func only(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans named %q, want 1; spans: %s", len(found), name, names(spans))
	}
	return found[0]
}

// childrenOf returns the names of the spans whose parent is p.
func childrenOf(spans []sdktrace.ReadOnlySpan, p sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range children(spans, p) {
		out = append(out, s.Name())
	}
	slices.Sort(out)
	return out
}

// children returns the spans whose parent is p.
func children(spans []sdktrace.ReadOnlySpan, p sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Parent().SpanID() == p.SpanContext().SpanID() {
			out = append(out, s)
		}
	}
	return out
}

// since returns what the series of now added to those of before.
func since(before, now map[string]map[string]float64) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for name, series := range now {
		out[name] = map[string]float64{}
		for k, v := range series {
			out[name][k] = v - before[name][k]
		}
	}
	return out
}

func names(spans []sdktrace.ReadOnlySpan) string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return strings.Join(out, ", ")
}

// wantAttrs fails unless got holds every attribute of want; a value of
// "" means the attribute must be absent.
func wantAttrs(t *testing.T, what string, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		switch {
		case v == "" && ok:
			t.Errorf("%s: attribute %s=%q, want none", what, k, g)
		case v != "" && g != v:
			t.Errorf("%s: attribute %s=%q, want %q (all: %v)", what, k, g, v, got)
		}
	}
}

// wantSeries fails unless every series of want has its value in got.
func wantSeries(t *testing.T, metrics map[string]map[string]float64, name string, want map[string]float64) {
	t.Helper()
	got, ok := metrics[name]
	if !ok {
		t.Errorf("no metric %s", name)
		return
	}
	for series, v := range want {
		if got[series] != v {
			t.Errorf("%s{%s} = %v, want %v (all series: %v)", name, series, got[series], v, got)
		}
	}
}

// newFrame returns a frame of project with a small document.
func newFrame(project string, n int) tier.Frame {
	return tier.Frame{ProjectID: project, SessionID: tier.NewID(),
		Data: []byte(fmt.Sprintf(`{"task":"step %d","digest":"tests pass"}`, n))}
}

// eventually calls fn until it returns nil, for at most a few seconds
// (waiting for a circuit breaker's cooldown), and fails with its last
// error.
func eventually(t *testing.T, fn func() error) {
	t.Helper()
	var err error
	for range 500 {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal(err)
}

// hostSpan starts a span of the host's own, as a request handler would.
func hostSpan(tel *telemetry) (context.Context, trace.Span) {
	return tel.tp.Tracer("host").Start(context.Background(), "handle request")
}
