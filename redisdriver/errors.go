package redisdriver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier/driver"
)

// fail wraps an error from rueidis for the caller of op, classifying it:
//
//   - after Close: driver.ErrClosed;
//   - a context deadline, a network failure, or a server that is loading,
//     failing over or out of memory: driver.ErrUnavailable;
//   - the caller canceling ctx: the context error;
//   - a key of the wrong type (another client wrote it): driver.ErrCorrupt.
//
// The message never contains the password.
func (s *Store) fail(op, id string, err error) error {
	what := "redisdriver: " + op
	if id != "" {
		what += " " + id
	}
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, driver.ErrClosed)
	}
	msg := scrub(err.Error(), s.opts.ClientOption.Password)
	if rerr, ok := rueidis.IsRedisErr(err); ok {
		switch {
		case rerr.IsLoading(), rerr.IsClusterDown(), rerr.IsTryAgain(),
			hasCode(rerr, "MASTERDOWN"), hasCode(rerr, "BUSY"), hasCode(rerr, "OOM"),
			hasCode(rerr, "READONLY"), hasCode(rerr, "NOREPLICAS"):
			return fmt.Errorf("%s: %w: %s", what, driver.ErrUnavailable, msg)
		case hasCode(rerr, "WRONGTYPE"):
			return fmt.Errorf("%s: %w: %s", what, driver.ErrCorrupt, msg)
		}
		return fmt.Errorf("%s: redis: %s", what, msg)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", what, context.Canceled)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w", what, driver.ErrUnavailable, context.DeadlineExceeded)
	}
	// Everything else is the transport: refused, reset, closed, timed out.
	return fmt.Errorf("%s: %w: %s", what, driver.ErrUnavailable, msg)
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
