package sqlitedriver

import (
	"context"
	"errors"
	"fmt"

	"github.com/ncruces/go-sqlite3"
	"github.com/stackmemoryai/tier/driver"
)

// Errors specific to this package. Test for them with errors.Is.
var (
	// ErrInvalidInput means an argument was refused before the database was
	// touched: an empty frame ID, a version that does not fit in SQLite's
	// INTEGER, a checksum or size that does not match the data, an unknown
	// policy. Nothing was changed.
	ErrInvalidInput = errors.New("sqlitedriver: invalid input")
	// ErrSchemaTooNew means the database file was written by a newer
	// release of this package (its PRAGMA user_version is greater than the
	// schema version this release knows). The file is left untouched.
	ErrSchemaTooNew = errors.New("sqlitedriver: database schema is newer than this release")
)

// wrap classifies err from database/sql or SQLite for operation op on
// frame id (empty when the operation concerns no single frame). The native
// error stays reachable with errors.As.
func (s *Store) wrap(ctx context.Context, op, id string, err error) error {
	if err == nil {
		return nil
	}
	prefix := "sqlitedriver: " + op
	if id != "" {
		prefix += " frame " + id
	}
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", prefix, driver.ErrClosed)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(err, sqlite3.INTERRUPT) || errors.Is(err, ctxErr) {
			return fmt.Errorf("%s: %w", prefix, ctxErr)
		}
	}
	if kind := classify(err); kind != nil {
		return fmt.Errorf("%s: %w: %w", prefix, kind, err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// classify maps SQLite result codes to the driver sentinel they mean, or
// nil when none applies.
func classify(err error) error {
	var code sqlite3.ErrorCode
	if !errors.As(err, &code) {
		return nil
	}
	switch code {
	case sqlite3.BUSY, sqlite3.LOCKED, sqlite3.IOERR, sqlite3.CANTOPEN,
		sqlite3.FULL, sqlite3.PROTOCOL, sqlite3.NOTADB, sqlite3.READONLY,
		sqlite3.INTERRUPT, sqlite3.NOLFS, sqlite3.AUTH, sqlite3.PERM:
		return driver.ErrUnavailable
	case sqlite3.CORRUPT:
		return driver.ErrCorrupt
	}
	return nil
}

func errClosed(op string) error {
	return fmt.Errorf("sqlitedriver: %s: %w", op, driver.ErrClosed)
}
