package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
)

func TestVersion(t *testing.T) {
	c := newCLI(t)
	out := c.ok("", "--version").stdout
	v, ok := strings.CutPrefix(strings.TrimSpace(out), "stackmemory ")
	if !ok || v == "" || strings.ContainsAny(v, " ()") {
		t.Errorf("--version printed %q, want \"stackmemory <module version>\"", out)
	}
	var js struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(c.ok("", "--version", "--json").stdout), &js); err != nil || js.Version != v {
		t.Errorf("--version --json: %q (%v), want %q", js.Version, err, v)
	}
	// status carries the same version.
	var st struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(c.ok("", "status", "--json").stdout), &st); err != nil || st.Version != v {
		t.Errorf("status --json version %q (%v), --version says %q", st.Version, err, v)
	}
}

// jsonErr decodes the error a --json run printed on stderr, where every
// line is a JSON object (log records, notes) and one is the error:
// {"error": "...", "code": N}.
func jsonErr(t *testing.T, r result) (msg string, code int) {
	t.Helper()
	found := 0
	for _, l := range lines(r.stderr) {
		var e struct {
			Error string `json:"error"`
			Code  *int   `json:"code"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("stderr with --json has a line that is not JSON: %v\n%s", err, l)
		}
		if e.Code != nil && e.Error != "" {
			msg, code = e.Error, *e.Code
			found++
		}
	}
	if found != 1 {
		t.Fatalf("stderr with --json has %d {\"error\", \"code\"} objects, want 1:\n%s", found, r.stderr)
	}
	return msg, code
}

func TestJSONErrors(t *testing.T) {
	c := newCLI(t)
	putDocs(t, c, "demo", oddDocs[:1])
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--json", "storage", "retrieve", "0190f5c2-0000-7000-8000-00000000beef"}, exitNotFound, "not found"},
		{[]string{"storage", "retrieve", "not-a-uuid", "--json"}, exitUsage, "not a UUID"},
		{[]string{"--json", "storage", "status", "--bogus-flag"}, exitUsage, "bogus-flag"},
		{[]string{"--json", "storage", "bogus"}, exitUsage, "bogus"},
		{[]string{"--json", "--config", filepath.Join(c.home, "missing.json"), "status"}, exitConfig, "missing.json"},
	} {
		r := c.run("", tc.args...).want(t, tc.code, strings.Join(tc.args, " "))
		msg, code := jsonErr(t, r)
		if code != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: error %q code %d, want code %d and a message naming %q", tc.args, msg, code, tc.code, tc.want)
		}
		if r.stdout != "" {
			t.Errorf("%v: stdout %q, want nothing", tc.args, r.stdout)
		}
	}
	// Without --json the same error is text.
	r := c.run("", "storage", "retrieve", "0190f5c2-0000-7000-8000-00000000beef").want(t, exitNotFound, "text error")
	if !strings.HasPrefix(r.stderr, "stackmemory: ") {
		t.Errorf("text error: %q", r.stderr)
	}
}

func TestRetrieveJSONIsOneLinePutTakesBack(t *testing.T) {
	c := newCLI(t)
	ids := putDocs(t, c, "demo", oddDocs)
	var all strings.Builder
	for i, id := range ids {
		out := c.ok("", "storage", "retrieve", "--json", id).stdout
		if !strings.HasSuffix(out, "}\n") || strings.Count(out, "\n") != 1 {
			t.Fatalf("retrieve --json is not one line:\n%s", out)
		}
		var f struct {
			ID      string          `json:"frame_id"`
			Level   int             `json:"level"`
			Version uint64          `json:"version"`
			Data    json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(out), &f); err != nil {
			t.Fatalf("retrieve --json: %v\n%s", err, out)
		}
		if f.ID != id || f.Level != 1 || f.Version == 0 || string(f.Data) != oddDocs[i] {
			t.Errorf("retrieve --json %s: id %s level %d version %d data %s", id, f.ID, f.Level, f.Version, f.Data)
		}
		all.WriteString(out)
	}
	// The lines go into put elsewhere and come back byte for byte.
	other := newCLI(t)
	got := lines(other.ok(all.String(), "storage", "put").stdout)
	if strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Fatalf("put of retrieve --json lines stored %v, want %v", got, ids)
	}
	for i, id := range ids {
		if doc := other.ok("", "storage", "retrieve", id).stdout; doc != oddDocs[i] {
			t.Errorf("after retrieve --json | put: %s is %q, want %q", id, doc, oddDocs[i])
		}
	}
}

// putLine is a `storage put` line with every identity field set.
func putLine(id, session, parent, project string, created time.Time, doc string) string {
	f := exportedFrame{FrameID: id, SessionID: session, ParentID: parent, ProjectID: project}
	if !created.IsZero() {
		f.CreatedAt = created.Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	s := strings.Replace(string(b), `,"created_at":""`, "", 1)
	return s[:len(s)-1] + `,"data":` + doc + "}\n"
}

// searchIDs runs `storage search --json` and returns the IDs found.
func searchIDs(t *testing.T, c *cli, args ...string) []string {
	t.Helper()
	r := c.ok("", append([]string{"storage", "search", "--json"}, args...)...)
	var res searchResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("search --json: %v\n%s", err, r.stdout)
	}
	var ids []string
	for _, f := range res.Frames {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestSearchTimeRange(t *testing.T) {
	c := newCLI(t)
	root, kid1, kid2, recent := tier.NewID(), tier.NewID(), tier.NewID(), tier.NewID()
	day := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	in := putLine(root, "", "", "tree", day, `{"step":"root"}`) +
		putLine(kid1, "", root, "tree", day.Add(24*time.Hour), `{"step":"one"}`) +
		putLine(kid2, "", root, "tree", day.Add(48*time.Hour), `{"step":"two"}`) +
		putLine(recent, "", "", "tree", time.Time{}, `{"step":"now"}`)
	c.ok(in, "storage", "put")
	for _, tc := range []struct {
		args []string
		want []string // newest first
	}{
		{[]string{"", "--since", "2024-05-02"}, []string{recent, kid2, kid1}},
		{[]string{"", "--until", "2024-05-03"}, []string{kid1, root}},
		{[]string{"", "--since", "2024-05-02T00:00:00Z", "--until", "2024-05-03T00:00:00Z"}, []string{kid1}},
		{[]string{"", "--since", "1d"}, []string{recent}},
		{[]string{"", "--until", "7d"}, []string{kid2, kid1, root}},
	} {
		if got := searchIDs(t, c, tc.args...); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("search %q: got %v, want %v", tc.args, got, tc.want)
		}
	}
	for _, args := range [][]string{
		{"storage", "search", "", "--since", "yesterday"},
		{"storage", "search", "", "--until", "2024-13-01"},
		{"storage", "search", "", "--since", "2024-05-03", "--until", "2024-05-02"},
		{"storage", "search", "", "--parent", "not-a-uuid"},
	} {
		r := c.run("", args...).want(t, exitUsage, strings.Join(args, " "))
		if !strings.Contains(r.stderr, args[3]) {
			t.Errorf("%v: the message does not name the flag: %s", args, r.stderr)
		}
	}
}

func TestRelativeSQLitePath(t *testing.T) {
	c := newCLI(t)
	ids := putDocs(t, c, "demo", oddDocs[:1], "--sqlite", "rel.db")
	if _, err := os.Stat(filepath.Join(c.home, "rel.db")); err != nil {
		t.Fatalf("--sqlite rel.db did not create rel.db in the working directory: %v", err)
	}
	if got := c.ok("", "--sqlite", "rel.db", "storage", "retrieve", ids[0]).stdout; got != oddDocs[0] {
		t.Errorf("retrieve from rel.db: %q", got)
	}
	var st overallStatus
	if err := json.Unmarshal([]byte(c.ok("", "--sqlite", "rel.db", "status", "--json").stdout), &st); err != nil || st.SQLitePath != filepath.Join(c.home, "rel.db") {
		t.Errorf("status names the tier 1 file %q (%v), want %s", st.SQLitePath, err, filepath.Join(c.home, "rel.db"))
	}
	// So does STACKMEMORY_SQLITE_PATH.
	env := newCLI(t, "STACKMEMORY_SQLITE_PATH=env-rel.db")
	envIDs := putDocs(t, env, "demo", oddDocs[1:2])
	if _, err := os.Stat(filepath.Join(env.home, "env-rel.db")); err != nil {
		t.Errorf("STACKMEMORY_SQLITE_PATH=env-rel.db did not create env-rel.db in the working directory: %v", err)
	}
	if got := env.ok("", "storage", "retrieve", envIDs[0]).stdout; got != oddDocs[1] {
		t.Errorf("retrieve from env-rel.db: %q", got)
	}
	// The default file was not touched.
	if _, err := os.Stat(filepath.Join(c.home, ".stackmemory", "frames.db")); err == nil {
		t.Errorf("--sqlite rel.db also created ~/.stackmemory/frames.db")
	}
}

// StackMemory's own config.json: the CLI reads the storage key, takes the
// spec's fields, and never writes the file; a URL flag turns its tier on
// even when the file has it off.
func TestStackMemoryConfigFile(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(c.home, ".stackmemory")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "config.json")
	content := []byte(`{"version": "1.0", "auth": {"token": "abc"}, "projects": ["web"],
 "storage": {"tiers": {"sqlite": {"maxFrames": 2, "maxAge": 3600, "path": "frames-here.db"},
  "redis": {"enabled": false, "connectionString": "redis://127.0.0.1:1/0"}}}}`)
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	putDocs(t, c, "demo", oddDocs[:1])
	var st struct {
		SQLitePath string `json:"sqlite_path"`
		Tiers      []struct {
			Limits tier.Limits `json:"limits"`
		} `json:"tiers"`
	}
	if err := json.Unmarshal([]byte(c.ok("", "status", "--json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Tiers) != 1 || st.Tiers[0].Limits.MaxFrames != 2 || st.Tiers[0].Limits.MaxIdle != time.Hour {
		t.Errorf("the storage key of config.json did not take effect: %+v", st.Tiers)
	}
	if st.SQLitePath != filepath.Join(c.home, "frames-here.db") {
		t.Errorf("tier 1 file %q, want frames-here.db in the working directory", st.SQLitePath)
	}
	c.ok("", "config", "show")
	if after, err := os.ReadFile(file); err != nil || string(after) != string(content) {
		t.Errorf("config.json was changed (%v):\n%s", err, after)
	}
	// --redis turns the tier on over "enabled": false (here unreachable).
	st2 := statusDown(t, c, "--redis", "redis://"+closedPort(t)+"/0")
	if len(st2.Tiers) != 2 || st2.Tiers[1].Driver != "redis" {
		t.Errorf("--redis did not add the tier the file turns off: %+v", st2.Tiers)
	}
	if err := os.WriteFile(file, []byte(`{"storage": {"tiers": {"sqlite": {"maxFrame": 2}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "status").want(t, exitConfig, "a misspelt key in storage")
	if !strings.Contains(r.stderr, "storage.tiers.sqlite.maxFrame") {
		t.Errorf("the error does not name the field: %s", r.stderr)
	}
}

// Input that is not JSON lines at all: compressed files are named as such,
// and garbage is rejected line by line without flooding the terminal.
func TestPutOfSomethingElse(t *testing.T) {
	c := newCLI(t)
	gz := string([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}) + "rest"
	r := c.run(gz, "storage", "put").want(t, exitUsage, "put of a gzip stream")
	if !strings.Contains(r.stderr, "stdin is gzip-compressed") {
		t.Errorf("put of a gzip stream: %s", r.stderr)
	}
	var garbage strings.Builder
	for i := range 100 {
		fmt.Fprintf(&garbage, "garbage %d\n", i)
	}
	garbage.WriteString(frameLine(t, "demo", oddDocs[0]) + "\n")
	r = c.run(garbage.String(), "storage", "put").want(t, exitRejected, "put of garbage with one good line")
	if n := strings.Count(r.stderr, "not a frame object"); n != maxShownRejections {
		t.Errorf("put printed %d rejected lines, want the first %d:\n%s", n, maxShownRejections, r.stderr)
	}
	if !strings.Contains(r.stderr, "80 more rejected lines not shown") || !strings.Contains(r.stderr, "100 of 101 lines rejected") || len(lines(r.stdout)) != 1 {
		t.Errorf("put of garbage:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
}
