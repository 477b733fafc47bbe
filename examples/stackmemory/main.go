// Command stackmemory is the command line of the tier library: it stores,
// finds, moves and inspects StackMemory frames in the chain of storage tiers
// (SQLite, then Redis and PostgreSQL when configured).
//
// Install it with
//
//	go install github.com/stackmemoryai/tier/examples/stackmemory@latest
//
// or run it from a checkout with `go run ./examples/stackmemory --help`.
//
// With nothing configured it keeps frames in ~/.stackmemory/frames.db.
// Redis and PostgreSQL join the chain from the "storage" key of
// ~/.stackmemory/config.json (StackMemory's own file), from the environment
// (STACKMEMORY_REDIS_URL, STACKMEMORY_POSTGRES_URL, STACKMEMORY_SQLITE_PATH)
// or from the --redis, --postgres and --sqlite flags; flags win over the
// environment, which wins over the file.
//
// Every command prints human-readable text by default and a JSON document
// with --json (errors too, on stderr). Every command that opens the tiers
// goes through one prologue, app.managed. Exit codes are documented in
// exitcodes.go and in --help.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code. It
// never panics on bad input: every failure becomes a message on stderr and
// an exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	app := newApp(stdin, stdout, stderr)
	defer func() {
		if r := recover(); r != nil {
			code = app.fail(internalError(r))
		}
	}()
	root := app.rootCommand()
	// Set after the flags are defined (which sets their defaults), so that
	// an error in parsing the flags is already printed as --json asks.
	app.jsonOut = wantsJSON(args)
	if app.jsonOut {
		root.SetVersionTemplate(`{"version":{{printf "%q" .Version}}}` + "\n")
	}
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		return app.fail(err)
	}
	return app.exitCode
}
