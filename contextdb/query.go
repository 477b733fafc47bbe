package contextdb

import (
	"context"
	"strings"

	"github.com/stackmemoryai/tier/driver"
)

// Query lists or searches the frames of the file, with their documents.
//
// Without Text, hits are the newest CreatedAt first, ties by ascending
// frame ID. With Text (the language of driver.Search), hits are the best
// match first (Rank is the negated FTS5 bm25 score of the document's
// string values, porter-stemmed), then newest, then by ID. ProjectID,
// SessionID (run_id) and ParentID (parent_frame_id) filter on upstream's
// columns. After resumes after the given hit; a Limit below 1 returns
// nothing. Frames upstream changed are encoded first, so text matches are
// current. A damaged document fails the call with driver.ErrCorrupt.
func (s *Store) Query(ctx context.Context, q driver.Query) ([]driver.Hit, error) {
	if s.closed.Load() {
		return nil, errClosed("query")
	}
	if q.Limit < 1 {
		return nil, nil
	}
	query, args, ok := querySQL(q)
	if !ok {
		return nil, nil
	}
	if err := s.refresh(ctx); err != nil {
		return nil, wrapErr("query", withCtx(ctx, err))
	}
	var hits []driver.Hit
	err := s.readTx(ctx, func(tx cachedTx) error {
		res, err := tx.QueryxContext(ctx, query, args...)
		if err != nil {
			return err
		}
		var found []stored
		var ranks []float64
		for res.Next() {
			var rank float64
			st, err := scanMetaRank(res, &rank)
			if err != nil {
				res.Close()
				return err
			}
			found = append(found, st)
			ranks = append(ranks, rank)
		}
		if err := res.Close(); err != nil {
			return err
		}
		if err := res.Err(); err != nil {
			return err
		}
		for i := range found {
			data, err := s.layout.document(ctx, tx, &found[i])
			if err != nil {
				return err
			}
			hits = append(hits, driver.Hit{Record: driver.Record{Meta: found[i].Meta, Data: data}, Rank: ranks[i]})
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("query", withCtx(ctx, err))
	}
	return hits, nil
}

// scanMetaRank reads metaColumns followed by the rank.
func scanMetaRank(row scanner, rank *float64) (stored, error) {
	var r rankScanner
	r.row, r.rank = row, rank
	return scanMeta(&r)
}

type rankScanner struct {
	row  scanner
	rank *float64
}

func (r *rankScanner) Scan(dest ...any) error { return r.row.Scan(append(dest, r.rank)...) }

// querySQL builds the statement of Query. ok is false when the text has
// no positive term, so nothing can match.
func querySQL(q driver.Query) (query string, args []any, ok bool) {
	var b strings.Builder
	where := []string{`m.stale < 2`}
	text := strings.TrimSpace(q.Text) != ""
	if text {
		expr, ok := matchExpression(driver.ParseSearch(q.Text))
		if !ok {
			return "", nil, false
		}
		b.WriteString(`SELECT ` + metaColumns + `, -bm25(tier_fts) AS score
FROM tier_fts JOIN tier_metadata m ON m.rowid = tier_fts.rowid JOIN frames f ON f.frame_id = m.frame_id`)
		where = append(where, `tier_fts MATCH ?`)
		args = append(args, expr)
	} else {
		b.WriteString(`SELECT ` + metaColumns + `, 0.0 AS score` + metaFrom)
	}
	if q.ProjectID != "" {
		where = append(where, `f.project_id = ?`)
		args = append(args, q.ProjectID)
	}
	if q.SessionID != "" {
		where = append(where, `f.run_id = ?`)
		args = append(args, q.SessionID)
	}
	if q.ParentID != "" {
		where = append(where, `f.parent_frame_id = ?`)
		args = append(args, q.ParentID)
	}
	if !q.CreatedAfter.IsZero() {
		where = append(where, `m.created_us >= ?`)
		args = append(args, q.CreatedAfter.UnixMicro())
	}
	if !q.CreatedBefore.IsZero() {
		where = append(where, `m.created_us < ?`)
		args = append(args, q.CreatedBefore.UnixMicro())
	}
	if c := q.After; c != nil {
		created := c.CreatedAt.UnixMicro()
		later := `(m.created_us < ? OR (m.created_us = ? AND m.frame_id > ?))`
		if text {
			where = append(where, `(-bm25(tier_fts) < ? OR (-bm25(tier_fts) = ? AND `+later+`))`)
			args = append(args, c.Rank, c.Rank, created, created, c.ID)
		} else {
			where = append(where, later)
			args = append(args, created, created, c.ID)
		}
	}
	b.WriteString(` WHERE ` + strings.Join(where, ` AND `))
	if text {
		b.WriteString(` ORDER BY score DESC, m.created_us DESC, m.frame_id`)
	} else {
		b.WriteString(` ORDER BY m.created_us DESC, m.frame_id`)
	}
	b.WriteString(` LIMIT ?`)
	args = append(args, q.Limit)
	return b.String(), args, true
}

// matchExpression translates a parsed search into an FTS5 MATCH
// expression. Every word reaches FTS5 as a double-quoted string, so
// nothing a user types is read as FTS5 syntax.
func matchExpression(s driver.Search) (string, bool) {
	if s.Empty() {
		return "", false
	}
	groups := make([]string, len(s.All))
	for i, g := range s.All {
		terms := make([]string, len(g))
		for j, t := range g {
			terms[j] = ftsTerm(t)
		}
		groups[i] = "(" + strings.Join(terms, " OR ") + ")"
	}
	expr := strings.Join(groups, " AND ")
	for _, t := range s.None {
		expr = "(" + expr + ") NOT " + ftsTerm(t)
	}
	return expr, true
}

// ftsTerm is one term as an FTS5 phrase: the words quoted, in order, with
// * after the last for a prefix.
func ftsTerm(t driver.SearchTerm) string {
	words := make([]string, len(t.Words))
	for i, w := range t.Words {
		words[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	out := strings.Join(words, " + ")
	if t.Prefix {
		out += "*"
	}
	return out
}
