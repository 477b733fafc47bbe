// Command metrics shows how a host program exports the library's
// statistics: tier.Manager.Stats published with the standard library's
// expvar (served as JSON at /debug/vars), and the same numbers in the
// Prometheus text format at /metrics, without a Prometheus dependency.
//
//	go run ./examples/metrics -addr 127.0.0.1:8080
//	curl -s 127.0.0.1:8080/debug/vars | jq .tier
//	curl -s 127.0.0.1:8080/metrics
//
// With -once it prints the expvar JSON of the statistics once and exits.
// It opens the same store as the stackmemory command (LoadConfig: the
// config file, then the environment), so it shows what every process
// using that store did: statistics are persisted in the store's state file.
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
	"time"

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

	// expvar.Func is evaluated on every request of /debug/vars, so the
	// numbers are always current. Stats is cheap enough to be called per
	// scrape; a host serving many scrapes may cache it for a few seconds.
	expvar.Publish("tier", expvar.Func(func() any {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		st, err := m.Stats(ctx)
		if err != nil {
			return map[string]string{"error": err.Error()}
		}
		return st
	}))

	if once {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(json.RawMessage(expvar.Get("tier").String()))
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		st, err := m.Stats(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		writePrometheus(w, st)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
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
