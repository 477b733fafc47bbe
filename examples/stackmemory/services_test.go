package main

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// redisURL returns the test Redis URL with a key prefix private to this
// test; the keys under it are deleted when the test ends.
func redisURL(t *testing.T) string {
	t.Helper()
	base := testenv.RedisURL(t)
	prefix := testenv.Prefix(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("prefix", prefix)
	q.Set("timeout", "5s") // -race on a busy machine
	u.RawQuery = q.Encode()
	t.Cleanup(func() { deleteRedisPrefix(t, base, prefix) })
	return u.String()
}

func deleteRedisPrefix(t *testing.T, base, prefix string) {
	o, err := rueidis.ParseURL(base)
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	client, err := rueidis.NewClient(o)
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cursor uint64
	for {
		e, err := client.Do(ctx, client.B().Scan().Cursor(cursor).Match(prefix+"*").Count(500).Build()).AsScanEntry()
		if err != nil {
			t.Errorf("cleanup scan: %v", err)
			return
		}
		if len(e.Elements) > 0 {
			if err := client.Do(ctx, client.B().Del().Key(e.Elements...).Build()).Error(); err != nil {
				t.Errorf("cleanup del: %v", err)
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return
		}
	}
}

// tierFrames returns the frame count per level of a status.
func tierFrames(st statusJSON) map[int]int64 {
	out := map[int]int64{}
	for _, tr := range st.Tiers {
		out[tr.Level] = tr.Frames
	}
	return out
}

func migrate(t *testing.T, c *cli, args ...string) tier.MigrateReport {
	t.Helper()
	r := c.ok("", append([]string{"storage", "migrate", "--json"}, args...)...)
	var rep tier.MigrateReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("migrate --json: %v\n%s", err, r.stdout)
	}
	return rep
}

func TestMigrateThroughRedisAndPostgres(t *testing.T) {
	c := newCLI(t, "STACKMEMORY_REDIS_URL="+redisURL(t), "STACKMEMORY_POSTGRES_URL="+testenv.PostgresURL(t))
	ids := putDocs(t, c, "demo", oddDocs)
	st := status(t, c)
	if len(st.Tiers) != 3 || st.Tiers[1].Driver != "redis" || st.Tiers[2].Driver != "postgres" {
		t.Fatalf("want the chain sqlite, redis, postgres; got %+v", st.Tiers)
	}
	// Writes may be replicated early to the tiers below (their copies
	// there are not counted on): tier 1 holds them all.
	if got := tierFrames(st); got[1] != 3 {
		t.Fatalf("after put: frames per tier %v, want 3 in tier 1", got)
	}
	retrieveAll := func(when string) {
		t.Helper()
		for i, id := range ids {
			if got := c.ok("", "storage", "retrieve", id).stdout; got != oddDocs[i] {
				t.Errorf("%s: retrieve %s:\n got %q\nwant %q", when, id, got, oddDocs[i])
			}
		}
	}

	if rep := migrate(t, c, "--tier", "2", "--dry-run"); rep.Selected != 3 || rep.Moved != 0 {
		t.Errorf("dry run: %+v", rep)
	}
	if rep := migrate(t, c, "--tier", "2"); rep.Moved != 3 {
		t.Fatalf("migrate --tier 2: %+v", rep)
	}
	// Redis is a cache: the frames are written through to PostgreSQL.
	if got := tierFrames(status(t, c)); got[1] != 0 || got[2] != 3 || got[3] != 3 {
		t.Errorf("after migrate --tier 2: frames per tier %v, want 0, 3, 3", got)
	}
	retrieveAll("in tier 2")

	if rep := migrate(t, c, "--tier", "3"); rep.Moved < 3 {
		t.Fatalf("migrate --tier 3: %+v", rep)
	}
	if got := tierFrames(status(t, c)); got[1] != 0 || got[2] != 0 || got[3] != 3 {
		t.Errorf("after migrate --tier 3: frames per tier %v, want 0, 0, 3", got)
	}
	retrieveAll("in tier 3")

	// Filters: only the matching frames move.
	other := putDocs(t, c, "other", oddDocs[:2])
	if rep := migrate(t, c, "--tier", "3", "--project", "demo"); rep.Selected != 0 {
		t.Errorf("migrate --project demo selected %d frames, none of demo is above tier 3", rep.Selected)
	}
	if rep := migrate(t, c, "--tier", "3", "--project", "other", "--limit", "1"); rep.Moved != 1 {
		t.Errorf("migrate --project other --limit 1: %+v", rep)
	}
	if got := tierFrames(status(t, c)); got[1] != 1 || got[3] < 4 {
		t.Errorf("after the filtered migrate: frames per tier %v, want 1 in tier 1 and at least 4 in tier 3", got)
	}
	for i, id := range other {
		if got := c.ok("", "storage", "retrieve", id).stdout; got != oddDocs[i] {
			t.Errorf("retrieve %s: got %q want %q", id, got, oddDocs[i])
		}
	}

	// The moves show in the statistics of a fresh process.
	var stats tier.Stats
	if err := json.Unmarshal([]byte(c.ok("", "storage", "stats", "--json").stdout), &stats); err != nil {
		t.Fatal(err)
	}
	if stats.MovesDown < 7 || stats.Tiers[2].Reads == 0 {
		t.Errorf("stats: moves down %d (want at least 7), tier 3 reads %d", stats.MovesDown, stats.Tiers[2].Reads)
	}
	c.ok("", "storage", "verify")
	c.ok("", "storage", "compact")
	c.ok("", "storage", "warm", "--project", "demo")
	if got := tierFrames(status(t, c)); got[1] != 4 {
		t.Errorf("after warm --project demo: %d frames in tier 1, want 4", got[1])
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return "127.0.0.1:" + strconv.Itoa(port)
}

func TestUnreachableRedis(t *testing.T) {
	const secret = "n0t-th3-pa55"
	down := "redis://:" + secret + "@" + closedPort(t) + "/0"
	c := newCLI(t)
	ids := putDocs(t, c, "demo", oddDocs[:1])
	// Writes are local-first: they work with Redis down too.
	ids = append(ids, putDocs(t, c, "demo", oddDocs[1:2], "--redis", down)...)
	for i, id := range ids {
		if got := c.ok("", "--redis", down, "storage", "retrieve", id).stdout; got != oddDocs[i] {
			t.Errorf("tier-1 frame with Redis down: got %q want %q", got, oddDocs[i])
		}
	}
	start := time.Now()
	r := c.run("", "--redis", down, "storage", "retrieve", "0190f5c2-0000-7000-8000-00000000beef").
		want(t, exitUnavailable, "a frame not in tier 1 with Redis down")
	t.Logf("unavailable answered in %v", time.Since(start))
	if !strings.Contains(r.stderr, "redis") || strings.Contains(r.stderr, secret) {
		t.Errorf("message should name redis and hide the password: %s", r.stderr)
	}
	st := statusDown(t, c, "--redis", down)
	if len(st.Tiers) != 2 || st.Tiers[1].Healthy || !st.Tiers[0].Healthy || st.Tiers[0].Frames != 2 {
		t.Errorf("status with Redis down: %+v", st.Tiers)
	}
	r = c.run("", "--redis", down, "storage", "migrate", "--tier", "2").want(t, exitUnavailable, "migrate with Redis down")
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("migrate printed the password: %s", r.stderr)
	}
	c.run("", "--postgres", "postgres://u:"+secret+"@"+closedPort(t)+"/db?sslmode=disable", "storage", "retrieve", "0190f5c2-0000-7000-8000-00000000beef").
		want(t, exitUnavailable, "a frame not in tier 1 with PostgreSQL down")
}
