package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// logCounter is the library's slog handler during a run: it counts
// warnings and errors by message, for the report, and prints them on
// standard error: all of them when verbose, else the first of each
// message.
type logCounter struct {
	verbose bool
	mu      *sync.Mutex
	counts  map[string]int
	attrs   []slog.Attr
}

func newLogCounter(verbose bool) *logCounter {
	return &logCounter{verbose: verbose, mu: &sync.Mutex{}, counts: map[string]int{}}
}

func (h *logCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	key := r.Level.String() + " " + r.Message
	h.mu.Lock()
	h.counts[key]++
	first := h.counts[key] == 1
	h.mu.Unlock()
	if h.verbose || first { // the first of each kind, with its attributes, says why
		line := fmt.Sprintf("library: %s %s", r.Level, r.Message)
		for _, a := range h.attrs {
			line += " " + a.String()
		}
		r.Attrs(func(a slog.Attr) bool {
			line += " " + a.String()
			return true
		})
		fmt.Fprintln(os.Stderr, line)
	}
	return nil
}

func (h *logCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

func (h *logCounter) WithGroup(string) slog.Handler { return h }

// snapshot returns the counts so far.
func (h *logCounter) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.counts))
	for k, v := range h.counts {
		out[k] = v
	}
	return out
}
