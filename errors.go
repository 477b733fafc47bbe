package tier

import (
	"github.com/stackmemoryai/tier/internal/engine"
)

// Errors returned by the package. Test for them with errors.Is; the returned
// error carries the tier and frame ID in its message.
var (
	// ErrNotFound means no tier holds the frame, and every tier that may
	// hold it was reached.
	ErrNotFound = engine.ErrNotFound
	// ErrUnavailable means a tier that may hold the frame, or that a query
	// needed, could not be reached; the frame may exist, the answer may be
	// partial. The message names the tier. It is driver.ErrUnavailable.
	ErrUnavailable = engine.ErrUnavailable
	// ErrInvalidFrame means the frame was refused before any tier was
	// touched: bad ID, invalid JSON, oversize document.
	ErrInvalidFrame = engine.ErrInvalidFrame
	// ErrClosed is returned by every method of a closed Manager, including a
	// second Close.
	ErrClosed = engine.ErrClosed
	// ErrCorrupt means a stored copy failed its checksum. The manager never
	// returns such a copy; it reports the error only when no good copy could
	// be found. It is driver.ErrCorrupt.
	ErrCorrupt = engine.ErrCorrupt
	// ErrBadConfig means a Config, a tier URL or an option could not be
	// used; the message names the field or parameter to fix.
	ErrBadConfig = engine.ErrBadConfig
	// ErrBusy means another process is moving frames of the same state
	// file; Maintain, Migrate and Compact return it at once.
	ErrBusy = engine.ErrBusy
	// ErrBadCursor means a Query cursor was not made by the same query
	// (same filters and text; the page size and the time bounds may
	// change); the message says what to pass instead.
	ErrBadCursor = engine.ErrBadCursor
	// ErrUnknownDriver means no driver is registered for a URL scheme.
	ErrUnknownDriver = engine.ErrUnknownDriver
)

// FrameError describes a failure concerning one frame in one tier. Reach
// it with errors.As.
type FrameError = engine.FrameError

// FieldError names one bad field of a configuration. Errors about several
// fields join one FieldError per field (errors.As finds the first; the
// message lists all).
type FieldError struct {
	Field  string // the field's path, like "Config.SyncInterval" or "storage.tiers.redis.ttl"
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }
