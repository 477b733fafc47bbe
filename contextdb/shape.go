package contextdb

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stackmemoryai/tier/driver"
)

// absent marks a column a document leaves out: the row is written without
// it, so the column's default applies.
type absent struct{}

// identity columns of the frames table and the Meta field each mirrors.
const (
	colFrameID = "frame_id"
	colRunID   = "run_id"
	colProject = "project_id"
	colParent  = "parent_frame_id"
	colCreated = "created_at"
)

// shapeError collects what makes a document unusable as upstream rows.
type shapeError struct{ problems []string }

func (e *shapeError) add(format string, args ...any) {
	e.problems = append(e.problems, fmt.Sprintf(format, args...))
}

func (e *shapeError) err(id string) error {
	if len(e.problems) == 0 {
		return nil
	}
	const most = 8
	p := e.problems
	if len(p) > most {
		p = append(p[:most:most], fmt.Sprintf("and %d more", len(e.problems)-most))
	}
	return invalid(id, "the document does not have the shape of a context.db frame: %s", strings.Join(p, "; "))
}

// rowsOf turns rec into the upstream rows to write. The document must be
// a JSON object whose keys are columns of the frames table plus
// "events" and "anchors", arrays of objects whose keys are columns of
// their tables. Identity columns may be left out: frame_id, run_id,
// project_id, parent_frame_id and created_at are then taken from rec's
// Meta (created_at in unix seconds), and an event's or anchor's frame_id,
// run_id and project_id from the frame; when present they must agree with
// it. Other columns left out take their default; a NOT NULL column without
// default must be present. Anything else is refused with an error wrapping
// driver.ErrInvalidRecord that names every missing or unexpected key.
func (l *layout) rowsOf(rec driver.Record) (*rows, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec.Data, &top); err != nil || top == nil {
		return nil, invalid(rec.ID, `the document is not a JSON object; a context.db frame is an object with the columns of its frames row plus "events" and "anchors" arrays`)
	}
	var problems shapeError
	r := &rows{frame: make([]any, len(l.frames.cols))}
	identity := map[string]any{
		colFrameID: rec.ID,
		colRunID:   rec.SessionID,
		colProject: rec.ProjectID,
		colParent:  nullIfEmpty(rec.ParentID),
		colCreated: rec.CreatedAt.Unix(),
	}
	for i, c := range l.frames.cols {
		raw, ok := top[c.name]
		want, isIdentity := identity[c.name]
		if !ok {
			switch {
			case isIdentity:
				r.frame[i] = want
			case c.notNull && !c.hasDefault:
				problems.add("it lacks %q", c.name)
			default:
				r.frame[i] = absent{}
			}
			continue
		}
		v, err := decodeValue(raw, c.json)
		if err != nil {
			problems.add("%q: %v", c.name, err)
			continue
		}
		if isIdentity && !sameValue(v, want) {
			problems.add("%q is %s but the record says %s", c.name, shortJSON(raw), describe(want))
		}
		r.frame[i] = v
	}
	for key := range top {
		if key != "events" && key != "anchors" && l.frames.index(key) < 0 {
			problems.add("%q is not a column of the frames table", key)
		}
	}
	inherit := map[string]any{colFrameID: rec.ID}
	for _, name := range []string{colRunID, colProject} {
		inherit[name] = r.frame[l.frames.index(name)]
	}
	r.events = l.childRows(&problems, top, "events", &l.events, inherit)
	r.anchors = l.childRows(&problems, top, "anchors", &l.anchors, inherit)
	if err := problems.err(rec.ID); err != nil {
		return nil, err
	}
	return r, nil
}

// childRows decodes the array key of the document into rows of t.
func (l *layout) childRows(problems *shapeError, top map[string]json.RawMessage, key string, t *table, inherit map[string]any) [][]any {
	raw, ok := top[key]
	if !ok {
		problems.add("it lacks %q (an array of %s rows, possibly empty)", key, t.name)
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		problems.add("%q is not an array of %s rows", key, t.name)
		return nil
	}
	out := make([][]any, 0, len(elems))
	for n, elem := range elems {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(elem, &obj); err != nil || obj == nil {
			problems.add("%s[%d] is not an object", key, n)
			continue
		}
		row := make([]any, len(t.cols))
		for i, c := range t.cols {
			fill, inherited := inherit[c.name]
			raw, ok := obj[c.name]
			if !ok {
				switch {
				case inherited:
					row[i] = fill
				case c.name == t.key || c.notNull && !c.hasDefault:
					problems.add("%s[%d] lacks %q", key, n, c.name)
				default:
					row[i] = absent{}
				}
				continue
			}
			v, err := decodeValue(raw, c.json)
			switch {
			case err != nil:
				problems.add("%s[%d].%s: %v", key, n, c.name, err)
			case c.name == colFrameID && !sameValue(v, fill):
				problems.add("%s[%d].frame_id is %s, not the frame's ID", key, n, shortJSON(raw))
			case c.name == t.key && v == nil:
				problems.add("%s[%d].%s is null", key, n, c.name)
			}
			row[i] = v
		}
		for k := range obj {
			if t.index(k) < 0 {
				problems.add("%s[%d]: %q is not a column of the %s table", key, n, k, t.name)
			}
		}
		out = append(out, row)
	}
	return out
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// sameValue reports whether a decoded document value equals the identity
// value the record's Meta gives.
func sameValue(v, want any) bool {
	switch w := want.(type) {
	case nil:
		return v == nil || v == ""
	case string:
		s, ok := v.(string)
		return ok && s == w || v == nil && w == ""
	case int64:
		n, ok := v.(int64)
		return ok && n == w
	}
	return false
}

// valueString renders an identity value read from SQLite as the string
// Meta carries: NULL is empty, numbers in decimal.
func valueString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// valueInt reads an integer column written by upstream (created_at): REAL
// is truncated, numeric TEXT parsed, anything else is 0.
func valueInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case string:
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n
	}
	return 0
}

func describe(v any) string {
	if v == nil {
		return "none"
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// shortJSON shows a document value in an error, cut to a readable length.
func shortJSON(raw json.RawMessage) string {
	const most = 60
	s := string(raw)
	if len(s) > most {
		s = s[:most] + "…"
	}
	return s
}

// present returns the columns of t that vals sets (not absent) and their
// values.
func present(t *table, vals []any) (cols []string, args []any) {
	for i, c := range t.cols {
		if _, skip := vals[i].(absent); skip {
			continue
		}
		cols = append(cols, c.name)
		args = append(args, vals[i])
	}
	return cols, args
}

// quoteList quotes each identifier and joins them with commas.
func quoteList(names []string) string {
	q := slices.Clone(names)
	for i, n := range q {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}
