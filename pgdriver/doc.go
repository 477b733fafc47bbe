// Package pgdriver is the PostgreSQL cold tier of [github.com/stackmemoryai/tier]:
// the long-term archive of frames, with analytics in SQL and full-text
// search, on a [github.com/jackc/pgx/v5/pgxpool] connection pool.
//
// A host enables it with a blank import and a URL:
//
//	import _ "github.com/stackmemoryai/tier/pgdriver"
//
//	postgres://user:pass@db.example:5432/frames?sslmode=verify-full&retention_days=365
//
// or skips the registry with [ParseURL] and [Open]. A [Store] implements
// driver.Tier (durable), driver.Querier, driver.Batcher,
// driver.BatchDeleter, driver.MetaGetter, driver.Pinger,
// driver.Compactor, driver.SizeLimiter, driver.Aser (a **pgxpool.Pool)
// and driver.Notifier (LISTEN/NOTIFY).
//
// # The URL
//
// Both postgres:// and postgresql:// are registered. Every setting pgx
// understands is honoured: host, port, user, password, dbname, sslmode and
// the other ssl* settings, connect_timeout, target_session_attrs, service,
// the pool_* settings of pgxpool (pool_max_conns, pool_max_conn_lifetime
// ...), statement_cache_capacity, default_query_exec_mode. These server
// settings are passed to PostgreSQL at connection start: application_name,
// search_path, statement_timeout, lock_timeout,
// idle_in_transaction_session_timeout, idle_session_timeout,
// client_encoding, timezone, datestyle, work_mem, maintenance_work_mem,
// default_text_search_config, jit, synchronous_commit, role,
// default_transaction_isolation. The package's own parameters are:
//
//	compression=1..11|none  brotli quality of stored documents
//	compress_min=BYTES      compress documents of at least this size
//	retention_days=N        Compact deletes frames older than N days
//	timeout=DURATION        deadline of a call on one frame whose ctx has none
//	batch_timeout=DURATION  deadline of a batch call or query whose ctx has none
//	search_window=N         newest matches ranked by a text query
//
// Anything else is an error wrapping driver.ErrBadDSN, and no error ever
// shows the password.
//
// # Defaults
//
// Every default is an exported constant, stated once here:
//
//	per-call timeout         [DefaultTimeout]        200 ms (the storage spec's)
//	batch and query timeout  [DefaultBatchTimeout]   10 s
//	brotli quality           [DefaultCompression]    5 ([LargeCompression], 3, from [LargeDocument], 1 MiB)
//	compress from            [DefaultCompressMin]    4096 bytes
//	ranked search matches    [DefaultSearchWindow]   500
//	retention                none (retention_days=0)
//
// and the archive's limits: documents up to [MaxFrameSize] (32 MiB), of
// which the first [SearchIndexChars] (65,536) characters of string values
// are indexed for search.
//
// # Schema
//
// The tables live in the first schema of the connection's search_path
// (public by default; set search_path to keep several archives in one
// database). frames_archive is the table of the StackMemory storage spec,
// which external tools read:
//
//	frame_id UUID PRIMARY KEY, session_id UUID, project_id TEXT,
//	frame_data JSONB, frame_data_compressed BYTEA, created_at TIMESTAMPTZ,
//	archived_at TIMESTAMPTZ DEFAULT now(), last_accessed TIMESTAMPTZ,
//	access_count INTEGER, size_bytes INTEGER, search_vector TSVECTOR
//
// with the spec's four indexes idx_frames_archive_project (project_id),
// idx_frames_archive_session (session_id), idx_frames_archive_search (GIN on
// search_vector) and idx_frames_archive_created (created_at). The library
// adds version (writes are conditional on it), checksum (CRC-32C of the
// document), parent_id, lfu_key, frame_data_raw, the indexes
// idx_frames_archive_lru and idx_frames_archive_lfu that candidate
// selection reads, idx_frames_archive_parent for the children of a frame,
// and the change-notification triggers (see "Change notification").
//
// A document is kept byte for byte in exactly one of two columns: brotli
// bytes in frame_data_compressed when it is at least compress_min bytes and
// compression makes it smaller (or when the caller passed Record.Compressed,
// stored as is), otherwise the document itself in frame_data_raw. A
// document of LargeDocument bytes or more is compressed at quality
// LargeCompression at most, and only when its first 256 KiB compress below
// 70% of their size: a high-entropy document is stored as is. JSONB
// would reorder keys and drop whitespace, so frame_data is a copy for SQL
// analytics only; it is NULL for a document PostgreSQL cannot store as
// JSONB (not JSON, or containing \u0000). Reads check the size and checksum
// and report a mismatch as driver.ErrCorrupt.
//
// Empty session and parent IDs are stored as NULL, an empty project as NULL,
// and a zero time as the year-1 instant (which sorts first).
//
// # Migrations
//
// Numbered SQL files embedded in the package bring the schema to
// [SchemaVersion]; applied versions are recorded in tier_schema_migrations.
// [Open] runs the missing ones in one transaction holding
// pg_advisory_xact_lock, so processes opening a database at once wait for
// each other and all succeed. Migrations only create and add (tables,
// columns, indexes, the notification function and triggers); they never
// drop or rewrite data.
//
// # Search
//
// [Store.Query] reads the query language of driver.Search (words, "quoted
// phrases", -exclusions, OR, prefix*), parsed with driver.ParseSearch, so
// the same text finds the same frames here as in every other tier. The
// parsed search is translated into a tsquery of the english configuration
// built from bound parameters only: phraseto_tsquery for each word or
// phrase, to_tsquery(word || ':*') for a prefix (the word holds only
// letters and digits), joined with &&, || and !!. A text with no positive
// term matches nothing.
//
// search_vector holds the string values of the document (not its keys or
// numbers), computed by the server on every write: jsonb_to_tsvector for a
// document of at most SearchIndexChars bytes, else to_tsvector of the
// first SearchIndexChars characters of its string values. PostgreSQL
// refuses a search vector whose words take more than 1 MB, and indexing a
// bounded prefix is what lets every document up to MaxFrameSize be
// archived; words past the prefix of a very large document are not found.
// Hits are ranked with ts_rank.
//
// Ranking every match of a common word is what makes full-text search slow
// on a large archive (ts_rank over 90,000 matches takes about 450 ms), so a
// query ranks only the SearchWindow (default 500) newest matches. The
// planner, with the actual query words, picks the cheaper way to find them:
// walking the created_at index newest first and stopping after
// SearchWindow matches (a common word), or the GIN index (a rare word, all
// of whose matches are then ranked). Either way the work is bounded by
// SearchWindow rows, whatever the size of the archive. The trade-off: for a
// query matching more than SearchWindow frames, an older but better match
// is not returned unless the time range is narrowed. A phrase whose words
// are common but rarely adjacent is the slow case: PostgreSQL's statistics
// cannot tell, and the newest-first walk may read many frames to find
// SearchWindow matches.
//
// # Change notification
//
// Migration 0003 adds statement triggers on frames_archive that NOTIFY the
// IDs of frames inserted, deleted, or given a new version or checksum
// (not access statistics), at most 200 per notification, on the channel
// "tier_frames_" followed by 16 hex digits of the MD5 of the table's
// schema: archives in different schemas or databases do not hear each
// other. [Store.Subscribe] listens on a connection of its own, batches
// what arrives together, and after a lost connection reconnects and
// reports a reset, since notifications sent meanwhile are lost.
//
// # Tombstones
//
// [Store.Bury] deletes a frame and records, in the table frame_tombstones
// (frame_id UUID PRIMARY KEY, up_to BIGINT, deleted_at TIMESTAMPTZ,
// migration 0005), the version it was deleted up to. Writes skip a frame
// buried at or after their version, so a machine that still holds a copy
// it had not replicated, or whose notification of the delete was lost,
// cannot bring the frame back. A write and a Bury of the same frame are
// serialized by a transaction-scoped advisory lock on the frame (shared
// for writes, exclusive for Bury; the two-key form, first key 0x74696572).
// [Store.Compact] forgets tombstones older than Options.TombstoneDays.
//
// # Failures
//
// A call whose context has no deadline gets Options.Timeout when it
// concerns one frame, or Options.BatchTimeout when its work grows with its
// input (batches, queries, Usage, a document of LargeDocument bytes or
// more). A call that finds its connection broken (the server restarted,
// pg_terminate_backend) is retried on another connection when that is
// safe, so the pool recovers without the caller seeing an error. Errors
// keep the server's own error (*pgconn.PgError ...) for errors.As and wrap
// a sentinel of package driver:
//
//   - the caller's context ended: its error (context.Canceled or
//     context.DeadlineExceeded), never driver.ErrUnavailable;
//   - no answer within the Store's own deadline, a server that cannot be
//     reached: driver.ErrUnavailable (a timed-out statement may still
//     complete on the server);
//   - a bad option, a database or schema that does not exist, a role or
//     password the server refuses: driver.ErrBadDSN;
//   - a record the archive cannot take: driver.ErrInvalidRecord;
//   - a damaged copy: driver.ErrCorrupt, as a *driver.CorruptError naming
//     the frames when a call reads several;
//   - after [Store.Close]: driver.ErrClosed.
//
// # Costs
//
// [Store.Usage] counts the table (a sequential scan). [Store.PutMany] runs a
// few statements of 250 frames at once; its throughput is bounded by the
// server computing each frame's JSONB copy and search vector.
// [Store.Compact] applies retention_days and runs VACUUM ANALYZE.
package pgdriver
