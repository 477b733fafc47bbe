package contextdb

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/stackmemoryai/tier/driver"
)

// SchemaVersion is the version of what adoption adds to a file, recorded
// in the tier_adoption table. Open refuses a file adopted by a newer
// release ([ErrSchemaTooNew]).
const SchemaVersion = 1

// nowMicros and nowSeconds are the current time in SQL, with functions
// every SQLite has (the triggers run inside upstream's SQLite too).
const (
	nowMicros = `CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)`
	nowDays   = `(julianday('now') - 2440587.5)`
)

// lfuEpochUnix is driver.LFUKey's epoch, 2020-01-01 UTC, in unix seconds.
const lfuEpochUnix = 1577836800

// halfLifeSeconds is driver.DecayHalfLife in seconds, as SQL text.
var halfLifeSeconds = strconv.FormatFloat(driver.DecayHalfLife.Seconds(), 'f', -1, 64)

// newLFUKeySQL is driver.NewLFUKey(t, 1) in SQL for t given in unix seconds.
func newLFUKeySQL(unixSeconds string) string {
	return `((` + unixSeconds + ` - ` + strconv.Itoa(lfuEpochUnix) + `) / ` + halfLifeSeconds + `)`
}

// createdMicros is a frames row's created_at (unix seconds) in microseconds.
func createdMicros(row string) string {
	return `(coalesce(CAST(` + row + `.created_at AS INTEGER), 0) * 1000000)`
}

// adoptionSQL creates the driver's own tables and indexes. tier_metadata
// holds the storage spec's columns (tier_level, promoted_at,
// access_pattern, size_bytes) and the driver's: version, checksum,
// stale (0 current, 1 rows changed since the document was encoded, 2 the
// frame's row is gone), created_us, last_access_us, lfu_key, and document
// (the bytes a host put, when they differ from the canonical encoding).
const adoptionSQL = `
CREATE TABLE tier_metadata (
	frame_id       TEXT PRIMARY KEY NOT NULL,
	tier_level     INTEGER NOT NULL DEFAULT 1,
	promoted_at    INTEGER,
	access_pattern TEXT,
	size_bytes     INTEGER NOT NULL DEFAULT 0,
	version        INTEGER NOT NULL,
	checksum       INTEGER NOT NULL DEFAULT 0,
	stale          INTEGER NOT NULL DEFAULT 1,
	created_us     INTEGER NOT NULL,
	last_access_us INTEGER NOT NULL,
	lfu_key        REAL NOT NULL,
	document       BLOB
);
CREATE INDEX tier_metadata_stale ON tier_metadata(stale) WHERE stale > 0;
CREATE INDEX tier_metadata_by_access ON tier_metadata(last_access_us, frame_id);
CREATE INDEX tier_metadata_by_lfu ON tier_metadata(lfu_key, frame_id);
CREATE INDEX tier_metadata_by_created ON tier_metadata(created_us, frame_id);
CREATE INDEX tier_frames_by_parent ON frames(parent_frame_id);
CREATE VIRTUAL TABLE tier_fts USING fts5(
	body,
	content = '',
	contentless_delete = 1,
	tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE tier_adoption (
	schema_version INTEGER NOT NULL,
	layout         TEXT NOT NULL,
	adopted_at     INTEGER NOT NULL
);`

// addedColumnsSQL are the storage spec's columns, added to frames by
// ALTER TABLE when missing.
var addedColumnsSQL = map[string]string{
	"tier_status":   `ALTER TABLE frames ADD COLUMN tier_status TEXT DEFAULT 'hot'`,
	"last_accessed": `ALTER TABLE frames ADD COLUMN last_accessed INTEGER`,
	"access_count":  `ALTER TABLE frames ADD COLUMN access_count INTEGER DEFAULT 1`,
}

// bump marks a tier_metadata row changed by upstream: re-encode it, forget
// the bytes a host put, and give it a version newer than any before.
const bump = `stale = 1, document = NULL, version = max(version + 1, ` + nowMicros + `)`

// triggerNames are the triggers of triggersSQL, dropped before they are
// created again for a new layout.
var triggerNames = []string{
	"tier_frames_insert", "tier_frames_update", "tier_frames_delete",
	"tier_events_insert", "tier_events_update", "tier_events_delete",
	"tier_anchors_insert", "tier_anchors_update", "tier_anchors_delete",
}

// triggersSQL returns the triggers that keep tier_metadata in step with
// upstream's writes. They use only plain SQL and core functions and write
// only tier_metadata, so they run in any SQLite upstream uses.
func triggersSQL(l *layout) string {
	var changed []string
	for _, c := range l.frames.cols {
		q := quoteIdent(c.name)
		changed = append(changed, `old.`+q+` IS NOT new.`+q)
	}
	insertNew := `INSERT INTO tier_metadata (frame_id, tier_level, promoted_at, size_bytes, version,
		checksum, stale, created_us, last_access_us, lfu_key)
	VALUES (new.frame_id, 1, ` + nowMicros + `, 0, ` + nowMicros + `, 0, 1, ` + createdMicros("new") + `, ` +
		nowMicros + `, ` + newLFUKeySQL(nowDays+`*86400`) + `)`
	var b strings.Builder
	b.WriteString(`
CREATE TRIGGER tier_frames_insert AFTER INSERT ON frames BEGIN
	` + insertNew + `
	ON CONFLICT (frame_id) DO UPDATE SET stale = 1, document = NULL,
		version = max(tier_metadata.version + 1, excluded.version),
		created_us = excluded.created_us,
		last_access_us = CASE WHEN tier_metadata.stale = 2 THEN excluded.last_access_us ELSE tier_metadata.last_access_us END,
		lfu_key = CASE WHEN tier_metadata.stale = 2 THEN excluded.lfu_key ELSE tier_metadata.lfu_key END;
END;
CREATE TRIGGER tier_frames_update AFTER UPDATE OF ` + quoteList(l.frames.names()) + ` ON frames
WHEN ` + strings.Join(changed, ` OR `) + ` BEGIN
	UPDATE tier_metadata SET stale = 2, document = NULL WHERE frame_id = old.frame_id AND old.frame_id IS NOT new.frame_id;
	INSERT OR IGNORE INTO tier_metadata (frame_id, tier_level, promoted_at, size_bytes, version,
		checksum, stale, created_us, last_access_us, lfu_key)
	SELECT new.frame_id, 1, ` + nowMicros + `, 0, ` + nowMicros + `, 0, 1, ` + createdMicros("new") + `, ` +
		nowMicros + `, ` + newLFUKeySQL(nowDays+`*86400`) + ` WHERE old.frame_id IS NOT new.frame_id;
	UPDATE tier_metadata SET ` + bump + ` WHERE frame_id = new.frame_id;
END;
CREATE TRIGGER tier_frames_delete AFTER DELETE ON frames BEGIN
	UPDATE tier_metadata SET stale = 2, document = NULL WHERE frame_id = old.frame_id;
END;
`)
	for _, t := range []string{"events", "anchors"} {
		fmt.Fprintf(&b, `
CREATE TRIGGER tier_%[1]s_insert AFTER INSERT ON %[1]s BEGIN
	UPDATE tier_metadata SET %[2]s WHERE frame_id = new.frame_id AND stale < 2;
END;
CREATE TRIGGER tier_%[1]s_update AFTER UPDATE ON %[1]s BEGIN
	UPDATE tier_metadata SET %[2]s WHERE frame_id IN (old.frame_id, new.frame_id) AND stale < 2;
END;
CREATE TRIGGER tier_%[1]s_delete AFTER DELETE ON %[1]s BEGIN
	UPDATE tier_metadata SET %[2]s WHERE frame_id = old.frame_id AND stale < 2;
END;
`, t, bump)
	}
	return b.String()
}

// backfillSQL gives every frame already in the file its tier_metadata row,
// marked stale so that the first refresh encodes it. Its version is its
// creation time in microseconds (at least 1), the version [Frames] reports
// for a file never adopted.
var backfillSQL = `INSERT INTO tier_metadata (frame_id, tier_level, promoted_at, size_bytes, version,
	checksum, stale, created_us, last_access_us, lfu_key)
SELECT frame_id, 1, ` + nowMicros + `, 0, max(` + createdMicros("frames") + `, 1), 0, 1, ` +
	createdMicros("frames") + `, ` + createdMicros("frames") + `, ` +
	newLFUKeySQL(`coalesce(CAST(frames.created_at AS INTEGER), 0)`) + `
FROM frames WHERE frame_id IS NOT NULL`

// adopt brings the file to SchemaVersion in one write transaction, so that
// several processes opening the same file at once adopt it exactly once.
// It returns the file's upstream layout. On a file adopted before whose
// upstream tables have changed since (upstream migrated them), it creates
// the triggers again and marks every frame for re-encoding.
func adopt(ctx context.Context, tx *sqlx.Tx) (*layout, error) {
	l, err := readLayout(ctx, tx)
	if err != nil {
		return nil, err
	}
	var adopted int
	if err := tx.GetContext(ctx, &adopted, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tier_adoption'`); err != nil {
		return nil, err
	}
	sig := l.signature()
	if adopted > 0 {
		var version int
		var oldSig string
		if err := tx.QueryRowxContext(ctx, `SELECT schema_version, layout FROM tier_adoption`).Scan(&version, &oldSig); err != nil {
			return nil, fmt.Errorf("reading tier_adoption: %w", err)
		}
		if version > SchemaVersion {
			return nil, fmt.Errorf("%w: adopted with schema version %d, this release knows up to %d", ErrSchemaTooNew, version, SchemaVersion)
		}
		if oldSig == sig {
			return l, nil
		}
		if err := execAll(ctx, tx, dropTriggersSQL(), triggersSQL(l),
			`UPDATE tier_metadata SET `+bump+` WHERE stale < 2`); err != nil {
			return nil, err
		}
		_, err := tx.ExecContext(ctx, `UPDATE tier_adoption SET layout = ?`, sig)
		return l, err
	}
	var have []string
	if err := tx.SelectContext(ctx, &have, `SELECT name FROM pragma_table_info('frames')`); err != nil {
		return nil, err
	}
	var stmts []string
	for _, name := range addedColumns {
		if !slices.Contains(have, name) {
			stmts = append(stmts, addedColumnsSQL[name])
		}
	}
	stmts = append(stmts, adoptionSQL, triggersSQL(l), backfillSQL)
	if err := execAll(ctx, tx, stmts...); err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tier_adoption (schema_version, layout, adopted_at) VALUES (?, ?, ?)`,
		SchemaVersion, sig, time.Now().Unix())
	return l, err
}

func dropTriggersSQL() string {
	var b strings.Builder
	for _, n := range triggerNames {
		b.WriteString(`DROP TRIGGER IF EXISTS ` + n + `;`)
	}
	return b.String()
}

func execAll(ctx context.Context, tx *sqlx.Tx, stmts ...string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("adoption: %w", err)
		}
	}
	return nil
}
