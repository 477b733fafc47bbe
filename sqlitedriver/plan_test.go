package sqlitedriver_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/sqlitedriver"
)

// fullScan matches a plan step reading the whole frames table without an
// index ("SCAN frames" not followed by "USING ... INDEX").
var fullScan = regexp.MustCompile(`SCAN frames\b(?:$|[^ ]| [^U])`)

func TestQueriesUseIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.db")
	s := openStoreAt(t, path)
	var recs []driver.Record
	for i := range 200 {
		recs = append(recs, newRecord(i, `{"a":"b"}`))
	}
	if err := s.PutMany(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if _, err := db.Exec(`ANALYZE`); err != nil { // plans must hold with statistics too
		t.Fatal(err)
	}

	var pool *sqlx.DB // the store's own connections know tier_rank
	if !s.As(&pool) {
		t.Fatal("As(**sqlx.DB) = false")
	}
	plan := func(query string, args []any) string {
		t.Helper()
		rows, err := pool.Query(`EXPLAIN QUERY PLAN `+query, args...)
		if err != nil {
			t.Fatalf("explain %s: %v", query, err)
		}
		defer rows.Close()
		var steps []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, detail)
		}
		return strings.Join(steps, "\n")
	}
	check := func(name, query string, args []any, wantIndex string) {
		t.Helper()
		p := plan(query, args)
		if fullScan.MatchString(p) || strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, wantIndex) {
			t.Errorf("%s: plan\n%s\nwant %s without a full scan or sort", name, p, wantIndex)
		}
	}
	now := time.Now()
	for policy, index := range map[driver.Policy]string{
		driver.LRU: "frames_by_last_accessed", driver.LFU: "frames_by_lfu_key", driver.AGE: "frames_by_created",
	} {
		for _, q := range []driver.CandidateQuery{
			{Policy: policy, Limit: 10},
			{Policy: policy, Limit: 10, CreatedBefore: now},
			{Policy: policy, Limit: 10, AccessedBefore: now},
			{Policy: policy, Limit: 10, CreatedBefore: now, AccessedBefore: now},
		} {
			query, args, err := sqlitedriver.CandidatesSQL(q)
			if err != nil {
				t.Fatal(err)
			}
			check("candidates "+string(policy), query, args, index)
		}
	}
	for name, q := range map[string]driver.Query{
		"project": {ProjectID: "proj", Limit: 10},
		"session": {SessionID: "s", Limit: 10, After: &driver.Cursor{CreatedAt: now, ID: "x"}},
		"created": {CreatedAfter: now.Add(-time.Hour), CreatedBefore: now, Limit: 10},
		"parent":  {ParentID: "00000000-0000-7000-8000-000000000001", Limit: 10},
		"all":     {Limit: 10},
	} {
		query, args, _ := sqlitedriver.QuerySQL(q, 500, nil)
		check("query "+name, query, args, "INDEX frames_by_")
	}
	for _, q := range []driver.Query{
		{Text: "a b", Limit: 5},
		{Text: "a b", ProjectID: "p", Limit: 5},
		{Text: "b", SessionID: "s", CreatedAfter: now.Add(-time.Hour), Limit: 5,
			After: &driver.Cursor{Rank: 1, CreatedAt: now, ID: "x"}},
	} {
		query, args, _ := sqlitedriver.QuerySQL(q, 500, nil)
		p := plan(query, args)
		// The window walks the full-text index in rowid order (no sort of
		// the matches); only the window is sorted.
		if fullScan.MatchString(p) || !strings.Contains(p, "VIRTUAL TABLE") ||
			strings.Count(p, "TEMP B-TREE") > 2 {
			t.Errorf("text query %+v plan\n%s\nwant the FTS index driving the window", q, p)
		}
	}
}
