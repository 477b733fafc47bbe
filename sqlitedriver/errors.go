package sqlitedriver

import (
	"context"
	"errors"
	"fmt"

	"github.com/ncruces/go-sqlite3"
	"github.com/stackmemoryai/tier/driver"
)

// ErrSchemaTooNew means the database file was written by a newer release
// of this package (its PRAGMA user_version is greater than
// [SchemaVersion]). The file is left untouched. Test for it with
// errors.Is.
var ErrSchemaTooNew = errors.New("sqlitedriver: database schema is newer than this release")

// wrapErr is the one place errors of database/sql and SQLite become errors
// of this package: op names the operation (and the frame, when there is
// one). A caller that gave up (the context's error in the chain) stays
// that, never ErrUnavailable; SQLite result codes map to the driver
// sentinel they mean (busy, locked, I/O, not a database: ErrUnavailable;
// corrupt: ErrCorrupt); the original error stays in the chain for
// errors.As.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	prefix := "sqlitedriver: " + op
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrClosed) || errors.Is(err, driver.ErrCorrupt) ||
		errors.Is(err, driver.ErrInvalidRecord) || errors.Is(err, driver.ErrBadDSN) ||
		errors.Is(err, driver.ErrUnavailable) || errors.Is(err, ErrSchemaTooNew) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	var code sqlite3.ErrorCode
	if !errors.As(err, &code) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	switch code {
	case sqlite3.CORRUPT:
		return fmt.Errorf("%s: %w: %w", prefix, driver.ErrCorrupt, err)
	case sqlite3.TOOBIG:
		return fmt.Errorf("%s: %w: %w", prefix, driver.ErrInvalidRecord, err)
	case sqlite3.INTERNAL, sqlite3.ERROR, sqlite3.MISUSE, sqlite3.RANGE,
		sqlite3.CONSTRAINT, sqlite3.MISMATCH, sqlite3.SCHEMA, sqlite3.FORMAT:
		return fmt.Errorf("%s: %w", prefix, err)
	}
	// BUSY, LOCKED, IOERR, CANTOPEN, FULL, NOTADB, READONLY, NOMEM,
	// INTERRUPT (not ours: another process or a shutdown) ...: the file
	// could not be used now.
	return fmt.Errorf("%s: %w: %w", prefix, driver.ErrUnavailable, err)
}

// fail is wrapErr for a call of s under ctx: after Close it is ErrClosed,
// and once ctx is done the context's error joins err (SQLite reports an
// interrupted statement as INTERRUPT, without the reason).
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return fmt.Errorf("sqlitedriver: %s: %w", op, driver.ErrClosed)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%w)", ctxErr, err)
	}
	return wrapErr(op, err)
}

func errClosed(op string) error {
	return fmt.Errorf("sqlitedriver: %s: %w", op, driver.ErrClosed)
}

// invalid reports a record or argument refused before anything was
// written.
func invalid(op, format string, args ...any) error {
	return fmt.Errorf("sqlitedriver: %s: %w: %s", op, driver.ErrInvalidRecord, fmt.Sprintf(format, args...))
}
