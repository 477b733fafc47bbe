package tierotel_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/tierotel"
)

// A host passes its own providers; here an SDK tracer provider that keeps
// the spans in memory, to print them.
func ExampleHooks() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer tp.Shutdown(context.Background())
	defer mp.Shutdown(context.Background())

	dir, err := os.MkdirTemp("", "tierotel-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	m, err := tier.Open(ctx, tier.Config{
		Tiers: []tier.TierSpec{{Name: "sqlite", URL: "sqlite://" + filepath.Join(dir, "frames.db")}},
		Hooks: tierotel.Hooks(tierotel.WithTracerProvider(tp), tierotel.WithMeterProvider(mp)),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	f, err := m.Put(ctx, tier.Frame{Data: []byte(`{"task":"write the docs"}`)})
	if err != nil {
		log.Fatal(err)
	}
	spans.Reset()
	if _, err := m.Get(ctx, f.ID); err != nil {
		log.Fatal(err)
	}
	for _, s := range spans.Ended() {
		a := attrs(s.Attributes())
		fmt.Printf("%s: level %s (%s), %s\n", s.Name(), a["tier.level"], a["tier.name"], a["tier.outcome"])
	}
	// Output:
	// get sqlite: level 1 (sqlite), ok
	// tier.Get: level 1 (sqlite), ok
}
