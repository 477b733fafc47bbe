package sqlitedriver

import (
	"context"
	"errors"

	"github.com/jmoiron/sqlx"
)

// upsertSQL writes a frame unless a newer version is stored. Access
// statistics are set only on insert; an update keeps those of the stored
// row. The triggers keep frames_fts and tier_metadata in step in the same
// transaction.
const upsertSQL = `INSERT INTO frames (frame_id, session_id, project_id, parent_id,
	created_at, version, checksum, size_bytes, data, last_accessed, access_count, lfu_key)
VALUES (?1, nullif(?2, ''), nullif(?3, ''), nullif(?4, ''), ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (frame_id) DO UPDATE SET
	session_id = excluded.session_id,
	project_id = excluded.project_id,
	parent_id  = excluded.parent_id,
	created_at = excluded.created_at,
	version    = excluded.version,
	checksum   = excluded.checksum,
	size_bytes = excluded.size_bytes,
	data       = excluded.data
WHERE excluded.version >= frames.version`

// touchSQL records Count reads at time At: last_accessed never moves
// backwards, and the LFU key is advanced by the tier_lfu_key function
// (driver.LFUKey) registered on every connection.
const touchSQL = `UPDATE frames SET
	last_accessed = max(last_accessed, ?1),
	access_count  = access_count + ?2,
	lfu_key       = tier_lfu_key(lfu_key, ?1, ?2)
WHERE frame_id = ?3`

// statements are prepared once at open; database/sql re-prepares them on
// each connection of the pool on first use.
type statements struct {
	get      *sqlx.Stmt // read pool
	getMany  *sqlx.Stmt // read pool
	getMetas *sqlx.Stmt // read pool
	usage    *sqlx.Stmt // read pool
	put      *sqlx.Stmt // writer
	del      *sqlx.Stmt // writer
	touch    *sqlx.Stmt // writer
}

func (st *statements) prepare(ctx context.Context, r, w *sqlx.DB) error {
	var err error
	prep := func(db *sqlx.DB, query string) *sqlx.Stmt {
		if err != nil {
			return nil
		}
		var s *sqlx.Stmt
		s, err = db.PreparexContext(ctx, query)
		return s
	}
	st.get = prep(r, `SELECT `+metaColumns+`, data FROM frames WHERE frame_id = ?`)
	st.getMany = prep(r, `SELECT `+metaColumns+`, data FROM frames
		WHERE frame_id IN (SELECT value FROM json_each(?))`)
	st.getMetas = prep(r, `SELECT `+metaColumns+` FROM frames
		WHERE frame_id IN (SELECT value FROM json_each(?))`)
	st.usage = prep(r, `SELECT count(*), coalesce(sum(size_bytes), 0) FROM tier_metadata`)
	st.put = prep(w, upsertSQL)
	st.del = prep(w, `DELETE FROM frames WHERE frame_id = ? AND version <= ?`)
	st.touch = prep(w, touchSQL)
	return err
}

func (st *statements) close() error {
	var err error
	for _, s := range []*sqlx.Stmt{st.get, st.getMany, st.getMetas, st.usage, st.put, st.del, st.touch} {
		if s != nil {
			err = errors.Join(err, s.Close())
		}
	}
	return err
}
