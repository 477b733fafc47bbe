package pgdriver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// TestSearchRanksMatchesFirst checks that a frame containing the searched
// words ranks above frames containing fewer of them, and that frames
// without them are not returned.
func TestSearchRanksMatchesFirst(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	both := record(newID(), 1, `{"task":"Migrate the billing database","notes":["database migration failed twice","retry the billing migration"]}`)
	one := record(newID(), 1, `{"task":"Update the database driver","notes":["bump version"]}`)
	none := record(newID(), 1, `{"task":"Write the release notes","notes":["changelog"]}`)
	if err := s.PutMany(ctx, []driver.Record{none, one, both}); err != nil {
		t.Fatal(err)
	}

	hits, err := s.Query(ctx, driver.Query{Text: "billing database", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].ID != both.ID || string(hits[0].Data) != string(both.Data) {
		t.Fatalf("search for both words: %v, want only the frame with both", hitIDs(hits))
	}

	hits, err = s.Query(ctx, driver.Query{Text: "billing OR database OR migrations", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].ID != both.ID || hits[1].ID != one.ID || !(hits[0].Rank > hits[1].Rank) {
		t.Fatalf("OR search: %v, want [%s %s] with decreasing rank", hitRanks(hits), both.ID, one.ID)
	}

	for _, text := range []string{`"release notes"`, "notes -billing -database"} {
		hits, err = s.Query(ctx, driver.Query{Text: text, Limit: 10})
		if err != nil || len(hits) != 1 || hits[0].ID != none.ID {
			t.Errorf("search %s: %v (%v), want only %s", text, hitIDs(hits), err, none.ID)
		}
	}
	if hits, err = s.Query(ctx, driver.Query{Text: "the", Limit: 10}); err != nil || len(hits) != 0 {
		t.Errorf("search for a stop word: %v (%v), want nothing", hitIDs(hits), err)
	}
}

// TestQueryFiltersAndPages checks the project, session and time filters and
// that following the cursor visits every matching frame once, in order.
func TestQueryFiltersAndPages(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	session := newID()
	var recs []driver.Record
	for i := range 30 {
		rec := record(newID(), 1, fmt.Sprintf(`{"task":"deploy service %d","words":%q}`, i, strings.Repeat("deploy ", i%4+1)))
		rec.CreatedAt = base.Add(time.Duration(i/2) * time.Minute) // pairs share a creation time
		rec.ProjectID = []string{"alpha", "beta"}[i%2]
		if i%3 == 0 {
			rec.SessionID = session
		}
		recs = append(recs, rec)
	}
	if err := s.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	count := func(q driver.Query) int {
		t.Helper()
		var all []driver.Hit
		seen := map[string]bool{}
		for page := 0; page < 50; page++ {
			q.Limit = 4
			hits, err := s.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range hits {
				if seen[h.ID] {
					t.Fatalf("query %+v: %s returned twice", q, h.ID)
				}
				seen[h.ID] = true
				prev := h
				if i > 0 {
					prev = hits[i-1]
				} else if len(all) > 0 {
					prev = all[len(all)-1]
				}
				if before(h, prev, q.Text != "") {
					t.Fatalf("query %+v: hits out of order", q)
				}
			}
			all = append(all, hits...)
			if len(hits) < q.Limit {
				return len(all)
			}
			last := hits[len(hits)-1]
			q.After = &driver.Cursor{Rank: last.Rank, CreatedAt: last.CreatedAt, ID: last.ID}
		}
		t.Fatalf("query %+v: pagination does not end", q)
		return 0
	}
	cases := []struct {
		name string
		q    driver.Query
		want int
	}{
		{"all", driver.Query{}, 30},
		{"project", driver.Query{ProjectID: "alpha"}, 15},
		{"session", driver.Query{SessionID: session}, 10},
		{"time range", driver.Query{CreatedAfter: base.Add(2 * time.Minute), CreatedBefore: base.Add(5 * time.Minute)}, 6},
		{"text", driver.Query{Text: "deploy"}, 30},
		{"text and project", driver.Query{Text: "deploy", ProjectID: "beta"}, 15},
		{"text and session and range", driver.Query{Text: "service", SessionID: session, CreatedBefore: base.Add(6 * time.Minute)}, 4},
		{"unknown session", driver.Query{SessionID: newID()}, 0},
	}
	for _, c := range cases {
		if got := count(c.q); got != c.want {
			t.Errorf("%s: %d frames, want %d", c.name, got, c.want)
		}
	}
}

// before reports whether hit a sorts strictly before b in Query's order.
func before(a, b driver.Hit, ranked bool) bool {
	if ranked && a.Rank != b.Rank {
		return a.Rank > b.Rank
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID < b.ID
}

func hitIDs(hits []driver.Hit) []string {
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func hitRanks(hits []driver.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s:%g", h.ID, h.Rank))
	}
	return out
}
