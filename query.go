package tier

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/stackmemoryai/tier/internal/engine"
)

// Query selects frames across every tier. Zero fields do not filter.
type Query struct {
	ProjectID string
	SessionID string
	// ParentID keeps the children of that frame.
	ParentID string
	// Since and Until bound CreatedAt: Since inclusive, Until exclusive.
	Since, Until time.Time
	// Text is a full-text query, the same language in every tier:
	// words are ANDed, "quoted phrases" match in order, -word excludes a
	// word, OR between words matches either, word* matches a prefix;
	// common English words are ignored, and so are words past the 32nd
	// (see driver.Search for the whole definition). Without Text, frames
	// come newest first.
	Text string
	// Limit is the page size; 0 means 50, at most 1000.
	Limit int
	// Cursor continues a previous query: pass Page.Next. It must come from
	// the same query.
	Cursor string
}

// Page is one page of query results.
type Page struct {
	Frames []Frame
	// Next is the cursor of the following page, "" on the last page.
	Next string
	// Unsearched names the tiers that could not be asked; when it is not
	// empty, the page may lack frames only they hold, and Query's error
	// wraps ErrUnavailable.
	Unsearched []string
}

// Query lists or searches frames in every tier that has an index (SQLite
// FTS5 for hot frames, PostgreSQL tsvector for the archive; Redis keeps no
// index, its frames are found through their durable copies). Results are
// merged and de-duplicated by ID, the newest version winning; a copy that a
// higher tier has replaced is never returned. Text results come best match
// first, others newest first.
//
// A partial answer says so: when a tier that may hold matches cannot be
// asked (down, or not connected since Open), Query returns the page of
// what the others hold, with Page.Unsearched naming the tiers, and an
// error wrapping ErrUnavailable that names them too. Callers that accept
// partial pages check errors.Is(err, ErrUnavailable) and use the page.
func (m *Manager) Query(ctx context.Context, q Query) (Page, error) {
	ctx, end := m.start(ctx, OpQuery, "")
	p, err := m.e.Query(ctx, engine.Query(q))
	end(End{Frames: len(p.Frames), Err: err})
	page := Page{Next: p.Next, Unsearched: p.Unsearched, Frames: make([]Frame, len(p.Frames))}
	for i, c := range p.Frames {
		page.Frames[i] = frameOf(c)
	}
	return page, err
}

// All returns every frame that q selects, page after page, as one
// sequence; q.Limit is the page size and q.Cursor where to start. The
// sequence stops after the first error it yields; a partial page (a tier
// unavailable) yields its frames, then the error.
//
//	for f, err := range m.All(ctx, tier.Query{SessionID: run}) { ... }
func (m *Manager) All(ctx context.Context, q Query) iter.Seq2[Frame, error] {
	return func(yield func(Frame, error) bool) {
		for {
			page, err := m.Query(ctx, q)
			if err != nil && !errors.Is(err, ErrUnavailable) {
				yield(Frame{}, err)
				return
			}
			for _, f := range page.Frames {
				if !yield(f, nil) {
					return
				}
			}
			if err != nil {
				yield(Frame{}, err)
				return
			}
			if page.Next == "" {
				return
			}
			q.Cursor = page.Next
		}
	}
}

// Children returns the frames whose parent is id, newest first, across
// every tier: Query with ParentID, every page.
func (m *Manager) Children(ctx context.Context, id string) ([]Frame, error) {
	id, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	var out []Frame
	for f, err := range m.All(ctx, Query{ParentID: id, Limit: 1000}) {
		if err != nil {
			return out, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Ancestors walks up the parent chain of frame id: its parent first, the
// root last. It stops at a frame without a parent, and fails with
// ErrNotFound naming the missing frame when a parent is gone. A cycle
// (impossible through Put, but a host may write tiers directly) ends the
// walk with an error wrapping ErrCorrupt.
func (m *Manager) Ancestors(ctx context.Context, id string) ([]Frame, error) {
	f, err := m.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{f.ID: true}
	var out []Frame
	for f.ParentID != "" {
		if seen[f.ParentID] {
			return out, &FrameError{Op: "ancestors", FrameID: f.ParentID, Err: errors.Join(ErrCorrupt, errors.New("the parent chain loops"))}
		}
		seen[f.ParentID] = true
		if f, err = m.Get(ctx, f.ParentID); err != nil {
			return out, err
		}
		out = append(out, f)
	}
	return out, nil
}
