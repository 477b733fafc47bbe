package pgdriver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stackmemoryai/tier/driver"
)

// wrapErr wraps err, the failure of operation op, for the caller. It maps
// what it recognizes to the driver's sentinels and keeps err itself in the
// chain, so errors.Is finds the sentinel and errors.As reaches the
// *pgconn.PgError or network error underneath:
//
//   - the caller's context ended (a [callerDone] in the chain): the
//     context's error, and not driver.ErrUnavailable;
//   - a sentinel already in the chain (ErrClosed, ErrInvalidRecord,
//     ErrCorrupt, ErrBadDSN): kept as it is;
//   - a database that does not exist, a missing schema, bad credentials:
//     driver.ErrBadDSN;
//   - no answer within the Store's own deadline, a lost connection, a
//     server that cannot be reached: driver.ErrUnavailable.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var done *callerDone
	switch {
	case errors.As(err, &done):
		return fmt.Errorf("pgdriver: %s: %w", op, err)
	case errors.Is(err, driver.ErrClosed), errors.Is(err, driver.ErrInvalidRecord),
		errors.Is(err, driver.ErrCorrupt), errors.Is(err, driver.ErrBadDSN):
		return fmt.Errorf("pgdriver: %s: %w", op, err)
	case badConfig(err):
		return fmt.Errorf("pgdriver: %s: %w: %w", op, driver.ErrBadDSN, err)
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		return fmt.Errorf("pgdriver: %s: %w: no answer within the deadline: %w", op, driver.ErrUnavailable, err)
	case connectionLost(err):
		return fmt.Errorf("pgdriver: %s: %w: %w", op, driver.ErrUnavailable, err)
	}
	return fmt.Errorf("pgdriver: %s: %w", op, err)
}

// callerDone marks a failure that happened because the caller's context
// ended: its error chain holds both the context's error and what the
// call saw, and never driver.ErrUnavailable (the caller gave up; the
// store did not fail).
type callerDone struct {
	ctxErr error // context.Canceled or context.DeadlineExceeded
	err    error // what the call returned
}

func (e *callerDone) Error() string {
	if e.err == nil || errors.Is(e.err, e.ctxErr) {
		return e.ctxErr.Error()
	}
	return e.ctxErr.Error() + " (" + e.err.Error() + ")"
}

func (e *callerDone) Unwrap() []error { return []error{e.ctxErr, e.err} }

// badConfig reports whether err means the connection string names
// something that is not there or credentials the server refuses: a
// database that does not exist, a schema that does not exist, a wrong
// user or password. Retrying will not help; the URL must change.
func badConfig(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "3D000", // invalid_catalog_name: no such database
		"3F000", // invalid_schema_name: search_path names no schema
		"28000", // invalid_authorization_specification: no such role, pg_hba refuses
		"28P01": // invalid_password
		return true
	}
	return false
}

// connectionLost reports whether err means the connection or the server
// failed, rather than the statement: the same call may succeed on another
// connection a moment later.
func connectionLost(err error) bool {
	if err == nil {
		return false
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // shutdown, crash, cannot connect now
			return true
		case pgErr.Code == "53300": // too many connections
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE)
}

// scrubbedError shows a message with secrets removed while errors.Is and
// errors.As still see the error it stands for.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
