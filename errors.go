package tier

import (
	"errors"
	"fmt"

	"github.com/stackmemoryai/tier/driver"
)

// Errors returned by the package. Test for them with errors.Is; the returned
// error carries the tier and frame ID in its message.
var (
	// ErrNotFound means no tier that could be reached holds the frame, and
	// every tier that may hold it was reached.
	ErrNotFound = errors.New("tier: frame not found")
	// ErrUnavailable means a tier that may hold the frame could not be
	// reached; the frame may exist. It wraps driver.ErrUnavailable.
	ErrUnavailable = driver.ErrUnavailable
	// ErrInvalidFrame means the frame was refused before any tier was
	// touched: bad ID, invalid JSON, oversize document.
	ErrInvalidFrame = errors.New("tier: invalid frame")
	// ErrClosed is returned by every method of a closed Manager, including a
	// second Close.
	ErrClosed = errors.New("tier: manager closed")
	// ErrCorrupt means a stored copy failed its checksum. The manager never
	// returns such a copy; it reports the error only when no good copy could
	// be found.
	ErrCorrupt = driver.ErrCorrupt
	// ErrBadConfig means a Config or a tier URL could not be used.
	ErrBadConfig = errors.New("tier: bad config")
	// ErrUnknownDriver means no driver is registered for a URL scheme.
	ErrUnknownDriver = errors.New("unknown tier driver")
)

// FrameError describes a failure concerning one frame in one tier.
type FrameError struct {
	Op      string // "put", "get", "delete", "move" ...
	Tier    string // name of the tier, like "hot" or "redis"; empty if none
	FrameID string // may be empty
	Err     error
}

func (e *FrameError) Error() string {
	msg := "tier: " + e.Op
	if e.Tier != "" {
		msg += " in " + e.Tier
	}
	if e.FrameID != "" {
		msg += " frame " + e.FrameID
	}
	return msg + ": " + e.Err.Error()
}

func (e *FrameError) Unwrap() error { return e.Err }

func invalid(id, format string, args ...any) error {
	return &FrameError{Op: "validate", FrameID: id, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidFrame}, args...)...)}
}
