package driver

import (
	"context"
	"time"
)

// Querier is implemented by tiers that can list and search the frames they
// hold (SQLite FTS5, PostgreSQL tsvector). A tier without an index, such as
// Redis, does not implement it; the durable copies below it answer instead.
type Querier interface {
	// Query returns the frames matching q, best first: by Rank when q.Text is
	// set (then newest first), else newest CreatedAt first; ties by
	// ascending ID. Results carry Data. The result holds at most q.Limit
	// frames that sort after the cursor q.After. A tier may rank only a
	// bounded window of the newest text matches, and must document it.
	// A damaged copy is never returned: the hits come with a
	// *CorruptError naming the damaged frames that matched.
	Query(ctx context.Context, q Query) ([]Hit, error)
}

// Query filters frames. Zero fields do not filter.
type Query struct {
	ProjectID     string
	SessionID     string
	CreatedAfter  time.Time // inclusive
	CreatedBefore time.Time // exclusive
	// ParentID, when set, keeps only the children of that frame.
	ParentID string
	// Text is a full-text query in the language of [Search]; a driver
	// parses it with [ParseSearch]. A text with no positive term matches
	// nothing.
	Text  string
	Limit int
	// After resumes a listing: only hits that sort after it are returned.
	After *Cursor
}

// Cursor is the sort key of the last hit of a previous page.
type Cursor struct {
	Rank      float64
	CreatedAt time.Time
	ID        string
}

// Hit is one result of Query. Rank is higher for better matches; it is only
// comparable between hits of one tier and one query.
type Hit struct {
	Record
	Rank float64
}

// Batcher is implemented by tiers that move many frames in one round trip.
// Its methods follow the contract of the single-frame methods of Tier.
type Batcher interface {
	// GetMany returns the copies found, in any order; missing IDs are
	// left out. When copies are damaged it returns every sound copy
	// together with a *CorruptError naming the damaged ones.
	GetMany(ctx context.Context, ids []string) ([]Record, error)
	// PutMany stores every record under the rules of Tier.Put.
	PutMany(ctx context.Context, recs []Record) error
}

// Pinger is implemented by tiers that can check their store is reachable
// without reading a frame.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Compactor is implemented by tiers that can reclaim space (VACUUM,
// expiry of index entries whose keys are gone).
type Compactor interface {
	Compact(ctx context.Context) error
}

// BatchDeleter is implemented by tiers that delete many frames in one
// round trip or transaction. Each deletion follows the contract of
// Tier.Delete.
type BatchDeleter interface {
	DeleteMany(ctx context.Context, dels []Deletion) error
}

// Deletion asks for the copy of ID to be removed if its version is at most
// UpTo.
type Deletion struct {
	ID   string
	UpTo uint64
}

// MetaGetter is implemented by tiers that can report what they hold of
// frames (version, checksum, size ...) without reading or decoding the
// documents. The manager uses it to verify a copy it has just written and
// to revalidate copies that may be stale; without it, it reads the copies.
type MetaGetter interface {
	// GetMetas returns the metadata of the copies found, in any order;
	// missing IDs are left out.
	GetMetas(ctx context.Context, ids []string) ([]Meta, error)
}

// SizeLimiter is implemented by tiers that cannot hold documents of any
// size. The manager refuses a configuration whose largest frame does not
// fit in every tier of its chain.
type SizeLimiter interface {
	// MaxFrameSize returns the size in bytes of the largest document the
	// tier stores.
	MaxFrameSize() int64
}

// Aser is implemented by tiers that expose their underlying client, in the
// spirit of gocloud.dev's As: As sets target, a pointer to a type the
// driver documents (like **pgxpool.Pool), and reports whether it could.
// What a host does with the client is outside every promise of the
// manager.
type Aser interface {
	As(target any) bool
}

// Notifier is implemented by tiers shared between machines that can tell
// when frames change (Redis client tracking, PostgreSQL LISTEN/NOTIFY).
// The manager uses it to stop serving copies that another machine has
// superseded or deleted.
type Notifier interface {
	// Subscribe calls fn, from one goroutine at a time, with each change
	// seen in the tier, until ctx is done. It returns once the
	// subscription is set up, or with an error wrapping ErrUnavailable.
	// A Change with Reset set means notifications may have been missed
	// (the channel was lost or re-established): every copy taken from the
	// tier must be revalidated.
	Subscribe(ctx context.Context, fn func(Change)) error
}

// Change is one notification of a [Notifier].
type Change struct {
	IDs   []string // frames written or deleted
	Reset bool     // notifications may have been missed
	// Lost, with Reset, means the channel is down now: changes are missed
	// until a Change with Reset set and Lost clear.
	Lost bool
}

// Compressor is implemented by tiers that store documents compressed with
// brotli (the codec every compressing tier shares). When frames move
// down, the manager asks the first such tier on their way for the
// compressed bytes and passes them to every tier in Record.Compressed, so
// no document is compressed twice; the tier's own level and minimum size
// decide.
type Compressor interface {
	// Compress returns data compressed, or nil when the tier would store
	// it raw (too small to be worth it).
	Compress(data []byte) []byte
}

// Tombstoner is implemented by durable tiers shared between machines that
// remember deletes. A machine that still holds a copy of a frame another
// machine deleted (it had not replicated it yet, or missed the change
// notification) learns of the delete from the tombstone instead of writing
// the frame back.
type Tombstoner interface {
	// Bury deletes the frame if its stored version is at most upTo, as
	// Delete does, and leaves a tombstone: until it expires, Put and
	// PutMany store no copy of the frame at a version up to upTo (they
	// succeed and store nothing), even when they run at the same time as
	// Bury on another connection. Burying a frame twice keeps the greater
	// upTo.
	Bury(ctx context.Context, id string, upTo uint64) error
	// Tombstones returns, of ids, those with a tombstone, each with the
	// version it was deleted up to; IDs without one are left out.
	Tombstones(ctx context.Context, ids []string) (map[string]uint64, error)
}
