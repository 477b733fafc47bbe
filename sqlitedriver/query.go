package sqlitedriver

import (
	"context"
	"strings"

	"github.com/stackmemoryai/tier/driver"
)

// Query lists or searches the frames of the file, with their data.
//
// Without Text, hits are the newest CreatedAt first, ties by ascending
// frame ID, served by the created_at, project, session and parent indexes.
// With Text (the language of driver.Search), only the SearchWindow matches
// most recently written to the file that pass the other filters are
// ranked (see the package documentation, "Search"); hits are the best
// match first — Rank is the BM25 score (see tier_rank), higher is better —
// then newest, then by ID. After resumes after the given hit (keyset
// pagination). A Limit below 1, or a Text with no positive term, returns
// no hits. Damaged copies among the hits fail the call with an error
// wrapping driver.ErrCorrupt.
func (s *Store) Query(ctx context.Context, q driver.Query) ([]driver.Hit, error) {
	if s.closed.Load() {
		return nil, errClosed("query")
	}
	var counts []int64
	if _, phrases, ok := matchPhrases(q.Text); ok && q.Limit > 0 {
		var err error
		if counts, err = s.countMatches(ctx, phrases); err != nil {
			return nil, s.fail(ctx, "query", err)
		}
	}
	query, args, ok := querySQL(q, s.window, counts)
	if !ok {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(ctx, "query", err)
	}
	defer rows.Close()
	var hits []driver.Hit
	for rows.Next() {
		var h driver.Hit
		rec, err := scanRecord(rows, &h.Rank)
		if err != nil {
			return nil, s.fail(ctx, "query", err)
		}
		h.Record = rec
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, "query", err)
	}
	return hits, nil
}

// countMatches counts the frames holding each phrase, up to
// rankCountCap, for tier_rank.
func (s *Store) countMatches(ctx context.Context, phrases []string) ([]int64, error) {
	counts := make([]int64, len(phrases))
	for i, p := range phrases {
		err := s.r.GetContext(ctx, &counts[i], `SELECT count(*) FROM (
			SELECT 1 FROM frames_fts WHERE frames_fts MATCH ? LIMIT ?)`, p, rankCountCap)
		if err != nil {
			return nil, err
		}
	}
	return counts, nil
}

// querySQL builds the statement of Query. ok is false when nothing can
// match: a Limit below 1, or a text with no positive term.
//
// A text query runs in three steps, each materialized so that documents
// are read only for the hits returned: the window (walk the full-text
// index from its newest rowid, join each match to its frame for the
// filters, stop after window rows, scoring only those), the
// page (sort the window, apply the cursor and the limit), then the hits'
// rows with their data.
//
// counts are the match counts of the phrases of the text (see
// tier_rank); nil weighs every phrase the same.
func querySQL(q driver.Query, window int, counts []int64) (query string, args []any, ok bool) {
	if q.Limit < 1 {
		return "", nil, false
	}
	var where []string
	if q.ProjectID != "" {
		where = append(where, `frames.project_id = ?`)
		args = append(args, q.ProjectID)
	}
	if q.SessionID != "" {
		where = append(where, `frames.session_id = ?`)
		args = append(args, q.SessionID)
	}
	if q.ParentID != "" {
		where = append(where, `frames.parent_id = ?`)
		args = append(args, q.ParentID)
	}
	if !q.CreatedAfter.IsZero() {
		where = append(where, `frames.created_at >= ?`)
		args = append(args, q.CreatedAfter.UnixMicro())
	}
	if !q.CreatedBefore.IsZero() {
		where = append(where, `frames.created_at < ?`)
		args = append(args, q.CreatedBefore.UnixMicro())
	}
	// Rows sorting after (created, id) in "created_at DESC, frame_id".
	const later = `(frames.created_at < ? OR (frames.created_at = ? AND frames.frame_id > ?))`
	var b strings.Builder
	if strings.TrimSpace(q.Text) == "" {
		b.WriteString(`SELECT ` + metaColumns + `, frames.data, 0.0 FROM frames`)
		if c := q.After; c != nil {
			created := c.CreatedAt.UnixMicro()
			where = append(where, later)
			args = append(args, created, created, c.ID)
		}
		if len(where) > 0 {
			b.WriteString(` WHERE ` + strings.Join(where, ` AND `))
		}
		b.WriteString(` ORDER BY frames.created_at DESC, frames.frame_id LIMIT ?`)
		return b.String(), append(args, q.Limit), true
	}
	expr, ok := matchExpression(q.Text)
	if !ok {
		return "", nil, false
	}
	head := []any{}
	rank := "tier_rank(frames_fts"
	for _, n := range counts {
		rank += ", ?"
		head = append(head, n)
	}
	rank += ")"
	args = append(append(head, expr), args...)
	b.WriteString(`WITH win AS MATERIALIZED (
	SELECT frames_fts.rowid AS rid, ` + rank + ` AS score
	FROM frames_fts CROSS JOIN frames ON frames.rowid = frames_fts.rowid
	WHERE frames_fts MATCH ?`)
	for _, w := range where {
		b.WriteString(` AND ` + w)
	}
	b.WriteString(`
	ORDER BY frames_fts.rowid DESC LIMIT ?
), page AS MATERIALIZED (
	SELECT win.rid, win.score, frames.created_at, frames.frame_id
	FROM win CROSS JOIN frames ON frames.rowid = win.rid`)
	args = append(args, window)
	if c := q.After; c != nil {
		created := c.CreatedAt.UnixMicro()
		b.WriteString(`
	WHERE win.score < ? OR (win.score = ? AND ` + later + `)`)
		args = append(args, c.Rank, c.Rank, created, created, c.ID)
	}
	b.WriteString(`
	ORDER BY win.score DESC, frames.created_at DESC, frames.frame_id LIMIT ?
)
SELECT ` + metaColumns + `, frames.data, page.score
FROM page CROSS JOIN frames ON frames.rowid = page.rid
ORDER BY page.score DESC, page.created_at DESC, page.frame_id`)
	return b.String(), append(args, q.Limit), true
}
