// Package sqlitedriver is the hot tier of [github.com/stackmemoryai/tier]:
// frames in an embedded SQLite file (ncruces/go-sqlite3 through sqlx), with
// FTS5 full-text search. It needs no network and no cgo, and on its own is a
// complete configuration.
//
// # Opening
//
// Importing the package registers the driver under the scheme "sqlite":
//
//	import _ "github.com/stackmemoryai/tier/sqlitedriver"
//
//	t, err := tier.OpenTier(ctx, "sqlite:///home/me/.stackmemory/frames.db?busy_timeout=5s")
//
// URL forms: sqlite:///abs/path.db, sqlite:relative/path.db, sqlite:~/path.db,
// and sqlite: or sqlite:// for [DefaultPath] (~/.stackmemory/frames.db).
// Parameters: busy_timeout (a Go duration, default 5s) and max_conns (read
// connections, default 4); any other parameter is rejected with
// driver.ErrBadDSN. Hosts that skip the registry call [Open] with [Options].
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
//     right.
//   - PRAGMA user_version is the schema version ([SchemaVersion]). Open
//     applies missing migrations in one transaction and refuses a file with
//     a newer version ([ErrSchemaTooNew]).
//
// # Search
//
// [Store.Query] takes web-search syntax in Query.Text: words are ANDed,
// "quoted phrases" match in order, -word excludes, a OR b matches either,
// and word* matches a prefix. Every term reaches FTS5 as a quoted string,
// so no input can cause an FTS5 syntax error or change the query's
// structure. Hits are ranked by bm25 (Hit.Rank = -bm25, higher is better).
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
package sqlitedriver
