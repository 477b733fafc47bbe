package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stackmemoryai/tier/driver"
)

// The errors of the engine. The portable package exports each of them
// under the same name, with its contract; see its errors.go.
var (
	ErrNotFound      = errors.New("tier: frame not found")
	ErrUnavailable   = driver.ErrUnavailable
	ErrInvalidFrame  = errors.New("tier: invalid frame")
	ErrClosed        = errors.New("tier: manager closed")
	ErrCorrupt       = driver.ErrCorrupt
	ErrBadConfig     = errors.New("tier: bad config")
	ErrBusy          = errors.New("tier: another process is moving frames")
	ErrBadCursor     = errors.New("tier: invalid query cursor")
	ErrUnknownDriver = errors.New("unknown tier driver")
)

// FrameError describes a failure concerning one frame in one tier.
type FrameError struct {
	Op      string // "put", "get", "delete", "move" ...
	Tier    string // name of the tier, like "sqlite" or "redis"; empty if none
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
	// The sentinels say "tier: " too; once is enough.
	return msg + ": " + strings.TrimPrefix(e.Err.Error(), "tier: ")
}

func (e *FrameError) Unwrap() error { return e.Err }

// Invalid returns an error wrapping ErrInvalidFrame about frame id.
func Invalid(id, format string, args ...any) error {
	return &FrameError{Op: "validate", FrameID: id, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidFrame}, args...)...)}
}
