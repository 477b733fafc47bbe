package sqlitedriver

import (
	"context"
	"strings"

	"github.com/stackmemoryai/tier/driver"
)

// Query lists or searches the frames of the file, with their data.
//
// Without Text, hits are the newest CreatedAt first, ties by ascending
// frame ID, served by the created_at, project and session indexes. With
// Text (web-search syntax, see the package documentation), hits are the
// best match first — Rank is the negated FTS5 bm25 score, higher is
// better — then newest, then by ID. After resumes after the given hit
// (keyset pagination); Limit below 1 means no limit. Text that holds no
// searchable word returns no hits; no input can cause an FTS5 syntax
// error. Every hit's data is verified as in Get: a damaged copy fails the
// call with driver.ErrCorrupt.
func (s *Store) Query(ctx context.Context, q driver.Query) ([]driver.Hit, error) {
	if s.closed.Load() {
		return nil, errClosed("query")
	}
	query, args, ok := querySQL(q)
	if !ok {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(ctx, "query", "", err)
	}
	defer rows.Close()
	var hits []driver.Hit
	for rows.Next() {
		var h driver.Hit
		var m rawMeta
		dest := append(m.dest(&h.Meta), &h.Data, &h.Rank)
		if err := rows.Scan(dest...); err != nil {
			return nil, s.wrap(ctx, "query", "", err)
		}
		m.fill(&h.Meta)
		if h.Data == nil {
			h.Data = []byte{}
		}
		if err := verify(h.Record); err != nil {
			return nil, err
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(ctx, "query", "", err)
	}
	return hits, nil
}

// querySQL builds the statement of Query. ok is false when the text has
// no searchable term, so nothing can match.
func querySQL(q driver.Query) (query string, args []any, ok bool) {
	var b strings.Builder
	var where []string
	text := strings.TrimSpace(q.Text) != ""
	if text {
		expr, ok := matchExpression(q.Text)
		if !ok {
			return "", nil, false
		}
		b.WriteString(`SELECT ` + metaColumns + `, data, -bm25(frames_fts) AS score
FROM frames_fts JOIN frames ON frames.rowid = frames_fts.rowid`)
		where = append(where, `frames_fts MATCH ?`)
		args = append(args, expr)
	} else {
		b.WriteString(`SELECT ` + metaColumns + `, data, 0.0 AS score FROM frames`)
	}
	if q.ProjectID != "" {
		where = append(where, `project_id = ?`)
		args = append(args, q.ProjectID)
	}
	if q.SessionID != "" {
		where = append(where, `session_id = ?`)
		args = append(args, q.SessionID)
	}
	if !q.CreatedAfter.IsZero() {
		where = append(where, `created_at >= ?`)
		args = append(args, q.CreatedAfter.UnixMicro())
	}
	if !q.CreatedBefore.IsZero() {
		where = append(where, `created_at < ?`)
		args = append(args, q.CreatedBefore.UnixMicro())
	}
	if c := q.After; c != nil {
		created := c.CreatedAt.UnixMicro()
		// Rows sorting after (created, id) in "created_at DESC, frame_id".
		later := `(created_at < ? OR (created_at = ? AND frame_id > ?))`
		if text {
			where = append(where, `(-bm25(frames_fts) < ? OR (-bm25(frames_fts) = ? AND `+later+`))`)
			args = append(args, c.Rank, c.Rank, created, created, c.ID)
		} else {
			where = append(where, later)
			args = append(args, created, created, c.ID)
		}
	}
	if len(where) > 0 {
		b.WriteString(` WHERE ` + strings.Join(where, ` AND `))
	}
	if text {
		b.WriteString(` ORDER BY score DESC, created_at DESC, frame_id`)
	} else {
		b.WriteString(` ORDER BY created_at DESC, frame_id`)
	}
	limit := q.Limit
	if limit < 1 {
		limit = -1 // SQLite: no limit
	}
	b.WriteString(` LIMIT ?`)
	args = append(args, limit)
	return b.String(), args, true
}
