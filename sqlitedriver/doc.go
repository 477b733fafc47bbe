// Package sqlitedriver is the hot tier of [github.com/stackmemoryai/tier]:
// frames in an embedded SQLite file (ncruces/go-sqlite3 through sqlx), with
// FTS5 full-text search. It needs no network and no cgo, and on its own is a
// complete configuration.
//
// # Opening
//
// [Driver] opens a tier from a URL under the scheme "sqlite":
//
//	t, err := tier.OpenTier(ctx, "sqlite:///home/me/.stackmemory/frames.db?busy_timeout=5s")
//
// URL forms ([ParseURL]): sqlite:///abs/path.db; sqlite:rel/path.db and
// sqlite://rel.db, relative to the working directory; sqlite:~/path.db and
// sqlite://~/path.db, relative to the home directory; sqlite: or sqlite://
// for [DefaultPath] (~/.stackmemory/frames.db). Parameters:
//
//	busy_timeout=DURATION  wait for another process's lock (DefaultBusyTimeout, 5s)
//	max_conns=N            read connections (DefaultMaxConns, 4)
//	search_window=N        matches ranked by a text query (DefaultSearchWindow, 500)
//
// Any other parameter is rejected with driver.ErrBadDSN. Hosts that skip
// the registry call [Open] with [Options].
//
// # Defaults
//
// Every default is one of the constants below, stated once. The driver
// applies no per-call deadline of its own: a call waits at most the busy
// timeout for another process's lock, and ends early when its ctx is done.
// It stores documents as they are (no compression): the file is local and
// reads must be fast. Documents larger than [MaxFrameSize] are refused
// with driver.ErrInvalidRecord; the store reports the limit through
// driver.SizeLimiter.
//
// A missing directory is created with mode 0700 and a new database file
// (and its -wal and -shm files) with mode 0600, whatever the umask.
//
// # Storage contract
//
// Other tools read the file, so these names are stable:
//
//   - frames: frame_id TEXT PRIMARY KEY, session_id, project_id, parent_id
//     (TEXT, NULL when empty), created_at (INTEGER, unix microseconds),
//     version, checksum (CRC-32C of data), size_bytes, data (BLOB, the JSON
//     document byte for byte), tier_status TEXT DEFAULT 'hot',
//     last_accessed (INTEGER, unix microseconds), access_count INTEGER
//     DEFAULT 1, lfu_key REAL (see driver.LFUKey).
//   - tier_metadata(frame_id PRIMARY KEY, tier_level, promoted_at,
//     access_pattern, size_bytes): one row per frame, written by triggers
//     in the same transaction as frames. tier_level is 1, promoted_at the
//     time (unix microseconds) the frame entered the file; access_pattern
//     is reserved and left NULL.
//   - frames_fts: a contentless FTS5 table (porter stemming, unicode61)
//     over the string values of each JSON document, keyed by the frames
//     rowid and kept in step by triggers, so any writer with FTS5 keeps it
//     right. A deleted frame's rowid is queued in frames_fts_stale(fts_rowid)
//     and its index entries are removed in batches (by this package's
//     deletes once 1000 are queued, and by Compact), which costs a fraction
//     of removing them one by one; a new frame that reuses a queued rowid
//     removes its entries at once. A reader of frames_fts joins frames on
//     rowid, so entries of deleted frames never match.
//   - PRAGMA user_version is the schema version ([SchemaVersion]). Open
//     applies missing migrations in one transaction and refuses a file with
//     a newer version ([ErrSchemaTooNew]).
//
// # Search
//
// [Store.Query] takes the query language of driver.Search in Query.Text
// (parsed by driver.ParseSearch): words are ANDed, "quoted phrases" match
// in order, -word excludes, a OR b matches either, and word* matches a
// prefix. Every term reaches FTS5 as a quoted string, so no input can
// cause an FTS5 syntax error or change the query's structure. A text with
// no positive term matches nothing.
//
// Only a bounded window is ranked: the SearchWindow matches (default
// [DefaultSearchWindow]) most recently written to the file that pass the
// other filters, found by walking the full-text index from its newest
// entry. Those are ranked by Okapi BM25 (Hit.Rank, higher is better), where
// the weight of each phrase comes from the number of frames holding it,
// counted up to 5000: so the cost of a query does not grow with the number
// of frames that match it. For a query with more matches than the window,
// an older but better match is not returned; narrow the query (a rarer
// word, a project, a time range) to reach it.
//
// # Concurrency and durability
//
// A [Store] is safe for concurrent use. Several processes may share one file:
// the file is in WAL mode, readers never block the writer, and write
// transactions begin IMMEDIATE and wait up to the busy timeout for the lock,
// then fail with driver.ErrUnavailable. Inside one process, writes queue on
// a single connection. synchronous=NORMAL: a committed frame survives a crash
// of the process; a power failure may lose the last commits but never
// corrupts the file. Every read verifies the stored checksum and size and
// reports damage with driver.ErrCorrupt instead of returning the bytes.
//
// # Native client
//
// [Store.As] with a **sqlx.DB gives the pool of read connections.
package sqlitedriver

import "time"

// Defaults applied to zero fields of [Options], and the size limit.
const (
	// DefaultBusyTimeout is how long an operation waits for a lock held
	// by another process before failing with driver.ErrUnavailable.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultMaxConns is the number of read connections; writes use one
	// connection of their own.
	DefaultMaxConns = 4
	// DefaultSearchWindow is how many of the newest matches of a
	// full-text query are ranked (see "Search").
	DefaultSearchWindow = 500
	// MaxFrameSize is the size in bytes of the largest document Put
	// accepts: 16 MiB, whatever the document holds (one huge word,
	// random bytes, many small words).
	MaxFrameSize = 16 << 20
)
