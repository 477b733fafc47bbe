// Package driver defines the interface a storage tier implements so that a
// [github.com/stackmemoryai/tier.Manager] can keep frames in it.
//
// It plays the role database/sql/driver plays for database/sql: hosts use the
// portable tier.Manager, and driver authors implement [Tier] (required) plus
// any of the optional interfaces ([Querier], [Batcher], [Pinger]) their store
// supports. The manager discovers optional interfaces once, by type
// assertion, and falls back to the required methods when they are missing.
//
// Every driver must pass the conformance suite in package drivertest.
//
// # Contract shared by every method
//
//   - ctx comes first; a method returns promptly once ctx is done.
//   - A Tier is safe for concurrent use by multiple goroutines.
//   - Not found is not an error: Get reports a missing frame with ok == false,
//     and Delete of a missing frame succeeds.
//   - Writes are idempotent and conditional on version: Put never replaces a
//     stored copy whose Version is greater than the one being written.
//   - Data is returned byte for byte as it was written, with the Checksum it
//     was written with. A driver that detects a damaged copy returns an error
//     wrapping [ErrCorrupt]; it never returns the damaged bytes.
//   - After Close, every method returns an error wrapping [ErrClosed].
//   - A failure to reach the store is returned wrapping [ErrUnavailable], so
//     the manager can tell "down" from "not here".
//   - When ctx is done before or during a call, the error wraps ctx.Err()
//     ([context.Canceled] or [context.DeadlineExceeded]) and not
//     ErrUnavailable: the caller gave up, the store did not fail. The
//     manager tells its own per-tier deadline apart itself.
//   - Every error keeps the store's own error in its chain, so errors.As
//     reaches it (a *pgconn.PgError, a rueidis error ...).
//   - A Limit of zero or less asks for nothing: Candidates and Query
//     return no result and no error.
//   - A store that forgets on its own (TTL, eviction under memory
//     pressure) may lose part of a frame's keys; such a frame is missing,
//     never corrupt.
package driver

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors a driver wraps so the manager can classify failures
// without matching strings.
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("tier driver: closed")
	// ErrUnavailable means the store could not be reached or did not answer
	// in time. The operation may or may not have happened.
	ErrUnavailable = errors.New("tier driver: unavailable")
	// ErrCorrupt means a stored copy failed to decode or did not match its
	// checksum. The copy is not returned.
	ErrCorrupt = errors.New("tier driver: corrupt copy")
	// ErrBadDSN means the connection string could not be used: wrong
	// scheme, unknown parameter, bad value, or a store it names that does
	// not exist (a missing database). Every bad option of every driver
	// wraps it.
	ErrBadDSN = errors.New("tier driver: bad connection string")
	// ErrInvalidRecord means a record was refused before anything was
	// written: empty ID, a Size or Checksum that does not match its Data, a
	// Version out of range, a document larger than the tier can hold.
	ErrInvalidRecord = errors.New("tier driver: invalid record")
)

// CorruptError reports damaged copies found by a call on several frames
// ([Batcher.GetMany]). It matches ErrCorrupt with errors.Is. The records
// returned with it are the sound copies, all of them.
type CorruptError struct {
	IDs []string // the frames whose copies are damaged
	Err error    // what was wrong with the first of them; may be nil
}

func (e *CorruptError) Error() string {
	msg := fmt.Sprintf("tier driver: corrupt copy of %d frame(s) %v", len(e.IDs), e.IDs)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports ErrCorrupt as the error's kind.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap returns the underlying error.
func (e *CorruptError) Unwrap() error { return e.Err }

// Driver opens tiers from a connection string. A driver registers itself with
// tier.Register in its package's init function.
type Driver interface {
	// Open opens a tier described by dsn, a URL whose scheme selected this
	// driver. Unknown URL parameters must be rejected with ErrBadDSN. A
	// store that cannot be reached is reported with ErrUnavailable: the
	// manager then runs without the tier and calls Open again later. On
	// error the returned Tier is nil (not an interface holding a nil
	// pointer) and nothing is left behind.
	Open(ctx context.Context, dsn string) (Tier, error)
}

// Tier is the interface every storage tier implements.
type Tier interface {
	// Durable reports whether a frame written here survives a restart of the
	// store and is never evicted on its own (no TTL, no LRU eviction). The
	// manager never lets a non-durable tier hold the only copy of a frame.
	// The answer must not change during the life of the Tier.
	Durable() bool

	// Get returns the stored copy of the frame with the given ID. A missing
	// frame is reported with ok == false and a nil error. Get does not count
	// as an access for the eviction policy; the manager reports accesses in
	// batches through Touch.
	Get(ctx context.Context, id string) (rec Record, ok bool, err error)

	// Put stores rec unless the tier holds the same frame with a greater
	// Version, in which case Put does nothing and returns nil. Writing the
	// same Version again is allowed and must leave one copy. Access
	// statistics (LastAccess, AccessCount, LFUKey) are taken from rec when
	// the frame is new to the tier and kept otherwise. A record with an
	// empty ID, a Version above math.MaxInt64, or a Checksum or Size that
	// does not match its Data is refused with ErrInvalidRecord and nothing
	// is written. A frame the store forgot on its own (evicted) can be
	// stored again.
	Put(ctx context.Context, rec Record) error

	// Delete removes the frame if the stored copy's Version is at most
	// upTo; a newer copy is kept. Deleting a missing frame returns nil.
	// Pass [AnyVersion] to delete whatever is stored.
	Delete(ctx context.Context, id string, upTo uint64) error

	// Touch records reads of frames held by this tier, so that Candidates can
	// order them. Unknown IDs are ignored.
	Touch(ctx context.Context, hits []Access) error

	// Candidates returns up to q.Limit frames (none when Limit is 0) in the
	// order q.Policy evicts them, first to go first, ties by ascending ID,
	// using an index: the cost must not grow with the number of frames that
	// are not returned.
	Candidates(ctx context.Context, q CandidateQuery) ([]Meta, error)

	// Usage reports how many frames and document bytes the tier holds.
	Usage(ctx context.Context) (Usage, error)

	// Close releases the tier's resources. A second Close returns an error
	// wrapping ErrClosed.
	Close() error
}

// AnyVersion passed to Tier.Delete removes whatever version is stored.
const AnyVersion = ^uint64(0)

// Meta is what a tier knows about a frame besides its document.
type Meta struct {
	ID        string    // UUID in canonical lower-case form
	SessionID string    // UUID of the agent run; may be empty
	ProjectID string    // free-form project name; may be empty
	ParentID  string    // UUID of the parent frame; empty when none
	CreatedAt time.Time // set by the manager, UTC, microsecond precision
	Version   uint64    // grows with every write of the frame; at most math.MaxInt64
	Checksum  uint32    // CRC-32C (Castagnoli) of Data
	Size      int64     // len(Data)

	LastAccess  time.Time // last read, or the write time
	AccessCount int64     // reads since the frame was created
	// LFUKey orders frames by decayed access frequency; see [LFUKey].
	LFUKey float64
}

// Record is a frame as it travels between the manager and a tier.
type Record struct {
	Meta
	// Data is the JSON document, byte for byte as the host gave it.
	Data []byte
	// Compressed optionally holds Data encoded with brotli. A driver that
	// stores compressed documents may store these bytes as they are instead
	// of compressing Data again, and may fill the field on Get so the bytes
	// pass through to the next tier. It is never required.
	Compressed []byte
}

// Access is one batch of reads of a frame, reported through Tier.Touch.
type Access struct {
	ID    string
	At    time.Time // time of the last of the reads
	Count int64     // number of reads, at least 1
}

// Policy names the order in which a tier gives up frames.
type Policy string

// The eviction policies of the StackMemory spec.
const (
	LRU Policy = "LRU" // least recently accessed first
	LFU Policy = "LFU" // least frequently accessed first, decayed over time
	AGE Policy = "AGE" // oldest created first
)

// CandidateQuery selects frames to move out of a tier.
type CandidateQuery struct {
	Policy Policy
	Limit  int
	// CreatedBefore, when not zero, keeps only frames created before it.
	CreatedBefore time.Time
	// AccessedBefore, when not zero, keeps only frames whose LastAccess is
	// before it.
	AccessedBefore time.Time
}

// Usage is the space a tier uses.
type Usage struct {
	Frames int64
	Bytes  int64 // sum of Size over the frames
}
