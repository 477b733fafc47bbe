package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// A tier down since the command started: every answer that lacks its
// frames says so with exit code 4, and still prints what the others hold.
func TestPartialAnswersWithPostgresDown(t *testing.T) {
	const secret = "d0wn-pa55"
	down := "postgres://u:" + secret + "@" + closedPort(t) + "/db?sslmode=disable"
	c := newCLI(t)
	ids := putDocs(t, c, "demo", oddDocs)

	r := c.run("", "--postgres", down, "storage", "search", "websocket").want(t, exitUnavailable, "search with PostgreSQL down")
	if !strings.Contains(r.stdout, ids[1]) || !strings.Contains(r.stdout, "1 frame\n") {
		t.Errorf("search with PostgreSQL down does not print what tier 1 holds:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "not searched") || !strings.Contains(r.stderr, "postgres") || strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("search with PostgreSQL down: the warning should name the tier not searched, without the password:\n%s", r.stderr)
	}
	r = c.run("", "--postgres", down, "storage", "search", "", "--json").want(t, exitUnavailable, "search --json with PostgreSQL down")
	var res searchResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Frames) != 3 || !res.Incomplete || len(res.Unsearched) != 1 {
		t.Errorf("search --json with PostgreSQL down: %v %+v", err, res)
	}
	if msg, code := jsonErr(t, r); code != exitUnavailable || !strings.Contains(msg, "postgres") {
		t.Errorf("search --json error: %q code %d", msg, code)
	}

	for _, args := range [][]string{{"storage", "status"}, {"status"}} {
		r = c.run("", append([]string{"--postgres", down}, args...)...).want(t, exitUnavailable, strings.Join(args, " ")+" with PostgreSQL down")
		if !strings.Contains(r.stdout, "DOWN") || !strings.Contains(r.stdout, "sqlite") || strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("%v with PostgreSQL down: the table should show the tier DOWN:\n%s\n%s", args, r.stdout, r.stderr)
		}
	}
	st := statusDown(t, c, "--postgres", down)
	if len(st.Tiers) != 2 || st.Tiers[0].Frames != 3 || st.Tiers[1].Healthy {
		t.Errorf("storage status --json with PostgreSQL down: %+v", st.Tiers)
	}

	r = c.run("", "--postgres", down, "storage", "export").want(t, exitUnavailable, "export with PostgreSQL down")
	if got := len(lines(r.stdout)); got != 3 || !strings.Contains(r.stderr, "postgres") {
		t.Errorf("export with PostgreSQL down wrote %d lines, want tier 1's 3; stderr: %s", got, r.stderr)
	}
	for _, args := range [][]string{{"storage", "compact"}, {"storage", "maintain"}, {"storage", "verify"}} {
		r = c.run("", append([]string{"--postgres", down}, args...)...).want(t, exitUnavailable, strings.Join(args, " ")+" with PostgreSQL down")
		if r.stdout == "" || !strings.Contains(r.stderr, "postgres") {
			t.Errorf("%v with PostgreSQL down: want the report on stdout and the tier named on stderr:\n%s\n%s", args, r.stdout, r.stderr)
		}
		// With --json, stderr holds JSON only: logs, notes and the error.
		r = c.run("", append([]string{"--postgres", down, "--json"}, args...)...).want(t, exitUnavailable, strings.Join(args, " ")+" --json with PostgreSQL down")
		if !json.Valid([]byte(r.stdout)) {
			t.Errorf("%v --json: stdout is not JSON:\n%s", args, r.stdout)
		}
		for _, l := range lines(r.stderr) {
			if !json.Valid([]byte(l)) {
				t.Errorf("%v --json: stderr line is not JSON: %s", args, l)
			}
		}
	}
	// With every tier up the same commands exit 0.
	c.ok("", "storage", "search", "websocket")
	c.ok("", "storage", "status")
}
