package sqlitedriver_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

func searchStore(t *testing.T) (*sqlitedriver.Store, []driver.Record) {
	t.Helper()
	s := openStore(t)
	docs := []string{
		`{"task":"fix the flaky database migration","notes":"migration ran twice"}`,
		`{"task":"write release notes","notes":"mention the database upgrade"}`,
		`{"task":"refactor parser","notes":"no storage work"}`,
		`{"task":"database migration migration migration","notes":"all about migration"}`,
	}
	var recs []driver.Record
	for i, d := range docs {
		recs = append(recs, newRecord(i, d))
	}
	mustPut(t, s, recs...)
	return s, recs
}

func hitIDs(hits []driver.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.ID[len(h.ID)-1:])
	}
	return out
}

func TestSearchRanksMatches(t *testing.T) {
	s, recs := searchStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"migration", []string{"3", "0"}}, // the frame saying it most ranks first
		{"database migration", []string{"3", "0"}},
		{`"release notes"`, []string{"1"}},
		{`"notes release"`, nil},
		{"database -migration", []string{"1"}},
		{"parser OR upgrade OR nothing", []string{"1", "2"}}, // order by rank; compared sorted
		{"migrat*", []string{"3", "0"}},
		{"task", nil}, // keys are not indexed, only values
		{"-database", nil},
	} {
		hits, err := s.Query(ctx, driver.Query{Text: tc.text, Limit: 100})
		if err != nil {
			t.Errorf("Query(%q): %v", tc.text, err)
			continue
		}
		got := hitIDs(hits)
		if strings.Contains(tc.text, " OR ") {
			slices.Sort(got)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("Query(%q) = %v, want %v", tc.text, got, tc.want)
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Rank > hits[i-1].Rank {
				t.Errorf("Query(%q): hits not best first: %v then %v", tc.text, hits[i-1].Rank, hits[i].Rank)
			}
		}
	}
	hits, _ := s.Query(ctx, driver.Query{Text: "migration", Limit: 100})
	if len(hits) > 0 && string(hits[0].Data) != string(recs[3].Data) {
		t.Errorf("hit data = %s, want the stored document", hits[0].Data)
	}
}

func TestHostileSearchTextIsSafe(t *testing.T) {
	s, _ := searchStore(t)
	ctx := context.Background()
	for _, text := range []string{
		`"unbalanced AND (`, `NEAR(`, `NEAR(a b, 2)`, `)`, `"`, `""`, `*`, `-`, `--`, `- -x`,
		`body:database`, `frames_fts:x`, `^database`, `AND`, `OR`, `NOT`, `OR OR database OR`,
		`a"b"c`, `'; DROP TABLE frames; --`, `{"task":`, "\x00", `database*"*`, `\"`, `+database`,
	} {
		if _, err := s.Query(ctx, driver.Query{Text: text, Limit: 100}); err != nil {
			t.Errorf("Query(%q) = %v, want no error", text, err)
		}
	}
	if u, _ := s.Usage(ctx); u.Frames != 4 {
		t.Errorf("frames after hostile queries = %d, want 4", u.Frames)
	}
}

func TestMatchExpression(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`foo bar`, `("foo") AND ("bar")`},
		{`"big phrase" x`, `("big phrase") AND ("x")`},
		{`"the phrase" x`, `("phrase") AND ("x")`}, // stop words are dropped
		{`x OR y z`, `("x" OR "y") AND ("z")`},
		{`x -y -"c d"`, `((("x")) NOT "y") NOT "c d"`},
		{`NEAR(`, `("near")`},
		{`foo-bar`, `("foo bar")`},
		{`pre*`, `("pre"*)`},
		{`OR x`, `("x")`},
		{`x OR OR y`, `("x" OR "y")`},
	} {
		got, ok := sqlitedriver.MatchExpression(tc.in)
		if !ok || got != tc.want {
			t.Errorf("MatchExpression(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	for _, in := range []string{``, `-x`, `( ) *`, `"`, `the and or`, `OR OR`} {
		if got, ok := sqlitedriver.MatchExpression(in); ok {
			t.Errorf("MatchExpression(%q) = %q, want nothing to match", in, got)
		}
	}
}

func TestQueryFiltersAndPages(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var recs []driver.Record
	for i := range 10 {
		r := newRecord(i, `{"note":"common word"}`)
		if i%2 == 1 {
			r.ProjectID = "other"
			r.SessionID = "22222222-2222-7222-8222-222222222222"
		}
		if i == 9 {
			r.CreatedAt = recs[8].CreatedAt // a tie, broken by ID
		}
		recs = append(recs, r)
	}
	mustPut(t, s, recs...)

	all, err := s.Query(ctx, driver.Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(hitIDs(all)); got != "[8 9 7 6 5 4 3 2 1 0]" {
		t.Errorf("list order = %s, want newest first, ties by ID", got)
	}
	proj, _ := s.Query(ctx, driver.Query{ProjectID: "other", Limit: 100})
	if got := fmt.Sprint(hitIDs(proj)); got != "[9 7 5 3 1]" {
		t.Errorf("project filter = %s", got)
	}
	sess, _ := s.Query(ctx, driver.Query{SessionID: recs[0].SessionID, CreatedAfter: recs[2].CreatedAt, CreatedBefore: recs[8].CreatedAt, Limit: 100})
	if got := fmt.Sprint(hitIDs(sess)); got != "[6 4 2]" {
		t.Errorf("session and time filter = %s", got)
	}

	for _, text := range []string{"", "common"} {
		var pages []string
		var after *driver.Cursor
		for range 10 {
			hits, err := s.Query(ctx, driver.Query{Text: text, Limit: 3, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 {
				break
			}
			pages = append(pages, fmt.Sprint(hitIDs(hits)))
			last := hits[len(hits)-1]
			after = &driver.Cursor{Rank: last.Rank, CreatedAt: last.CreatedAt, ID: last.ID}
		}
		if got := fmt.Sprint(pages); got != "[[8 9 7] [6 5 4] [3 2 1] [0]]" {
			t.Errorf("pages for text %q = %s", text, got)
		}
	}
}

func TestSearchSurvivesVacuum(t *testing.T) {
	path := t.TempDir() + "/frames.db"
	s := openStoreAt(t, path)
	ctx := context.Background()
	for i := range 30 {
		mustPut(t, s, newRecord(i, fmt.Sprintf(`{"word":"w%d"}`, i)))
	}
	for i := range 20 {
		if err := s.Delete(ctx, newRecord(i, "").ID, driver.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	// An outside tool runs a full VACUUM, which may renumber rowids.
	if _, err := rawDB(t, path).Exec(`VACUUM`); err != nil {
		t.Fatal(err)
	}
	hits, err := s.Query(ctx, driver.Query{Text: "w25", CreatedAfter: baseTime.Add(-time.Hour), Limit: 100})
	if err != nil || len(hits) != 1 || hits[0].ID != newRecord(25, "").ID {
		t.Fatalf("search after VACUUM = %v hits, %v; want frame 25", hitIDs(hits), err)
	}
}
