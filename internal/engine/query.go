package engine

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// Query selects frames across every tier. Zero fields do not filter.
type Query struct {
	ProjectID string
	SessionID string
	ParentID  string
	// Since and Until bound CreatedAt: Since inclusive, Until exclusive.
	Since, Until time.Time
	// Text is a full-text query in web-search syntax: words are ANDed,
	// "quoted phrases" match in order, -word excludes a word, OR between
	// words matches either. Without Text, frames come newest first.
	Text string
	// Limit is the page size; 0 means 50, at most 1000.
	Limit int
	// Cursor continues a previous query: pass Page.Next. It must come from
	// the same query.
	Cursor string
}

// Page is one page of query results.
type Page struct {
	Frames []Found
	// Next is the cursor of the following page, "" on the last page.
	Next string
	// Unsearched names the tiers that could not be asked.
	Unsearched []string
}

// Query limits.
const (
	defaultQueryLimit = 50
	maxQueryLimit     = 1000
)

// Query lists or searches frames in every tier that has an index (SQLite
// FTS5 for hot frames, PostgreSQL tsvector for the archive; Redis keeps no
// index, its frames are found through their durable copies). Results are
// merged and de-duplicated by ID, the newest version winning; a copy that a
// higher tier has replaced is never returned. Text results come best match
// first, others newest first.
//
// When a tier cannot be reached, Query returns what the others hold along
// with an error wrapping ErrUnavailable that names the tier; the page is
// then possibly incomplete.
func (m *Engine) Query(ctx context.Context, q Query) (Page, error) {
	if err := m.enter(); err != nil {
		return Page{}, err
	}
	defer m.leave()
	if q.Limit < 0 || q.Limit > maxQueryLimit {
		return Page{}, fmt.Errorf("%w: query limit %d is outside 0-%d", ErrBadConfig, q.Limit, maxQueryLimit)
	}
	limit := cmp.Or(q.Limit, defaultQueryLimit)
	cur, err := decodeCursor(q.Cursor, len(m.chain), q.fingerprint())
	if err != nil {
		return Page{}, err
	}
	streams, unreachable := m.fetchStreams(ctx, q, cur, limit)
	page, err := m.merge(ctx, streams, cur, limit, q.Text != "")
	if err != nil {
		return Page{}, err
	}
	for _, err := range unreachable {
		var fe *FrameError
		if errors.As(err, &fe) {
			page.Unsearched = append(page.Unsearched, fe.Tier)
		}
	}
	return page, errors.Join(unreachable...)
}

// stream is one tier's ordered page of hits.
type stream struct {
	l       *link
	hits    []driver.Hit
	pos     int     // hits consumed so far
	more    bool    // the tier may hold more hits after these
	topRank float64 // best rank of the page, to compare ranks across tiers
}

func (m *Engine) fetchStreams(ctx context.Context, q Query, cur queryCursor, limit int) ([]*stream, []error) {
	var streams []*stream
	var unreachable []error
	for _, l := range m.chain {
		if cur.Done[l.level-1] {
			continue
		}
		if l.isPending() {
			// Not connected since Open: whether it holds matches is unknown.
			unreachable = append(unreachable, &FrameError{Op: "query", Tier: l.name,
				Err: fmt.Errorf("%w: %s is not connected", ErrUnavailable, l)})
			continue
		}
		if !l.canQuery() {
			continue
		}
		dq := driver.Query{
			ProjectID: q.ProjectID, SessionID: q.SessionID, ParentID: q.ParentID,
			CreatedAfter: q.Since, CreatedBefore: q.Until,
			Text: strings.TrimSpace(q.Text), Limit: limit,
			After: cur.After[l.level-1],
		}
		hits, damaged, err := l.query(ctx, dq)
		if len(damaged) > 0 {
			m.log.Warn("damaged copies left out of a query", "tier", l.name, "frames", damaged)
		}
		if err != nil {
			unreachable = append(unreachable, &FrameError{Op: "query", Tier: l.name, Err: err})
			continue
		}
		s := &stream{l: l, hits: hits, more: len(hits) == limit}
		for _, h := range hits {
			s.topRank = max(s.topRank, h.Rank)
		}
		streams = append(streams, s)
	}
	return streams, unreachable
}

// merge takes up to limit hits from the streams, best first, dropping
// copies that a higher tier has replaced. Each stream is consumed in its
// own order, so a tier's cursor always marks a prefix of its results.
func (m *Engine) merge(ctx context.Context, streams []*stream, cur queryCursor, limit int, ranked bool) (Page, error) {
	shadowed, err := m.shadowed(ctx, streams)
	if err != nil {
		return Page{}, err
	}
	var page Page
	seen := map[string]bool{}
	for len(page.Frames) < limit {
		best := -1
		for i, s := range streams {
			if s.pos < len(s.hits) && (best < 0 || before(s, streams[best], ranked)) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		s := streams[best]
		h := s.hits[s.pos]
		s.pos++
		cur.After[s.l.level-1] = &driver.Cursor{Rank: h.Rank, CreatedAt: h.CreatedAt, ID: h.ID}
		if seen[h.ID] || shadowed[s.l.level][h.ID] || m.isDeleted(h.ID, h.Version) {
			continue
		}
		seen[h.ID] = true
		page.Frames = append(page.Frames, found(h.Record, s.l))
	}
	more := false
	for _, s := range streams {
		if s.pos == len(s.hits) && !s.more {
			cur.Done[s.l.level-1] = true
		} else {
			more = true
		}
	}
	if more {
		page.Next = cur.encode()
	}
	return page, nil
}

// before orders the heads of two streams: by rank relative to the best of
// its tier's page when ranked (ranks of different tiers are on different
// scales), then newest first, then by ID.
func before(a, b *stream, ranked bool) bool {
	ha, hb := a.hits[a.pos], b.hits[b.pos]
	if ranked {
		ra, rb := relative(ha.Rank, a.topRank), relative(hb.Rank, b.topRank)
		if ra != rb {
			return ra > rb
		}
	}
	if c := ha.CreatedAt.Compare(hb.CreatedAt); c != 0 {
		return c > 0
	}
	if ha.ID != hb.ID {
		return ha.ID < hb.ID
	}
	return a.l.level < b.l.level
}

func relative(rank, top float64) float64 {
	if top <= 0 {
		return 0
	}
	return rank / top
}

// shadowed finds, for each stream of a lower tier, the hits that a higher
// tier holds in a newer version: the newer copy is the one to return (by
// its own tier's stream, if it still matches the query). A copy of the
// same version above (a promoted frame) does not hide the lower one: the
// page drops the duplicate, and a frame moving between tiers while the
// pages are read is never missed (it may, rarely, show on two pages).
func (m *Engine) shadowed(ctx context.Context, streams []*stream) (map[int]map[string]bool, error) {
	out := map[int]map[string]bool{}
	for _, s := range streams {
		if s.l.level == 1 || len(s.hits) == 0 {
			continue
		}
		ids := make([]string, len(s.hits))
		for i, h := range s.hits {
			ids[i] = h.ID
		}
		out[s.l.level] = map[string]bool{}
		version := make(map[string]uint64, len(s.hits))
		for _, h := range s.hits {
			version[h.ID] = h.Version
		}
		for _, above := range m.chain[:s.l.level-1] {
			recs, err := above.getMany(ctx, ids)
			if err != nil {
				if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrCorrupt) {
					continue // the lower copy is the best we can reach
				}
				return nil, &FrameError{Op: "query", Tier: above.name, Err: err}
			}
			for _, r := range recs {
				if r.Version > version[r.ID] {
					out[s.l.level][r.ID] = true
				}
			}
		}
	}
	return out, nil
}

// queryCursor is the position of a query in every tier, and the query's
// fingerprint: a cursor continues only the query that made it.
type queryCursor struct {
	After []*driver.Cursor `json:"a"`
	Done  []bool           `json:"d"`
	Of    string           `json:"q"`
}

// decodeCursor reads a cursor of the query with fingerprint of, for a
// chain of levels tiers; "" is the start. Anything else fails with
// ErrBadCursor.
func decodeCursor(s string, levels int, of string) (queryCursor, error) {
	if s == "" {
		return queryCursor{After: make([]*driver.Cursor, levels), Done: make([]bool, levels), Of: of}, nil
	}
	var c queryCursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	switch {
	case err != nil || json.Unmarshal(raw, &c) != nil || len(c.After) != levels || len(c.Done) != levels:
		return queryCursor{}, fmt.Errorf("%w: pass the Next of a page of the same query, or \"\" for the first page", ErrBadCursor)
	case c.Of != of:
		return queryCursor{}, fmt.Errorf("%w: it continues another query (other filters or text); pass \"\" to start this one", ErrBadCursor)
	}
	return c, nil
}

// fingerprint identifies what q selects and in which order, for cursors:
// its filters and text, not its page size nor its time bounds (a bound
// relative to now, like the command line's --since 7d, moves between
// pages; a cursor is a position in the order, which does not).
func (q Query) fingerprint() string {
	h := fnv.New64a()
	for _, f := range []string{q.ProjectID, q.SessionID, q.ParentID, q.Text} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

func (c queryCursor) encode() string {
	raw, _ := json.Marshal(c) // plain structs: cannot fail
	return base64.RawURLEncoding.EncodeToString(raw)
}
