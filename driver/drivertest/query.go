package drivertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

func testQuery(t *testing.T, h *Harness, tr driver.Tier) {
	q, ok := tr.(driver.Querier)
	if !ok {
		t.Log("tier does not implement driver.Querier; the manager answers queries from other tiers")
		return
	}
	ctx := ctxFor(t)
	sessA, sessB := newID(), newID()
	mk := func(project, session, text string, hour int) driver.Record {
		r := record(newID(), 1, h.doc(text, hour), baseTime.Add(time.Duration(hour)*time.Hour))
		r.ProjectID, r.SessionID = project, session
		return r
	}
	a1 := mk("alpha", sessA, "fix the flaky websocket reconnect test", 1)
	a2 := mk("alpha", sessA, "write migration for invoices table", 2)
	a3 := mk("alpha", sessB, "websocket server handles backpressure", 3)
	b1 := mk("beta", sessB, "update websocket docs", 4)
	mustPut(t, tr, a1, a2, a3, b1)

	run := func(what string, query driver.Query, want ...driver.Record) {
		t.Helper()
		hits, err := q.Query(ctx, query)
		if err != nil {
			t.Fatalf("%s: Query: %v", what, err)
		}
		got := make([]string, len(hits))
		for i, h := range hits {
			got[i] = h.ID
		}
		expectOrder(t, what, got, want...)
		for i, h := range hits {
			checkSame(t, h.Record, want[i])
		}
	}
	run("project alpha, newest first", driver.Query{ProjectID: "alpha", Limit: 10}, a3, a2, a1)
	run("session A", driver.Query{SessionID: sessA, Limit: 10}, a2, a1)
	run("time range [hour 2, hour 4)", driver.Query{
		CreatedAfter: baseTime.Add(2 * time.Hour), CreatedBefore: baseTime.Add(4 * time.Hour), Limit: 10}, a3, a2)
	run("project and session", driver.Query{ProjectID: "alpha", SessionID: sessB, Limit: 10}, a3)
	run("limit", driver.Query{Limit: 1}, b1)

	hits, err := q.Query(ctx, driver.Query{Text: "websocket", ProjectID: "alpha", Limit: 10})
	if err != nil {
		t.Fatalf("text query: %v", err)
	}
	found := map[string]bool{}
	for _, h := range hits {
		found[h.ID] = true
	}
	if len(hits) != 2 || !found[a1.ID] || !found[a3.ID] {
		t.Fatalf("text query 'websocket' in alpha found %d hits %v, want %s and %s", len(hits), found, a1.ID, a3.ID)
	}
	run("text query with two words", driver.Query{Text: "invoices migration", Limit: 10}, a2)
	run("text query with no match", driver.Query{Text: "kubernetes", Limit: 10})
	for _, hostile := range []string{`"unbalanced`, `NEAR(`, `a AND (`, `*`, `-`, `' OR 1=1 --`, `:`, ``} {
		if _, err := q.Query(ctx, driver.Query{Text: hostile, Limit: 10}); err != nil {
			t.Fatalf("text query %q must not fail, got %v", hostile, err)
		}
	}
}

func testQueryPagination(t *testing.T, h *Harness, tr driver.Tier) {
	q, ok := tr.(driver.Querier)
	if !ok {
		t.Log("tier does not implement driver.Querier; nothing to page")
		return
	}
	ctx := ctxFor(t)
	const n = 23
	want := map[string]bool{}
	for i := range n {
		// Pairs of frames share a creation time, so the cursor must break ties by ID.
		r := record(newID(), 1, h.doc("paging", i), baseTime.Add(time.Duration(i/2)*time.Minute))
		mustPut(t, tr, r)
		want[r.ID] = true
	}
	for _, text := range []string{"", "paging"} {
		seen := map[string]bool{}
		var after *driver.Cursor
		for page := 0; ; page++ {
			if page > n {
				t.Fatalf("text %q: pagination does not end", text)
			}
			hits, err := q.Query(ctx, driver.Query{Text: text, Limit: 5, After: after})
			if err != nil {
				t.Fatalf("text %q page %d: %v", text, page, err)
			}
			if len(hits) == 0 {
				break
			}
			for _, h := range hits {
				if seen[h.ID] {
					t.Fatalf("text %q: frame %s returned twice", text, h.ID)
				}
				seen[h.ID] = true
			}
			last := hits[len(hits)-1]
			after = &driver.Cursor{Rank: last.Rank, CreatedAt: last.CreatedAt, ID: last.ID}
		}
		if len(seen) != n {
			t.Fatalf("text %q: pages covered %d frames, want %d", text, len(seen), n)
		}
	}
}

func testAfterClose(t *testing.T, h *Harness, tr driver.Tier) {
	r := record(newID(), 1, h.doc("closed", 1), baseTime)
	mustPut(t, tr, r)
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	calls := append(tierCalls(h, tr, r), tierCall{"Close", func(context.Context) error { return tr.Close() }})
	for _, c := range calls {
		if err := c.call(ctxFor(t)); !errors.Is(err, driver.ErrClosed) {
			t.Errorf("%s after Close = %v, want an error wrapping driver.ErrClosed", c.name, err)
		}
	}
}

// queryIDs runs q and returns the IDs of its hits, in order.
func queryIDs(t *testing.T, tr driver.Querier, q driver.Query) []string {
	t.Helper()
	hits, err := tr.Query(ctxFor(t), q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

// testQueryParent checks that Query with ParentID returns only the
// children of that frame.
func testQueryParent(t *testing.T, h *Harness, tr driver.Tier) {
	q, ok := tr.(driver.Querier)
	if !ok {
		t.Log("tier does not implement driver.Querier; the manager answers queries from other tiers")
		return
	}
	at := func(hour int) time.Time { return baseTime.Add(time.Duration(hour) * time.Hour) }
	parent := record(newID(), 1, h.doc("parent node", 0), at(0))
	older := record(newID(), 1, h.doc("child apple", 1), at(1))
	newer := record(newID(), 1, h.doc("child banana", 2), at(2))
	grandchild := record(newID(), 1, h.doc("grandchild apple", 3), at(3))
	stranger := record(newID(), 1, h.doc("child apple elsewhere", 4), at(4))
	older.ParentID, newer.ParentID = parent.ID, parent.ID
	grandchild.ParentID = older.ID
	stranger.ParentID = newID()
	mustPut(t, tr, parent, older, newer, grandchild, stranger)

	expectOrder(t, "children of the parent", queryIDs(t, q, driver.Query{ParentID: parent.ID, Limit: 10}), newer, older)
	expectOrder(t, "children of a child", queryIDs(t, q, driver.Query{ParentID: older.ID, Limit: 10}), grandchild)
	expectOrder(t, "children of a frame without any", queryIDs(t, q, driver.Query{ParentID: newer.ID, Limit: 10}))
	expectOrder(t, "children of an unknown frame", queryIDs(t, q, driver.Query{ParentID: newID(), Limit: 10}))
	expectOrder(t, "children of the parent matching apple",
		queryIDs(t, q, driver.Query{ParentID: parent.ID, Text: "apple", Limit: 10}), older)
	first, err := q.Query(ctxFor(t), driver.Query{ParentID: parent.ID, Limit: 1})
	if err != nil || len(first) != 1 || first[0].ID != newer.ID {
		t.Fatalf("first page of children = %d hits, %v; want %s", len(first), err, newer.ID)
	}
	last := first[0]
	expectOrder(t, "second page of children", queryIDs(t, q, driver.Query{ParentID: parent.ID, Limit: 10,
		After: &driver.Cursor{Rank: last.Rank, CreatedAt: last.CreatedAt, ID: last.ID}}), older)
}
