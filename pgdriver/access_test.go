package pgdriver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stackmemoryai/tier/driver"
)

// TestTouchUpdatesAccessStats checks the statistics Touch keeps, and that a
// later Put of a new version keeps them.
func TestTouchUpdatesAccessStats(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	rec := record(newID(), 1, `{"a":1}`)
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	t1, t2 := rec.LastAccess.Add(time.Hour), rec.LastAccess.Add(2*time.Hour)
	hits := []driver.Access{{ID: rec.ID, At: t2, Count: 3}, {ID: rec.ID, At: t1, Count: 2}, {ID: newID(), At: t1, Count: 1}, {ID: "junk", Count: 1}}
	if err := s.Touch(ctx, hits); err != nil {
		t.Fatal(err)
	}
	wantKey := driver.LFUKey(driver.LFUKey(rec.LFUKey, t2, 3), t1, 2)
	next := record(rec.ID, 2, `{"a":2}`)
	if err := s.Put(ctx, next); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Get(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessCount != 6 || !got.LastAccess.Equal(t2) || got.LFUKey != wantKey || got.Version != 2 {
		t.Errorf("after Touch and Put: count %d last %v key %v version %d; want 6 %v %v 2",
			got.AccessCount, got.LastAccess, got.LFUKey, got.Version, t2, wantKey)
	}
}

// TestCandidatesUseIndexes checks, on enough frames for the planner to
// care, that candidate selection for every policy, and listing the
// children of a frame, read an index instead of scanning and sorting the
// table.
func TestCandidatesUseIndexes(t *testing.T) {
	s, url := newStoreURL(t)
	ctx := context.Background()
	const n = 20000
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]driver.Record, 0, n)
	for i := range n {
		rec := record(newID(), 1, fmt.Sprintf(`{"i":%d}`, i))
		rec.CreatedAt = base.Add(time.Duration(i) * time.Second)
		rec.LastAccess = base.Add(time.Duration((i*7919)%n) * time.Second)
		rec.LFUKey = float64((i * 104729) % n)
		if i > 0 {
			rec.ParentID = recs[(i-1)/10].ID // frame k has the ten children 10k+1 ... 10k+10
		}
		recs = append(recs, rec)
	}
	if err := s.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil { // ANALYZE
		t.Fatal(err)
	}
	conn := sqlConn(t, url)
	var b queryBuilder
	q := driver.Query{ParentID: recs[500].ID, Limit: 20}
	b.filters(&q)
	if plan := explain(t, conn, "children of a frame", "EXPLAIN "+s.listSQL(&b, &q), b.args...); !strings.Contains(plan, "idx_frames_archive_parent") {
		t.Errorf("children of a frame: plan does not read idx_frames_archive_parent:\n%s", plan)
	}
	children, err := s.Query(ctx, q)
	if err != nil || len(children) != 10 {
		t.Errorf("children of a frame: %d, %v; want 10", len(children), err)
	}
	for policy, order := range candidateOrder {
		for _, where := range []string{"", " WHERE created_at < $2", " WHERE (last_accessed < $2 OR last_accessed IS NULL)"} {
			sql := "EXPLAIN SELECT " + metaColumns + " FROM frames_archive" + where + " ORDER BY " + order + " LIMIT $1"
			args := []any{100}
			if where != "" {
				args = append(args, base.Add(n/2*time.Second))
			}
			explain(t, conn, string(policy)+where, sql, args...)
		}
		got, err := s.Candidates(ctx, driver.CandidateQuery{Policy: policy, Limit: 3})
		if err != nil || len(got) != 3 {
			t.Fatalf("%s: %d candidates, %v", policy, len(got), err)
		}
	}
}

// explain returns the plan of sql, failing the test when it scans the
// whole table instead of reading an index.
func explain(t *testing.T, conn *pgx.Conn, what, sql string, args ...any) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan") || !strings.Contains(text, "Index") {
		t.Errorf("%s: plan does not read an index:\n%s", what, text)
	}
	return text
}

// TestRetention checks DeleteOlderThan and the retention Compact applies.
func TestRetention(t *testing.T) {
	s, url := newStoreURL(t, "retention_days=30")
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var recs []driver.Record
	for i, age := range []int{1, 10, 29, 31, 45, 400} {
		rec := record(newID(), 1, fmt.Sprintf(`{"i":%d}`, i))
		rec.CreatedAt = now.AddDate(0, 0, -age)
		recs = append(recs, rec)
	}
	if err := s.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteOlderThan(ctx, now.AddDate(0, 0, -100))
	if err != nil || n != 1 {
		t.Errorf("DeleteOlderThan 100 days: %d, %v; want 1", n, err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	left, err := s.GetMany(ctx, []string{recs[0].ID, recs[1].ID, recs[2].ID, recs[3].ID, recs[4].ID})
	if err != nil || len(left) != 3 {
		t.Errorf("after Compact with retention_days=30: %d of the 5 frames left (%v), want the 3 younger ones", len(left), err)
	}
	// Retention not set: Compact keeps everything.
	keep := openURL(t, withParams(url, "timeout="+testTimeout))
	if err := keep.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if u, err := keep.Usage(ctx); err != nil || u.Frames != 3 {
		t.Errorf("Compact without retention: %+v, %v; want 3 frames", u, err)
	}
}

// TestCompactForgetsOldTombstones checks that Compact removes tombstones
// older than tombstone_days and keeps the others.
func TestCompactForgetsOldTombstones(t *testing.T) {
	s := newStore(t, "tombstone_days=7")
	ctx := context.Background()
	old, recent := newID(), newID()
	for _, id := range []string{old, recent} {
		if err := s.Bury(ctx, id, 5); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `UPDATE frame_tombstones SET deleted_at = now() - interval '8 days' WHERE frame_id = $1`, old); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Tombstones(ctx, []string{old, recent})
	if err != nil || len(got) != 1 || got[recent] != 5 {
		t.Fatalf("tombstones after Compact = %v, %v; want only the recent one (%s)", got, err, recent)
	}
	// A forgotten tombstone no longer keeps a write out.
	if err := s.Put(ctx, record(old, 3, `{"back":true}`)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(ctx, old); !ok || err != nil {
		t.Fatalf("write after the tombstone expired: found %v, %v; want stored", ok, err)
	}
}
