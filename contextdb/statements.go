package contextdb

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
)

// stmtCache holds the statements of the hot paths, prepared once when the
// store opens (database/sql then keeps each prepared on every connection
// that runs it, so a hot read does not parse its SQL again). It is never
// filled later: preparing needs a free connection, and the writer pool's
// only connection is busy inside the transaction that would ask. Texts
// not in it run unprepared.
type stmtCache struct {
	m map[string]*sqlx.Stmt
}

// newStmtCache prepares texts on db.
func newStmtCache(ctx context.Context, db *sqlx.DB, texts ...string) (*stmtCache, error) {
	c := &stmtCache{m: map[string]*sqlx.Stmt{}}
	for _, text := range texts {
		if _, ok := c.m[text]; ok {
			continue
		}
		st, err := db.PreparexContext(ctx, text)
		if err != nil {
			return c, errors.Join(err, c.close())
		}
		c.m[text] = st
	}
	return c, nil
}

func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	var err error
	for _, st := range c.m {
		err = errors.Join(err, st.Close())
	}
	c.m = nil
	return err
}

// in returns a queryer that runs statements in tx through the cache.
func (c *stmtCache) in(tx *sqlx.Tx) cachedTx { return cachedTx{tx: tx, c: c} }

// cachedTx is a transaction whose statements come from a stmtCache.
type cachedTx struct {
	tx *sqlx.Tx
	c  *stmtCache
}

func (q cachedTx) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	st, ok := q.c.m[query]
	if !ok {
		return nil, nil
	}
	return q.tx.StmtxContext(ctx, st), nil
}

func (q cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return q.tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (q cachedTx) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return q.tx.QueryxContext(ctx, query, args...)
	}
	return st.QueryxContext(ctx, args...)
}

func (q cachedTx) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		return q.tx.QueryRowxContext(ctx, query, args...)
	}
	return st.QueryRowxContext(ctx, args...)
}

func (q cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return q.tx.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// GetContext scans the single row of query into dest, as sqlx.GetContext.
func (q cachedTx) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, q, dest, query, args...)
}

// SelectContext scans the rows of query into dest, as sqlx.SelectContext.
func (q cachedTx) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, q, dest, query, args...)
}

// Statement texts of the hot paths, prepared at open.
const (
	sqlMetaByID       = `SELECT ` + metaColumns + metaFrom + ` WHERE m.frame_id = ? AND m.stale < 2`
	sqlVersionByID    = `SELECT version FROM tier_metadata WHERE frame_id = ? AND stale < 2`
	sqlRowidVersion   = `SELECT rowid, version FROM tier_metadata WHERE frame_id = ? AND stale < 2`
	sqlRowidByID      = `SELECT rowid FROM tier_metadata WHERE frame_id = ?`
	sqlDeleteEvents   = `DELETE FROM events WHERE frame_id = ?`
	sqlDeleteAnchors  = `DELETE FROM anchors WHERE frame_id = ?`
	sqlDeleteFrame    = `DELETE FROM frames WHERE frame_id = ?`
	sqlDeleteMetadata = `DELETE FROM tier_metadata WHERE frame_id = ?`
	sqlDeleteFTS      = `DELETE FROM tier_fts WHERE rowid = ?`
	sqlInsertFTS      = `INSERT INTO tier_fts (rowid, body) VALUES (?, ?)`
	sqlTouchMetadata  = `UPDATE tier_metadata SET last_access_us = max(last_access_us, ?1), lfu_key = tier_lfu_key(lfu_key, ?1, ?2) WHERE frame_id = ?3 AND stale < 2`
	sqlTouchFrame     = `UPDATE frames SET last_accessed = max(coalesce(last_accessed, 0), ?1), access_count = coalesce(access_count, 0) + ?2 WHERE frame_id = ?3`
	sqlStaleBatch     = `SELECT rowid, frame_id, stale FROM tier_metadata WHERE stale > 0 LIMIT ?`
	sqlForgetMetadata = `DELETE FROM tier_metadata WHERE rowid = ?`
	sqlEncoded        = `UPDATE tier_metadata SET stale = 0, document = NULL, checksum = ?1, size_bytes = ?2,
		created_us = CASE WHEN created_us / 1000000 = ?3 THEN created_us ELSE ?3 * 1000000 END
		WHERE rowid = ?4`
	sqlUpsertMetadata = `INSERT INTO tier_metadata (frame_id, tier_level, promoted_at, size_bytes,
		version, checksum, stale, created_us, last_access_us, lfu_key, document)
	VALUES (?1, 1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9)
	ON CONFLICT (frame_id) DO UPDATE SET
		size_bytes = excluded.size_bytes, version = excluded.version, checksum = excluded.checksum,
		stale = 0, created_us = excluded.created_us, document = excluded.document,
		promoted_at = CASE WHEN ?10 THEN promoted_at ELSE excluded.promoted_at END,
		last_access_us = CASE WHEN ?10 THEN last_access_us ELSE excluded.last_access_us END,
		lfu_key = CASE WHEN ?10 THEN lfu_key ELSE excluded.lfu_key END`
)

// readTexts are the statements of reads, for l.
func (l *layout) readTexts() []string {
	return []string{sqlMetaByID, l.rowsSQL(&l.frames, rowsOfFrame), l.rowsSQL(&l.events, rowsOfChild), l.rowsSQL(&l.anchors, rowsOfChild)}
}

// writeTexts are the statements of writes, and the reads they make.
func (l *layout) writeTexts() []string {
	return append(l.readTexts(), l.upsertFrameSQL(l.frames.names()), insertSQL(&l.events, l.events.names()),
		insertSQL(&l.anchors, l.anchors.names()), sqlVersionByID, sqlRowidVersion, sqlRowidByID, sqlDeleteEvents, sqlDeleteAnchors,
		sqlDeleteFrame, sqlDeleteMetadata, sqlDeleteFTS, sqlInsertFTS, sqlTouchMetadata, sqlTouchFrame, sqlUpsertMetadata,
		sqlStaleBatch, sqlForgetMetadata, sqlEncoded)
}
