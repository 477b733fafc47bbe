package pgdriver

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stackmemoryai/tier/driver"
)

// queryBuilder accumulates the WHERE clause and arguments of a query.
type queryBuilder struct {
	where []string
	args  []any
}

// arg adds a bind argument and returns its placeholder.
func (b *queryBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return fmt.Sprintf("$%d", len(b.args))
}

// filters adds the project, session, parent and creation-range conditions
// of q on the table alias a. It reports false when q can match nothing (a
// session or parent ID that is not a UUID).
func (b *queryBuilder) filters(q *driver.Query) bool {
	if q.ProjectID != "" {
		b.where = append(b.where, "a.project_id = "+b.arg(q.ProjectID))
	}
	if q.SessionID != "" {
		u, ok := frameID(q.SessionID)
		if !ok {
			return false
		}
		b.where = append(b.where, "a.session_id = "+b.arg(u))
	}
	if q.ParentID != "" {
		u, ok := frameID(q.ParentID)
		if !ok {
			return false
		}
		b.where = append(b.where, "a.parent_id = "+b.arg(u))
	}
	if !q.CreatedAfter.IsZero() {
		b.where = append(b.where, "a.created_at >= "+b.arg(timestamptz(q.CreatedAfter)))
	}
	if !q.CreatedBefore.IsZero() {
		b.where = append(b.where, "a.created_at < "+b.arg(timestamptz(q.CreatedBefore)))
	}
	return true
}

func (b *queryBuilder) whereClause() string {
	if len(b.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.where, " AND ")
}

// rankedRow is a frame's row with its rank in a query.
type rankedRow struct {
	recordRow
	Rank float64 `db:"rank"`
}

// Query lists or searches the archive.
//
// Without q.Text, frames matching the filters (project, session, parent,
// creation range) come newest first (ties by ascending ID), read through
// the created_at index.
//
// With q.Text, in the query language of driver.Search (parsed with
// driver.ParseSearch and translated into a tsquery of the english
// configuration, see "Search" in the package documentation), hits come
// best first by ts_rank, then newest, then by ID. Only the
// Options.SearchWindow newest matching frames are ranked, which keeps a
// query on a word found in most of the archive as fast as one on a rare
// word; narrow the time range to reach older matches of a very common
// query. A text with no positive term (empty, only stop words, only
// exclusions) matches nothing.
//
// q.After resumes after the last hit of a previous page; q.Limit <= 0
// returns no hits. Hits carry their documents; damaged copies are left
// out and named in a *driver.CorruptError returned along with the hits.
func (s *Store) Query(ctx context.Context, q driver.Query) ([]driver.Hit, error) {
	if err := s.checkOpen("query"); err != nil || q.Limit <= 0 {
		return nil, err
	}
	var b queryBuilder
	if !b.filters(&q) {
		return nil, nil
	}
	var sql string
	var args []any
	if q.Text == "" {
		sql = s.listSQL(&b, &q)
		args = b.args
	} else {
		tsq := tsquery(&b, driver.ParseSearch(q.Text))
		if tsq == "" {
			return nil, nil
		}
		sql = s.searchSQL(&b, &q, tsq)
		// Plan with the actual query words: whether the created_at index
		// or the GIN index is cheaper depends on how common they are.
		args = append([]any{pgx.QueryExecModeExec}, b.args...)
	}
	var found []rankedRow
	err := s.run(ctx, "query", true, true, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		found, err = pgx.CollectRows(rows, pgx.RowToStructByName[rankedRow])
		return err
	})
	if err != nil {
		return nil, err
	}
	hits := make([]driver.Hit, 0, len(found))
	var bad *driver.CorruptError
	for i := range found {
		rec, err := found[i].record()
		if err != nil {
			if bad == nil {
				bad = &driver.CorruptError{Err: err}
			}
			bad.IDs = append(bad.IDs, found[i].ID.String())
			continue
		}
		hits = append(hits, driver.Hit{Record: rec, Rank: found[i].Rank})
	}
	if bad != nil {
		return hits, wrapErr("query", bad)
	}
	return hits, nil
}

// listSQL selects frames newest first, after the cursor if any.
func (s *Store) listSQL(b *queryBuilder, q *driver.Query) string {
	if c := q.After; c != nil {
		at := b.arg(timestamptz(c.CreatedAt))
		id := cursorID(c.ID)
		b.where = append(b.where, fmt.Sprintf("(a.created_at < %s OR (a.created_at = %s AND a.frame_id > %s))", at, at, b.arg(id)))
	}
	return `SELECT ` + prefixed("a.", recordColumns) + `, 0::float8 AS rank FROM frames_archive a` +
		b.whereClause() + ` ORDER BY a.created_at DESC, a.frame_id LIMIT ` + b.arg(q.Limit)
}

// searchSQL ranks the newest SearchWindow matches of the tsquery tsq and
// returns the best page of them, after the cursor if any. Documents are
// fetched only for the rows of the page.
func (s *Store) searchSQL(b *queryBuilder, q *driver.Query, tsq string) string {
	b.where = append(b.where, "a.search_vector @@ "+tsq)
	candidates := `SELECT a.frame_id, a.created_at, a.search_vector FROM frames_archive a` +
		b.whereClause() + ` ORDER BY a.created_at DESC LIMIT ` + b.arg(s.opts.SearchWindow)
	ranked := `SELECT c.frame_id, c.created_at, ts_rank(c.search_vector, ` + tsq + `)::float8 AS rank FROM (` + candidates + `) c`
	var after string
	if c := q.After; c != nil {
		rank, at, id := b.arg(c.Rank), b.arg(timestamptz(c.CreatedAt)), b.arg(cursorID(c.ID))
		after = fmt.Sprintf(` WHERE r.rank < %[1]s OR (r.rank = %[1]s AND (r.created_at < %[2]s OR (r.created_at = %[2]s AND r.frame_id > %[3]s)))`, rank, at, id)
	}
	page := `SELECT r.frame_id, r.rank FROM (` + ranked + `) r` + after +
		` ORDER BY r.rank DESC, r.created_at DESC, r.frame_id LIMIT ` + b.arg(q.Limit)
	return `SELECT ` + prefixed("a.", recordColumns) + `, p.rank AS rank FROM (` + page + `) p
		JOIN frames_archive a ON a.frame_id = p.frame_id
		ORDER BY p.rank DESC, a.created_at DESC, a.frame_id`
}

// cursorID returns the cursor's frame ID as a UUID; an ID that is not one
// sorts before every frame.
func cursorID(id string) pgtype.UUID {
	u, ok := frameID(id)
	if !ok {
		return pgtype.UUID{Valid: true}
	}
	return u
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
