// Command metrics shows how a host program exports the library's
// statistics: tier.Manager.Stats published with the standard library's
// expvar (served as JSON at /debug/vars), and the same numbers, with the
// chain's status, for Prometheus at /metrics through a
// prometheus/client_golang Collector (see collector.go for the names).
//
//	go run ./examples/metrics -addr 127.0.0.1:8080
//	curl -s 127.0.0.1:8080/debug/vars | jq .tier
//	curl -s 127.0.0.1:8080/metrics
//
// With -once it prints the expvar JSON of the statistics once and exits.
// It opens the same store as the stackmemory command (LoadConfig: the
// config file, then the environment), so it shows what every process
// using that store did: statistics are persisted in the store's state file.
//
// A host that wants traces and per-call metrics of its own process rather
// than the store's totals wires package tierotel into Config.Hooks instead
// (see examples/otel).
package main

import (
	"context"
	"encoding/json"
	"expvar"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/config"
	_ "github.com/stackmemoryai/tier/pgdriver"
	_ "github.com/stackmemoryai/tier/redisdriver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "loopback address to serve /debug/vars and /metrics on")
	once := flag.Bool("once", false, "print the statistics as expvar JSON once and exit")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *once, os.Stdout); err != nil {
		log.SetFlags(0)
		log.Fatal("metrics: ", err)
	}
}

func run(ctx context.Context, addr string, once bool, out io.Writer) error {
	cfg, err := config.Load("")
	if err != nil {
		return err
	}
	m, err := config.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	publish(m)

	if once {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(json.RawMessage(expvar.Get("tier").String()))
	}

	handler, err := newHandler(m)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(out, "serving http://%s/debug/vars and http://%s/metrics\n", ln.Addr(), ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// published is the Manager whose statistics the "tier" expvar shows.
var published atomic.Pointer[tier.Manager]

// publish makes the "tier" expvar show m's statistics. expvar.Func is
// evaluated on every request of /debug/vars, so the numbers are always
// current. Stats is cheap enough to be called per request; a host serving
// many may cache it for a few seconds. expvar names are process-wide and
// published once; a later call only changes the Manager they read.
func publish(m *tier.Manager) {
	if published.Swap(m) != nil {
		return
	}
	expvar.Publish("tier", expvar.Func(func() any {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		st, err := published.Load().Stats(ctx)
		if err != nil {
			return map[string]string{"error": err.Error()}
		}
		return st
	}))
}

// newHandler serves /debug/vars (expvar) and /metrics (Prometheus) for m.
// The collector goes into a registry of its own here; a host that already
// serves Prometheus metrics registers newCollector(m) in its registry.
func newHandler(m *tier.Manager) (http.Handler, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(newCollector(m)); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/vars", expvar.Handler())
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A tier that cannot be asked makes its metrics invalid, not
		// the whole scrape.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      log.New(os.Stderr, "metrics: ", 0),
	}))
	return mux, nil
}
