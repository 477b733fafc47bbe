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
// driver.Tier (durable), driver.Querier, driver.Batcher, driver.Pinger and
// driver.Compactor.
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
// default_transaction_isolation. The package's own parameters are listed
// at [ParseURL]. Anything else is an error wrapping driver.ErrBadDSN, and no
// error ever shows the password.
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
// document), parent_id, lfu_key, frame_data_raw, and the indexes
// idx_frames_archive_lru and idx_frames_archive_lfu that candidate
// selection reads.
//
// A document is kept byte for byte in exactly one of two columns: brotli
// bytes in frame_data_compressed when it is at least compress_min bytes and
// compression makes it smaller (or when the caller passed Record.Compressed,
// stored as is), otherwise the document itself in frame_data_raw. JSONB
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
// each other and all succeed. Migrations only create and add (IF NOT
// EXISTS); they never drop or rewrite data.
//
// # Search
//
// search_vector is jsonb_to_tsvector('english', frame_data, '["string"]'),
// the string values of the document (not its keys), computed by the server
// on every write. [Store.Query] parses its text with websearch_to_tsquery
// ("quoted phrase", -exclude, OR) and ranks with ts_rank.
//
// Ranking every match of a common word is what makes full-text search slow
// on a large archive (ts_rank over 90,000 matches takes about 450 ms), so a
// query ranks only the SearchWindow (default 500) newest matches. The
// planner, with the actual query text, picks the cheaper way to find them:
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
// # Failures
//
// Every call without a deadline in its context gets Options.Timeout (batch
// calls one millisecond more per frame). A call that finds its connection
// broken (the server restarted, pg_terminate_backend) is retried on another
// connection when that is safe, so the pool recovers without the caller
// seeing an error. A server that cannot be reached or does not answer in
// time gives an error wrapping driver.ErrUnavailable; a timed-out statement
// may still complete on the server. After [Store.Close] every method
// returns an error wrapping driver.ErrClosed.
//
// # Costs
//
// [Store.Usage] counts the table (a sequential scan). [Store.PutMany] runs a
// few statements of 250 frames at once; its throughput is bounded by the
// server computing each frame's JSONB copy and search vector.
// [Store.Compact] applies retention_days and runs VACUUM ANALYZE.
package pgdriver
