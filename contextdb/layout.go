package contextdb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// addedColumns are the columns adoption adds to upstream's frames table
// (the storage spec's). They are not part of a frame's document.
var addedColumns = []string{"tier_status", "last_accessed", "access_count"}

// jsonColumns are the upstream columns holding JSON text. Their value
// appears in a document as the JSON object or array it holds.
var jsonColumns = map[string][]string{
	"frames":  {"inputs", "outputs", "digest_json"},
	"events":  {"payload"},
	"anchors": {"metadata"},
}

// requiredColumns are the columns a file must have to be read as an
// upstream context.db.
var requiredColumns = map[string][]string{
	"frames":  {"frame_id", "run_id", "project_id", "parent_frame_id", "created_at"},
	"events":  {"event_id", "frame_id"},
	"anchors": {"anchor_id", "frame_id"},
}

// column is one upstream column as PRAGMA table_info describes it.
type column struct {
	name       string
	notNull    bool
	hasDefault bool
	json       bool
}

// table is the layout of one upstream table: its columns in declaration
// order (the order of a document's keys), adoption's columns left out.
type table struct {
	name string
	key  string // the primary key column: frame_id, event_id, anchor_id
	cols []column
}

// layout is the upstream schema of one file, read when the file is opened:
// StackMemory's releases differ (anchors gained project_id, for one), and
// documents carry whatever columns the file has.
type layout struct {
	frames, events, anchors table
}

// index returns the position of column name in t, or -1.
func (t *table) index(name string) int {
	return slices.IndexFunc(t.cols, func(c column) bool { return c.name == name })
}

// names returns the column names of t.
func (t *table) names() []string {
	out := make([]string, len(t.cols))
	for i, c := range t.cols {
		out[i] = c.name
	}
	return out
}

// selectList is the column list of a SELECT reading t's columns as stored:
// each column is prefixed with unary + so that the SQLite driver sees an
// expression without a declared type and returns the stored value's own
// type (no conversion to time.Time or bool).
func (t *table) selectList(alias string) string {
	parts := make([]string, len(t.cols))
	for i, c := range t.cols {
		parts[i] = "+" + alias + quoteIdent(c.name)
	}
	return strings.Join(parts, ", ")
}

// signature sums up the layout for the adoption record: a change means
// upstream altered its tables and every document must be re-encoded.
func (l *layout) signature() string {
	var b strings.Builder
	for _, t := range []*table{&l.frames, &l.events, &l.anchors} {
		b.WriteString(t.name + "(" + strings.Join(t.names(), ",") + ");")
	}
	return b.String()
}

// queryer is *sqlx.DB, *sqlx.Tx or *sqlx.Conn.
type queryer interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// readLayout reads the upstream tables' columns. A missing table or
// required column fails with an error wrapping ErrNotContextDB naming it.
func readLayout(ctx context.Context, q queryer) (*layout, error) {
	l := &layout{}
	for _, p := range []struct {
		name string
		t    *table
	}{{"frames", &l.frames}, {"events", &l.events}, {"anchors", &l.anchors}} {
		if err := readTable(ctx, q, p.name, p.t); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func readTable(ctx context.Context, q queryer, name string, t *table) error {
	rows, err := q.QueryContext(ctx, `SELECT name, "notnull", dflt_value IS NOT NULL, pk FROM pragma_table_info(?) ORDER BY cid`, name)
	if err != nil {
		return err
	}
	defer rows.Close()
	t.name = name
	t.cols = t.cols[:0]
	for rows.Next() {
		var c column
		var pk int
		if err := rows.Scan(&c.name, &c.notNull, &c.hasDefault, &pk); err != nil {
			return err
		}
		if name == "frames" && slices.Contains(addedColumns, c.name) {
			continue
		}
		c.json = slices.Contains(jsonColumns[name], c.name)
		if pk == 1 {
			t.key = c.name
		}
		t.cols = append(t.cols, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(t.cols) == 0 {
		return fmt.Errorf("%w: no %s table", ErrNotContextDB, name)
	}
	for _, req := range requiredColumns[name] {
		if t.index(req) < 0 {
			return fmt.Errorf("%w: table %s has no column %s", ErrNotContextDB, name, req)
		}
	}
	if want := requiredColumns[name][0]; t.key != want {
		return fmt.Errorf("%w: the primary key of table %s is not %s", ErrNotContextDB, name, want)
	}
	return nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
