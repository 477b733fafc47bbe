// Package contextdb is a tier of [github.com/stackmemoryai/tier] over the
// per-project .stackmemory/context.db that upstream StackMemory already
// keeps: the file is adopted in place, and upstream keeps working on it.
// It uses ncruces/go-sqlite3 (no cgo) through sqlx, with FTS5.
//
// # Opening
//
// Importing the package registers the driver under the scheme "contextdb":
//
//	import _ "github.com/stackmemoryai/tier/contextdb"
//
//	t, err := tier.OpenTier(ctx, "contextdb:///home/me/app/.stackmemory/context.db")
//
// URL forms: contextdb:///abs/path, contextdb:relative/path and
// contextdb:~/path. Parameters: busy_timeout (a Go duration, default
// [DefaultBusyTimeout], 5s: how long a call waits for a lock another
// process holds; the driver sets no other deadline) and max_conns (read
// connections, default [DefaultMaxConns], 4). Anything else is refused
// with driver.ErrBadDSN. Frames upstream changed are re-encoded
// [DefaultRefreshBatch] (256) per transaction. Hosts that skip the
// registry call [ParseURL] and [Open].
//
// The file must exist and be an upstream context.db; [IsContextDB] tells,
// without creating or changing anything, so a configuration can pick this
// driver when the user points the SQLite tier at such a file. [Frames]
// reads the frames of a file without adopting it (`storage import`).
//
// # What adoption changes in the file
//
// Open adopts the file once, in one transaction (several processes may
// open it at once). It adds:
//
//   - to frames, by ALTER TABLE, the storage spec's columns tier_status
//     TEXT DEFAULT 'hot', last_accessed INTEGER (unix seconds, like
//     upstream's created_at; NULL until the first read) and access_count
//     INTEGER DEFAULT 1;
//   - tier_metadata: the spec's frame_id, tier_level, promoted_at,
//     access_pattern, size_bytes, and the driver's version, checksum,
//     created_us, last_access_us, lfu_key, stale and document columns,
//     with indexes for the eviction orders;
//   - tier_fts, the driver's own contentless FTS5 index of documents;
//   - tier_adoption, recording [SchemaVersion] and upstream's layout;
//   - the index tier_frames_by_parent on frames(parent_frame_id);
//   - triggers tier_* on frames, events and anchors that record
//     upstream's writes in tier_metadata. They use only core SQL
//     functions and write only tier_metadata, so they run in whatever
//     SQLite upstream uses.
//
// Upstream's columns, indexes, foreign keys, triggers, its own frames_fts
// index and its rows are left as they are; its queries, joins and cascading
// deletes keep working. The file is put in WAL mode, upstream's default.
//
// # Documents
//
// Each upstream frame is a record: ID = frame_id, SessionID = run_id,
// ProjectID = project_id, ParentID = parent_frame_id, CreatedAt =
// created_at (unix seconds; a host's microseconds are kept beside it).
// Its document is a JSON object with the frames row's columns under their
// names, in the table's column order, then "events" and "anchors", arrays
// of their rows (in insertion order) built the same way:
//
//	{"frame_id":"…","run_id":"…","project_id":"acme","parent_frame_id":null,"depth":0,
//	 "type":"task","name":"fix login","state":"closed","inputs":{"files":["a.go"]},…,
//	 "created_at":1760000000,"closed_at":1760000100,
//	 "events":[{"event_id":"…","run_id":"…","frame_id":"…","seq":1,"event_type":"tool_call",
//	   "payload":{"tool":"bash"},"ts":1760000000000}],
//	 "anchors":[{"anchor_id":"…","frame_id":"…","type":"DECISION","text":"…","priority":1,
//	   "metadata":{},"created_at":1760000000}]}
//
// The encoding is canonical: compact, values by SQLite storage class
// (NULL null, INTEGER a number without fraction, REAL a number with one,
// TEXT a string, BLOB {"$blob":"<base64>"}), except that the JSON columns
// (inputs, outputs, digest_json, payload, metadata) holding a JSON object
// or array appear as that value, byte for byte. Decoding it gives back
// every row exactly, storage classes included: a frame demoted and brought
// back has the rows it had.
//
// A host may put any document of that shape: keys are column names;
// frame_id, run_id, project_id, parent_frame_id and created_at may be left
// to the record's Meta (and must agree with it when present), an event's
// or anchor's frame_id, run_id and project_id to the frame; other columns
// left out take their default, and a NOT NULL column without default is
// required. Its events and anchors become exactly the frame's. A document
// of another shape is refused with driver.ErrInvalidRecord naming every
// missing or unexpected key. When the document is not the canonical
// encoding of the rows written, its bytes are kept beside them
// (tier_metadata.document) and Get returns them, byte for byte, until
// upstream changes the rows.
//
// # Changes made by upstream
//
// When upstream inserts, updates or deletes a frame, event or anchor, the
// triggers mark the frame: its version becomes max(version+1, now in
// microseconds), so it is newer than any copy the manager holds, and the
// kept bytes are dropped. Reads then return the canonical encoding of the
// current rows; Usage, Candidates, Query and Compact first re-encode the
// marked frames (checksum, size, full-text entry) and forget deleted ones.
// When upstream alters its tables (a new release adds a column), the next
// Open follows: documents carry the new columns, under newer versions.
//
// # Foreign keys
//
// Upstream enforces its foreign keys (events and anchors cascade on
// delete, parent_frame_id references frames). The driver's connections do
// not: a frame may come back before its parent, and the driver deletes a
// frame's events and anchors itself. Candidates offers only frames no
// other frame in the file names as parent, so demotion takes trees from
// the leaves and the file's references stay valid. A parent deleted
// explicitly (Delete of a frame that still has children in the file)
// leaves its children's parent_frame_id naming a frame that lives in a
// lower tier; SQLite checks a row's references only when the row is
// written, so upstream keeps reading and updating such children, and
// bringing the parent back makes the references whole again.
//
// # Concurrency and durability
//
// A [Store] is safe for concurrent use, and several processes, upstream
// StackMemory included, may use the file at once: WAL, readers never
// block the writer, and write transactions begin IMMEDIATE and wait up to
// the busy timeout, then fail with driver.ErrUnavailable. synchronous =
// NORMAL: a committed frame survives a crash of the process. Reads verify
// the stored checksum: rows or kept bytes changed behind the triggers'
// back are reported with driver.ErrCorrupt, never returned.
package contextdb
