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
	Query(ctx context.Context, q Query) ([]Hit, error)
}

// Query filters frames. Zero fields do not filter.
type Query struct {
	ProjectID     string
	SessionID     string
	CreatedAfter  time.Time // inclusive
	CreatedBefore time.Time // exclusive
	// Text is a full-text query in web-search syntax: words are ANDed,
	// "quoted phrases" match in order, -word excludes, OR between words.
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
	// left out. When a copy is damaged it returns an error wrapping
	// ErrCorrupt; the records it returns with that error, if any, are sound.
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
