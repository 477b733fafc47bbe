package redisdriver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
)

// wrapErr wraps err, returned by rueidis during op, with the driver
// sentinel that classifies it, and keeps err in the chain so errors.As
// reaches the rueidis error (a *rueidis.RedisError ...):
//
//   - the store closed during the call (rueidis.ErrClosing): driver.ErrClosed;
//   - the caller's context done (context.Canceled, context.DeadlineExceeded):
//     the context error alone, no sentinel: the caller gave up;
//   - the store's own time limit ([Options.Timeout], [Options.BatchTimeout]),
//     a network failure, or a server that is loading, failing over, out of
//     memory or read-only: driver.ErrUnavailable;
//   - a key of the wrong type (another client wrote it): driver.ErrCorrupt;
//   - any other error reply of Redis: no sentinel, the reply as it is.
//
// Call sites pass errors through [callErr] first, which tells the store's
// time limit from the caller's context. rueidis errors never contain the
// password.
func wrapErr(op string, err error) error {
	what := "redisdriver: " + op
	var limit *timeoutError
	switch {
	case errors.Is(err, rueidis.ErrClosing):
		return fmt.Errorf("%s: %w: %w", what, driver.ErrClosed, err)
	case errors.As(err, &limit):
		return fmt.Errorf("%s: %w: %w", what, driver.ErrUnavailable, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, err)
	}
	if rerr, ok := rueidis.IsRedisErr(err); ok {
		switch {
		case rerr.IsLoading(), rerr.IsClusterDown(), rerr.IsTryAgain(),
			hasCode(rerr, "MASTERDOWN"), hasCode(rerr, "BUSY"), hasCode(rerr, "OOM"),
			hasCode(rerr, "READONLY"), hasCode(rerr, "NOREPLICAS"):
			return fmt.Errorf("%s: %w: %w", what, driver.ErrUnavailable, err)
		case hasCode(rerr, "WRONGTYPE"):
			return fmt.Errorf("%s: %w: %w", what, driver.ErrCorrupt, err)
		}
		return fmt.Errorf("%s: redis replied: %w", what, err)
	}
	// Everything else is the transport: refused, reset, closed, timed out.
	return fmt.Errorf("%s: %w: %w", what, driver.ErrUnavailable, err)
}

// timeoutError is the cause of a call context ended by the store's own
// time limit (see [Store.bound]).
type timeoutError struct{ limit time.Duration }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no answer from Redis within %s (the timeout parameter)", e.limit)
}

// callErr returns err, an error of a call made with ctx (a context from
// [Store.bound]), with a context error replaced by what ended ctx: the
// store's time limit (a *timeoutError), or the caller's own ctx.Err().
// Other errors are returned as they are.
func callErr(ctx context.Context, err error) error {
	if err == nil {
		return err
	}
	if _, ok := ctx.Deadline(); ok && errors.Is(err, context.DeadlineExceeded) {
		// rueidis reports the deadline from the connection's own timer,
		// which may fire a moment before the context's: wait for it, to
		// learn whose deadline it was.
		<-ctx.Done()
	}
	if ctx.Err() == nil {
		return err
	}
	var limit *timeoutError
	if errors.As(context.Cause(ctx), &limit) {
		if errors.Is(err, context.DeadlineExceeded) {
			return limit
		}
		return fmt.Errorf("%w: %w", limit, err)
	}
	if errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: %w", ctx.Err(), err)
}

// corrupt reports a damaged copy of frame id found during op.
func corrupt(op, id, why string) error {
	return fmt.Errorf("redisdriver: %s %s: %w: %s", op, id, driver.ErrCorrupt, why)
}

// invalid reports a record or ID refused before anything was written.
func invalid(op, id, why string) error {
	return fmt.Errorf("redisdriver: %s %q: %w: %s", op, id, driver.ErrInvalidRecord, why)
}

func hasCode(e *rueidis.RedisError, code string) bool {
	msg := e.Error()
	return strings.HasPrefix(msg, code+" ") || msg == code
}

// scrub removes a password from a message, in case a library quoted it.
func scrub(msg, password string) string {
	if password == "" {
		return msg
	}
	return strings.ReplaceAll(msg, password, "xxxxx")
}
