package main

import (
	"io"
	"log/slog"
	"strings"
)

// app is one run of the program: its streams, the global flags and what
// commands share.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	// Global flags.
	configPath  string
	sqlitePath  string
	redisURL    string
	postgresURL string
	jsonOut     bool
	verbose     bool

	log *slog.Logger
	// secrets are the passwords of the configured URLs; they are scrubbed
	// from every message printed, should one ever carry them.
	secrets []string
	// exitCode is the code of a command that finished but must report a
	// partial failure (like rejected input lines) without an error message.
	exitCode int
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return a
}

// setupLogging applies --verbose (the library's debug logs go to stderr)
// and --json (log records are JSON objects).
func (a *app) setupLogging() {
	level := slog.LevelWarn
	if a.verbose {
		level = slog.LevelDebug
	}
	w, opts := &scrubWriter{a: a, w: a.stderr}, &slog.HandlerOptions{Level: level}
	if a.jsonOut {
		// With --json everything on stderr is JSON, the log included.
		a.log = slog.New(slog.NewJSONHandler(w, opts))
		return
	}
	a.log = slog.New(slog.NewTextHandler(w, opts))
}

// scrub removes every known password from s.
func (a *app) scrub(s string) string {
	for _, p := range a.secrets {
		if p != "" {
			s = strings.ReplaceAll(s, p, "xxxxx")
		}
	}
	return s
}

// scrubWriter scrubs secrets from what passes through it (the log).
type scrubWriter struct {
	a *app
	w io.Writer
}

func (s *scrubWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, s.a.scrub(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
