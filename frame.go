package tier

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/engine"
)

// Frame is one StackMemory frame: a JSON record an agent wrote about a step
// of its work, with the identifiers the library indexes it by.
//
// The host sets the identity fields and Data. The manager fills the fields
// below the marker; values the host puts there are ignored on Put.
type Frame struct {
	// ID is the frame's UUID. Put assigns a new UUIDv7 when it is empty.
	ID string `json:"frame_id"`
	// SessionID is the UUID of the agent run (StackMemory's run_id);
	// optional.
	SessionID string `json:"session_id,omitempty"`
	// ProjectID names the project; optional, at most 256 bytes.
	ProjectID string `json:"project_id,omitempty"`
	// ParentID is the UUID of the frame this one belongs under; optional.
	ParentID string `json:"parent_frame_id,omitempty"`
	// CreatedAt is when the frame was created; Put uses the current time
	// when it is zero. Kept at microsecond precision, in UTC.
	CreatedAt time.Time `json:"created_at"`
	// Data is the frame document. It must be valid JSON; every tier returns
	// it byte for byte as it was stored.
	Data json.RawMessage `json:"data"`

	// Filled by the manager.

	// Level is the position in the chain of the tier the frame was read
	// from or written to: 1 is the first (hot) tier.
	Level int `json:"level"`
	// Tier is the name of that tier, like "sqlite" or "redis".
	Tier string `json:"tier"`
	// Version grows with every Put of the frame.
	Version uint64 `json:"version"`
	// Checksum is the CRC-32C of Data.
	Checksum uint32 `json:"checksum"`
	// Size is len(Data).
	Size int64 `json:"size_bytes"`
	// LastAccess and AccessCount are as recorded by the tier that holds the
	// frame; reads not yet flushed are not included.
	LastAccess  time.Time `json:"last_accessed"`
	AccessCount int64     `json:"access_count"`
}

// Limits on what the manager accepts, checked before any tier is touched.
const (
	// DefaultMaxFrameSize is the largest document Put accepts unless
	// Config.MaxFrameSize says otherwise, or a tier of the chain holds
	// less (then the tier's limit applies).
	DefaultMaxFrameSize = 16 << 20
	maxProjectIDLen     = 256
)

// NewID returns a new frame ID, a UUIDv7 (time-ordered, so IDs of frames
// created together sort together).
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil { // only when the system's random source fails
		return uuid.NewString()
	}
	return id.String()
}

// ParseID checks that s is a UUID and returns it in canonical lower-case
// form. The error wraps ErrInvalidFrame.
func ParseID(s string) (string, error) {
	if len(s) != 36 {
		return "", engine.Invalid(s, "frame ID %q is not a UUID", s)
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", engine.Invalid(s, "frame ID %q is not a UUID", s)
	}
	return u.String(), nil
}

// normalize validates f for Put and fills its defaults. It touches nothing
// but f.
func (f *Frame) normalize(now time.Time, maxSize int64) error {
	if f.ID == "" {
		f.ID = NewID()
	} else {
		id, err := ParseID(f.ID)
		if err != nil {
			return err
		}
		f.ID = id
	}
	for _, ref := range []struct {
		name string
		v    *string
	}{{"session ID", &f.SessionID}, {"parent ID", &f.ParentID}} {
		if *ref.v == "" {
			continue
		}
		u, err := uuid.Parse(*ref.v)
		if err != nil || len(*ref.v) != 36 {
			return engine.Invalid(f.ID, "%s %q is not a UUID", ref.name, *ref.v)
		}
		*ref.v = u.String()
	}
	if f.ParentID == f.ID {
		return engine.Invalid(f.ID, "a frame cannot be its own parent")
	}
	if len(f.ProjectID) > maxProjectIDLen {
		return engine.Invalid(f.ID, "project ID is %d bytes, at most %d allowed", len(f.ProjectID), maxProjectIDLen)
	}
	if len(f.Data) == 0 {
		return engine.Invalid(f.ID, "document is empty")
	}
	if int64(len(f.Data)) > maxSize {
		return engine.Invalid(f.ID, "document is %d bytes, at most %d allowed (MaxFrameSize; storage.maxFrameSize in config.json)", len(f.Data), maxSize)
	}
	if !json.Valid(f.Data) {
		return engine.Invalid(f.ID, "document is not valid JSON")
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = now
	}
	f.CreatedAt = f.CreatedAt.UTC().Truncate(time.Microsecond)
	f.Data = bytes.Clone(f.Data)
	f.Size = int64(len(f.Data))
	return nil
}

// record is what the engine stores of a validated frame.
func (f *Frame) record() driver.Record {
	return driver.Record{
		Meta: driver.Meta{
			ID:        f.ID,
			SessionID: f.SessionID,
			ProjectID: f.ProjectID,
			ParentID:  f.ParentID,
			CreatedAt: f.CreatedAt,
		},
		Data: f.Data,
	}
}

// frameOf converts a copy the engine found to a Frame.
func frameOf(c engine.Found) Frame {
	return Frame{
		ID:          c.ID,
		SessionID:   c.SessionID,
		ProjectID:   c.ProjectID,
		ParentID:    c.ParentID,
		CreatedAt:   c.CreatedAt,
		Data:        c.Data,
		Level:       c.Level,
		Tier:        c.Tier,
		Version:     c.Version,
		Checksum:    c.Checksum,
		Size:        c.Size,
		LastAccess:  c.LastAccess,
		AccessCount: c.AccessCount,
	}
}
