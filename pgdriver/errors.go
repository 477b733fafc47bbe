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

// classify wraps err for the caller of operation op: ErrClosed after Close,
// ErrUnavailable when the server could not be reached or did not answer in
// time (the caller's deadline included). parent is the caller's context:
// when the caller canceled it, its error is returned as is, since the tier
// is not to blame.
func (s *Store) classify(parent context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case s.closed.Load():
		return fmt.Errorf("pgdriver: %s: %w", op, driver.ErrClosed)
	case errors.Is(parent.Err(), context.Canceled):
		return fmt.Errorf("pgdriver: %s: %w", op, parent.Err())
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) || parent.Err() != nil:
		return fmt.Errorf("pgdriver: %s: %w: no answer within the deadline: %w", op, driver.ErrUnavailable, err)
	case connectionLost(err):
		return fmt.Errorf("pgdriver: %s: %w: %w", op, driver.ErrUnavailable, err)
	}
	return fmt.Errorf("pgdriver: %s: %w", op, err)
}

// scrubbedError shows a message with secrets removed while errors.Is and
// errors.As still see the error it stands for.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
