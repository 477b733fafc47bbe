package tier_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/internal/memdriver"
)

func TestUpdateDataKeepsIdentity(t *testing.T) {
	m, _ := memChain{durable: []bool{true, true}}.open(t)
	ctx := context.Background()
	parent := mustPut(t, m, frame("p", "", 0))
	f := frame("p", tier.NewID(), 1)
	f.ParentID = parent.ID
	a := mustPut(t, m, f)
	got, err := m.UpdateData(ctx, a.ID, []byte(`{"task":"rewritten"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.SessionID != a.SessionID || got.ProjectID != a.ProjectID || got.ParentID != a.ParentID ||
		!got.CreatedAt.Equal(a.CreatedAt) || got.Version <= a.Version || string(got.Data) != `{"task":"rewritten"}` {
		t.Fatalf("UpdateData = %+v; want the identity of %+v with the new document and a newer version", got, a)
	}
	if _, err := m.UpdateData(ctx, tier.NewID(), []byte(`{}`)); !errors.Is(err, tier.ErrNotFound) {
		t.Fatalf("UpdateData of a missing frame = %v, want ErrNotFound", err)
	}
	if _, err := m.UpdateData(ctx, a.ID, []byte(`{"broken"`)); !errors.Is(err, tier.ErrInvalidFrame) {
		t.Fatalf("UpdateData with invalid JSON = %v, want ErrInvalidFrame", err)
	}
	// Put, by contrast, replaces the whole frame: documented on Put.
	replaced := mustPut(t, m, tier.Frame{ID: a.ID, Data: []byte(`{}`)})
	if replaced.SessionID != "" || replaced.ParentID != "" {
		t.Fatalf("Put with only Data kept identity fields: %+v", replaced)
	}
}

func TestChildrenAncestorsAndAllAcrossTiers(t *testing.T) {
	m, _ := memChain{durable: []bool{true, true}, limits: []tier.Limits{{MaxFrames: 3}},
		cfg: tier.Config{NoReplication: true}}.open(t)
	ctx := context.Background()
	session := tier.NewID()
	root := mustPut(t, m, frame("p", session, 0))
	chain := []tier.Frame{root}
	var children []string
	for i := range 5 {
		f := frame("p", session, i+1)
		f.ParentID = root.ID
		children = append(children, mustPut(t, m, f).ID)
	}
	last := root
	for i := range 4 {
		f := frame("p", session, 10+i)
		f.ParentID = last.ID
		last = mustPut(t, m, f)
		chain = append(chain, last)
	}
	if _, err := m.Maintain(ctx); err != nil { // spreads the frames over both tiers
		t.Fatal(err)
	}
	kids, err := m.Children(ctx, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, k := range kids {
		got[k.ID] = true
	}
	for _, id := range append(children, chain[1].ID) {
		if !got[id] {
			t.Fatalf("Children(root) = %d frames, misses %s", len(kids), id)
		}
	}
	if len(kids) != len(children)+1 {
		t.Fatalf("Children(root) = %d frames, want %d", len(kids), len(children)+1)
	}
	up, err := m.Ancestors(ctx, last.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(up) != len(chain)-1 {
		t.Fatalf("Ancestors = %d frames, want %d", len(up), len(chain)-1)
	}
	for i, f := range up {
		if want := chain[len(chain)-2-i]; f.ID != want.ID {
			t.Fatalf("Ancestors[%d] = %s, want %s (parent first, root last)", i, f.ID, want.ID)
		}
	}
	n := 0
	for f, err := range m.All(ctx, tier.Query{SessionID: session, Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if f.SessionID != session {
			t.Fatalf("All returned a frame of session %q", f.SessionID)
		}
		n++
	}
	if n != 10 {
		t.Fatalf("All over pages of 2 = %d frames, want 10", n)
	}
}

func TestQueryNamesTheTiersItCouldNotAsk(t *testing.T) {
	m, peek := memChain{durable: []bool{true, true}, limits: []tier.Limits{{MaxFrames: 2}},
		cfg: tier.Config{NoReplication: true}}.open(t)
	ctx := context.Background()
	for i := range 6 {
		mustPut(t, m, frame("p", "", i))
	}
	if _, err := m.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	peek[1].SetFailure(errors.New("down"))
	page, err := m.Query(ctx, tier.Query{ProjectID: "p"})
	if !errors.Is(err, tier.ErrUnavailable) {
		t.Fatalf("Query with tier 2 down = %v, want ErrUnavailable", err)
	}
	if len(page.Unsearched) != 1 || page.Unsearched[0] != "t2" || len(page.Frames) != 2 {
		t.Fatalf("partial page = %d frames, unsearched %q; want tier 1's 2 frames and t2 named", len(page.Frames), page.Unsearched)
	}
}

// A cursor continues the query that made it, page size aside; any other
// cursor (made up, cut, or of another query) is refused with
// ErrBadCursor, not read as a start.
func TestCursorsContinueOnlyTheirQuery(t *testing.T) {
	m, _ := memChain{durable: []bool{true, true}}.open(t)
	ctx := context.Background()
	for i := range 5 {
		mustPut(t, m, frame("p", "", i))
	}
	first, err := m.Query(ctx, tier.Query{ProjectID: "p", Limit: 2})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: next %q, %v", first.Next, err)
	}
	// Another page size, and a time bound that moved (a --since 7d run
	// again): still the same query.
	rest := tier.Query{ProjectID: "p", Limit: 3, Since: time.Now().Add(-7 * 24 * time.Hour), Cursor: first.Next}
	if next, err := m.Query(ctx, rest); err != nil || len(next.Frames) != 3 {
		t.Fatalf("the rest with another page size and bound = %d frames, %v; want 3", len(next.Frames), err)
	}
	for name, q := range map[string]tier.Query{
		"made up":         {ProjectID: "p", Cursor: "garbage"},
		"cut":             {ProjectID: "p", Cursor: first.Next[:len(first.Next)/2]},
		"well-formed":     {ProjectID: "p", Cursor: "eyJ4IjoxfQ"}, // {"x":1}
		"another project": {ProjectID: "q", Cursor: first.Next},
		"another text":    {ProjectID: "p", Text: "task", Cursor: first.Next},
	} {
		if page, err := m.Query(ctx, q); !errors.Is(err, tier.ErrBadCursor) || len(page.Frames) != 0 {
			t.Errorf("%s cursor: %d frames, %v; want ErrBadCursor", name, len(page.Frames), err)
		}
	}
}

func TestAsReachesTheNativeClient(t *testing.T) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "frames.db")
	m, err := tier.Open(ctx, tier.Config{ManualMaintenance: true, Tiers: []tier.TierSpec{{URL: url}, {Tier: memdriver.New(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f := mustPut(t, m, frame("p", "", 1))
	var db *sqlx.DB
	if !m.As(1, &db) {
		t.Fatal("As(1, **sqlx.DB) = false for a SQLite tier")
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM frames WHERE frame_id = ?`, f.ID); err != nil || n != 1 {
		t.Fatalf("the host's own query on the native client = %d, %v", n, err)
	}
	var wrong *int
	if m.As(1, &wrong) || m.As(7, &db) {
		t.Fatal("As accepted a type or a level it cannot serve")
	}
}
