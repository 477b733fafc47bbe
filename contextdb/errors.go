package contextdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/ncruces/go-sqlite3"

	"github.com/stackmemoryai/tier/driver"
)

// ErrNotContextDB means a file is not an upstream StackMemory context.db:
// it is not SQLite, or it lacks the frames, events or anchors table or one
// of their key columns. It wraps driver.ErrBadDSN, so the manager reports
// the connection string as unusable.
var ErrNotContextDB = fmt.Errorf("%w: not a StackMemory context.db", driver.ErrBadDSN)

// ErrSchemaTooNew means the file was adopted by a newer release of this
// package; it is left untouched.
var ErrSchemaTooNew = errors.New("contextdb: the file was adopted by a newer release")

// wrapErr names operation op in err and maps SQLite's result codes to the
// driver sentinels: a lock held too long, a file that cannot be read or
// written → driver.ErrUnavailable; a damaged file → driver.ErrCorrupt.
// A context error in the chain (see withCtx) wins over both: the caller
// gave up. The original error stays in the chain for errors.As.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	prefix := "contextdb: " + op
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrClosed) || errors.Is(err, driver.ErrInvalidRecord) ||
		errors.Is(err, driver.ErrCorrupt) || errors.Is(err, driver.ErrUnavailable) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	var code sqlite3.ErrorCode
	if errors.As(err, &code) {
		switch code {
		case sqlite3.BUSY, sqlite3.LOCKED, sqlite3.IOERR, sqlite3.CANTOPEN,
			sqlite3.FULL, sqlite3.PROTOCOL, sqlite3.NOTADB, sqlite3.READONLY,
			sqlite3.INTERRUPT, sqlite3.NOLFS, sqlite3.AUTH, sqlite3.PERM:
			return fmt.Errorf("%s: %w: %w", prefix, driver.ErrUnavailable, err)
		case sqlite3.CORRUPT:
			return fmt.Errorf("%s: %w: %w", prefix, driver.ErrCorrupt, err)
		}
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// withCtx puts ctx's error in front of err when ctx is done, so that
// wrapErr reports an interrupted statement as the caller's cancellation.
func withCtx(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// errClosed is returned by every method called after Close.
func errClosed(op string) error {
	return fmt.Errorf("contextdb: %s: %w", op, driver.ErrClosed)
}

// invalid returns an error wrapping driver.ErrInvalidRecord about frame id.
func invalid(id, format string, args ...any) error {
	return fmt.Errorf("%w: frame %s: %s", driver.ErrInvalidRecord, id, fmt.Sprintf(format, args...))
}
