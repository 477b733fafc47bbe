// Command otel shows a host tracing the library with OpenTelemetry: it
// opens a Manager over a SQLite file in a temporary directory with the
// hooks of package tierotel, does a few things an agent does (stores a
// frame and its child, reads them, lists the children, reads a frame that
// does not exist, deletes one), and prints every span as JSON with the
// OpenTelemetry stdout exporter.
//
//	go run ./examples/otel
//	go run ./examples/otel | jq -c '{Name, Attributes}'
//
// The Manager's spans (tier.Put, tier.Get, tier.Query, tier.Delete) sit
// in the host's own trace, under its "agent step" span, and each call to a
// tier is a child span ("get sqlite"). A real host passes its OTLP
// exporter, or its already configured TracerProvider, instead.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/stackmemoryai/tier"
	_ "github.com/stackmemoryai/tier/sqlitedriver"
	"github.com/stackmemoryai/tier/tierotel"
)

func main() {
	dir, err := os.MkdirTemp("", "tier-otel-")
	if err == nil {
		err = run(context.Background(), os.Stdout, dir)
		_ = os.RemoveAll(dir)
	}
	if err != nil {
		log.SetFlags(0)
		log.Fatal("otel: ", err)
	}
}

// run traces a few operations on a SQLite tier in dir and writes the
// spans to out.
func run(ctx context.Context, out io.Writer, dir string) (err error) {
	exporter, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	// A syncer exports each span as it ends, which suits a short example;
	// a service uses sdktrace.WithBatcher.
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exporter),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "tier-otel-example"))),
	)
	defer func() {
		if serr := tp.Shutdown(context.Background()); err == nil {
			err = serr
		}
	}()

	m, err := tier.Open(ctx, tier.Config{
		Tiers:             []tier.TierSpec{{Name: "sqlite", URL: "sqlite://" + filepath.Join(dir, "frames.db")}},
		ManualMaintenance: true,
		Hooks:             tierotel.Hooks(tierotel.WithTracerProvider(tp)),
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := m.Close(); err == nil {
			err = cerr
		}
	}()

	ctx, step := tp.Tracer("tier-otel-example").Start(ctx, "agent step")
	defer step.End()
	return agentStep(ctx, m)
}

// agentStep is what the host does inside its own span.
func agentStep(ctx context.Context, m *tier.Manager) error {
	session := tier.NewID()
	root, err := m.Put(ctx, tier.Frame{SessionID: session, ProjectID: "otel-example",
		Data: []byte(`{"task":"refactor the parser","state":"running"}`)})
	if err != nil {
		return err
	}
	child, err := m.Put(ctx, tier.Frame{SessionID: session, ProjectID: "otel-example", ParentID: root.ID,
		Data: []byte(`{"task":"run the tests","outputs":{"passed":42}}`)})
	if err != nil {
		return err
	}
	if _, err := m.Get(ctx, root.ID); err != nil {
		return err
	}
	if _, err := m.Children(ctx, root.ID); err != nil {
		return err
	}
	if _, err := m.Get(ctx, tier.NewID()); err == nil {
		return fmt.Errorf("a frame never stored was found")
	}
	return m.Delete(ctx, child.ID)
}
