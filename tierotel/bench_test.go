package tierotel_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/tierotel"
)

// BenchmarkGet measures what the hooks add to a Get served by tier 1 of
// an in-memory chain: without hooks, with the API's default (no-op)
// providers, and with the SDK sampling every span (dropped after End, as
// an exporter's queue would take them) and aggregating every metric.
func BenchmarkGet(b *testing.B) {
	for _, c := range []struct {
		name  string
		hooks func(testing.TB) tier.Hooks
	}{
		{"none", func(testing.TB) tier.Hooks { return tier.Hooks{} }},
		{"noop", func(testing.TB) tier.Hooks { return tierotel.Hooks() }},
		{"sdk", func(b testing.TB) tier.Hooks {
			tp := sdktrace.NewTracerProvider()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
			return tierotel.Hooks(tierotel.WithTracerProvider(tp), tierotel.WithMeterProvider(mp))
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			m, _ := memChain(b, c.hooks(b))
			ctx := context.Background()
			f, err := m.Put(ctx, newFrame("bench", 1))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Get(ctx, f.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
