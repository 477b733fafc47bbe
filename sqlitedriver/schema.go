package sqlitedriver

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// frameText is the SQL expression, over the inserted row "new", that yields
// the text FTS5 indexes: the string values of the JSON document (keys and
// numbers left out), or the raw text when the document is not JSON. It is
// plain SQL so that any SQLite with FTS5 that writes the frames table keeps
// the index right.
const frameText = `CASE WHEN json_valid(CAST(new.data AS TEXT))
	THEN (SELECT group_concat(value, ' ') FROM json_tree(CAST(new.data AS TEXT)) WHERE type = 'text')
	ELSE CAST(new.data AS TEXT) END`

// nowMicros is the SQL expression of the current time in unix microseconds.
const nowMicros = `CAST(unixepoch('subsec') * 1000000 AS INTEGER)`

// migrations holds the schema changes in order; migrations[i] takes a file
// from user_version i to i+1. Released entries are never edited: a change
// of schema is a new entry appended here.
var migrations = [...]string{
	// 1: frames, tier_metadata, full-text index, triggers keeping them in step.
	`
CREATE TABLE frames (
	frame_id      TEXT PRIMARY KEY NOT NULL,
	session_id    TEXT,
	project_id    TEXT,
	parent_id     TEXT,
	created_at    INTEGER NOT NULL,
	version       INTEGER NOT NULL,
	checksum      INTEGER NOT NULL,
	size_bytes    INTEGER NOT NULL,
	data          BLOB NOT NULL,
	tier_status   TEXT NOT NULL DEFAULT 'hot',
	last_accessed INTEGER NOT NULL,
	access_count  INTEGER NOT NULL DEFAULT 1,
	lfu_key       REAL NOT NULL
);
CREATE INDEX frames_by_last_accessed ON frames(last_accessed, frame_id);
CREATE INDEX frames_by_lfu_key ON frames(lfu_key, frame_id);
CREATE INDEX frames_by_created ON frames(created_at, frame_id);
CREATE INDEX frames_by_created_desc ON frames(created_at DESC, frame_id);
CREATE INDEX frames_by_project ON frames(project_id, created_at DESC, frame_id);
CREATE INDEX frames_by_session ON frames(session_id, created_at DESC, frame_id);

CREATE TABLE tier_metadata (
	frame_id       TEXT PRIMARY KEY NOT NULL,
	tier_level     INTEGER NOT NULL DEFAULT 1,
	promoted_at    INTEGER,
	access_pattern TEXT,
	size_bytes     INTEGER NOT NULL
);

CREATE VIRTUAL TABLE frames_fts USING fts5(
	body,
	content = '',
	contentless_delete = 1,
	tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER frames_after_insert AFTER INSERT ON frames BEGIN
	INSERT INTO frames_fts(rowid, body) VALUES (new.rowid, ` + frameText + `);
	INSERT INTO tier_metadata(frame_id, tier_level, promoted_at, size_bytes)
		VALUES (new.frame_id, 1, ` + nowMicros + `, new.size_bytes)
		ON CONFLICT(frame_id) DO UPDATE SET
			tier_level = 1, promoted_at = excluded.promoted_at, size_bytes = excluded.size_bytes;
END;

CREATE TRIGGER frames_after_update_data AFTER UPDATE OF data ON frames
WHEN old.data IS NOT new.data BEGIN
	DELETE FROM frames_fts WHERE rowid = old.rowid;
	INSERT INTO frames_fts(rowid, body) VALUES (new.rowid, ` + frameText + `);
END;

CREATE TRIGGER frames_after_update_size AFTER UPDATE OF size_bytes ON frames
WHEN old.size_bytes IS NOT new.size_bytes BEGIN
	UPDATE tier_metadata SET size_bytes = new.size_bytes WHERE frame_id = new.frame_id;
END;

CREATE TRIGGER frames_after_delete AFTER DELETE ON frames BEGIN
	DELETE FROM frames_fts WHERE rowid = old.rowid;
	DELETE FROM tier_metadata WHERE frame_id = old.frame_id;
END;
`,
	// 2: children of a frame (Query.ParentID) come from an index; a deleted
	// frame's index entries are queued in frames_fts_stale and removed in
	// batches (flushStale), which costs a fraction of removing them one by
	// one; a new frame that reuses a queued rowid removes them at once.
	`
CREATE INDEX frames_by_parent ON frames(parent_id, created_at DESC, frame_id);

CREATE TABLE frames_fts_stale (fts_rowid INTEGER PRIMARY KEY);

DROP TRIGGER frames_after_delete;
CREATE TRIGGER frames_after_delete AFTER DELETE ON frames BEGIN
	INSERT OR IGNORE INTO frames_fts_stale(fts_rowid) VALUES (old.rowid);
	DELETE FROM tier_metadata WHERE frame_id = old.frame_id;
END;

DROP TRIGGER frames_after_insert;
CREATE TRIGGER frames_after_insert AFTER INSERT ON frames BEGIN
	DELETE FROM frames_fts WHERE rowid IN
		(SELECT fts_rowid FROM frames_fts_stale WHERE fts_rowid = new.rowid);
	DELETE FROM frames_fts_stale WHERE fts_rowid = new.rowid;
	INSERT INTO frames_fts(rowid, body) VALUES (new.rowid, ` + frameText + `);
	INSERT INTO tier_metadata(frame_id, tier_level, promoted_at, size_bytes)
		VALUES (new.frame_id, 1, ` + nowMicros + `, new.size_bytes)
		ON CONFLICT(frame_id) DO UPDATE SET
			tier_level = 1, promoted_at = excluded.promoted_at, size_bytes = excluded.size_bytes;
END;
`,
}

// staleFlushAt is the length of the queue of deleted frames' index entries
// (frames_fts_stale) from which a delete of this package empties it in the
// same transaction. Each entry costs a step of the search window's walk
// until then. The queue's length is looked up once every staleCheckEvery
// deletes of a process (counting it cost more than the delete), so with
// several processes deleting it may grow past staleFlushAt by up to
// staleCheckEvery per process.
const (
	staleFlushAt    = 1000
	staleCheckEvery = 64
)

// flushStaleSQL removes the queued index entries of deleted frames, all in
// one statement, which FTS5 does for a fraction of the cost of one
// statement per frame.
const flushStaleSQL = `DELETE FROM frames_fts WHERE rowid IN (SELECT fts_rowid FROM frames_fts_stale);
DELETE FROM frames_fts_stale;`

// SchemaVersion is the PRAGMA user_version of a file this release has
// created or migrated. Open refuses files with a greater version.
const SchemaVersion = len(migrations)

// migrate brings the file to SchemaVersion in one write transaction, so
// several processes opening the same new file at once apply each migration
// exactly once.
func migrate(ctx context.Context, db *sqlx.DB) (err error) {
	tx, err := db.BeginTxx(ctx, nil) // BEGIN IMMEDIATE: see the _txlock DSN parameter
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var version int
	if err := tx.GetContext(ctx, &version, `PRAGMA user_version`); err != nil {
		return err
	}
	if version > SchemaVersion {
		return fmt.Errorf("%w: file has schema version %d, this release knows up to %d",
			ErrSchemaTooNew, version, SchemaVersion)
	}
	if version == SchemaVersion {
		return tx.Commit()
	}
	for i := version; i < SchemaVersion; i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bound parameters; the value is a constant of ours.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}
