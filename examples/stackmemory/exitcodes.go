package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/driver"
)

// Exit codes. Scripts may rely on them; they are printed by --help.
const (
	exitOK          = 0   // success
	exitFailure     = 1   // any other failure
	exitUsage       = 2   // unknown command or flag, bad argument (like an invalid frame ID)
	exitNotFound    = 3   // no tier holds the frame
	exitUnavailable = 4   // a tier that is needed (or may hold the frame) cannot be reached
	exitRejected    = 5   // put/import: some input lines were rejected, the others were stored
	exitConfig      = 6   // the configuration (file, environment, flags) cannot be used
	exitBusy        = 7   // another process is moving frames of the same store; try again
	exitIntegrity   = 8   // a corrupt copy was found, or verify found problems it did not repair
	exitInterrupted = 130 // interrupted (Ctrl-C)
)

// exitCodesHelp is appended to every command's help.
const exitCodesHelp = `
Exit codes:
  0    success
  1    other failure
  2    usage error: unknown command or flag, bad argument (like an invalid frame ID)
  3    not found: no tier holds the frame
  4    unavailable: a tier that is needed, or that may hold the frame, cannot be reached
  5    some input lines were rejected (put, import); the other lines were stored
  6    configuration error (config file, environment, flags, URLs)
  7    busy: another process is moving frames of the same store; try again
  8    integrity: a corrupt copy, or problems found by verify and not repaired
  130  interrupted
`

// exitError carries an exit code with the message to print. A nil Err
// prints nothing (the command already explained itself).
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit code %d", e.Code)
	}
	return e.Err.Error()
}

func (e *exitError) Unwrap() error { return e.Err }

// usageErrorf returns a usage error (exit code 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{Code: exitUsage, Err: fmt.Errorf(format, args...)}
}

// withCode wraps err so that it exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{Code: code, Err: err}
}

// exitCodeOf maps an error to its exit code. Library errors are told apart
// with errors.Is, never by their text.
func exitCodeOf(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, tier.ErrInvalidFrame), errors.Is(err, tier.ErrBadCursor):
		return exitUsage
	case errors.Is(err, tier.ErrNotFound):
		return exitNotFound
	case errors.Is(err, tier.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return exitUnavailable
	case errors.Is(err, tier.ErrBadConfig), errors.Is(err, tier.ErrUnknownDriver), errors.Is(err, driver.ErrBadDSN):
		return exitConfig
	case errors.Is(err, tier.ErrBusy):
		return exitBusy
	case errors.Is(err, tier.ErrCorrupt):
		return exitIntegrity
	}
	return exitFailure
}

// internalError turns a recovered panic into an error, so that a bug shows
// as a message and exit code 1 rather than a stack trace.
func internalError(r any) error {
	return fmt.Errorf("internal error (please report it): %v", r)
}
