package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// output is what a command prints when it is done: with --json the value
// itself, encoded as JSON on stdout; else its text for people.
type output interface {
	text(a *app)
}

// lineOutput is an output that writes its JSON itself, as one line: for
// documents that must come out byte for byte.
type lineOutput interface {
	output
	jsonLine() ([]byte, error)
}

// emit prints out as JSON or as text.
func (a *app) emit(out output) error {
	if l, ok := out.(lineOutput); ok && a.jsonOut {
		b, err := l.jsonLine()
		if err != nil {
			return err
		}
		_, err = a.stdout.Write(b)
		return err
	}
	if a.jsonOut {
		return a.printJSON(out)
	}
	out.text(a)
	return nil
}

// printJSON writes v as indented JSON on stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printf writes human-readable output on stdout.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}

// notef writes a note for the human on stderr (never on stdout, which
// scripts read); with --json, as a JSON object {"note": "..."}.
func (a *app) notef(format string, args ...any) {
	msg := a.scrub(fmt.Sprintf(format, args...))
	if a.jsonOut {
		b, _ := json.Marshal(struct {
			Note string `json:"note"`
		}{strings.TrimSpace(msg)})
		fmt.Fprintf(a.stderr, "%s\n", b)
		return
	}
	fmt.Fprint(a.stderr, msg)
}

// jsonError is how an error is printed on stderr with --json.
type jsonError struct {
	Error string `json:"error"`
	Code  int    `json:"code"`
}

// fail prints err (without secrets) on stderr, as text or, with --json, as
// one JSON object, and returns its exit code.
func (a *app) fail(err error) int {
	code := exitCodeOf(err)
	var ee *exitError
	if errors.As(err, &ee) && ee.Err == nil {
		return code
	}
	msg := a.scrub(err.Error())
	if a.jsonOut {
		b, _ := json.Marshal(jsonError{Error: msg, Code: code})
		fmt.Fprintf(a.stderr, "%s\n", b)
		return code
	}
	fmt.Fprintf(a.stderr, "stackmemory: %s\n", msg)
	if code == exitUsage {
		fmt.Fprintln(a.stderr, "Run 'stackmemory --help' for usage.")
	}
	return code
}

// wantsJSON reports whether args ask for --json, read before the flags are
// parsed, so that an error in the flags themselves is printed as JSON.
func wantsJSON(args []string) bool {
	for _, arg := range args {
		if arg == "--" {
			return false
		}
		if arg == "--json" {
			return true
		}
		if v, ok := strings.CutPrefix(arg, "--json="); ok {
			b, err := strconv.ParseBool(v)
			return err == nil && b
		}
	}
	return false
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
