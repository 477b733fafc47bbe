package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Documents with odd whitespace, key order and escapes: they must come
// back byte for byte.
var oddDocs = []string{
	`{ "zeta" :1,"alpha":  [ 1,2 , {"b":null,"a":"x"} ] ,	"unicode":"\u00e9é" }`,
	`{"task":"fix the flaky websocket test","steps":[ "reproduce" ,"bisect"],"ok":true}`,
	`[3, 2,1]`,
}

// compact removes insignificant whitespace: with --json, documents are
// the same JSON value with whitespace normalized.
func compact(t *testing.T, doc []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		t.Fatalf("not JSON: %v: %s", err, doc)
	}
	return b.String()
}

// frameLine is one line of `storage put` input. It has no session: reading
// a frame of a session from a lower tier pre-fetches the session into
// tier 1 in the background, which would make the tier counts of the tests
// depend on timing.
func frameLine(t *testing.T, project, doc string) string {
	t.Helper()
	return `{"project_id":"` + project + `","data":` + doc + "}"
}

// statusJSON is the part of `storage status --json` the tests read.
type statusJSON struct {
	Tiers []struct {
		Level   int    `json:"level"`
		Driver  string `json:"driver"`
		Frames  int64  `json:"frames"`
		Bytes   int64  `json:"bytes"`
		Healthy bool   `json:"healthy"`
	} `json:"tiers"`
}

func status(t *testing.T, c *cli, flags ...string) statusJSON {
	t.Helper()
	r := c.ok("", append(flags, "storage", "status", "--json")...)
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("storage status --json is not JSON: %v\n%s", err, r.stdout)
	}
	return st
}

// statusDown runs `storage status --json` while a tier is down: the exit
// code is 4 and the table is printed all the same.
func statusDown(t *testing.T, c *cli, flags ...string) statusJSON {
	t.Helper()
	r := c.run("", append(flags, "storage", "status", "--json")...).want(t, exitUnavailable, "storage status with a tier down")
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("storage status --json with a tier down is not JSON: %v\n%s", err, r.stdout)
	}
	return st
}

// putDocs stores docs with `storage put` and returns their IDs.
func putDocs(t *testing.T, c *cli, project string, docs []string, flags ...string) []string {
	t.Helper()
	var in strings.Builder
	for _, d := range docs {
		in.WriteString(frameLine(t, project, d) + "\n")
	}
	ids := lines(c.ok(in.String(), append(flags, "storage", "put")...).stdout)
	if len(ids) != len(docs) {
		t.Fatalf("put printed %d IDs for %d frames: %q", len(ids), len(docs), ids)
	}
	return ids
}

func TestPutThenRetrieveByteForByte(t *testing.T) {
	c := newCLI(t)
	ids := putDocs(t, c, "demo", oddDocs)
	for i, id := range ids {
		got := c.ok("", "storage", "retrieve", id).stdout
		if got != oddDocs[i] {
			t.Errorf("retrieve %s:\n got %q\nwant %q", id, got, oddDocs[i])
		}
	}
	// --json gives the frame with its metadata; data is still the same.
	var f struct {
		ID    string          `json:"frame_id"`
		Level int             `json:"level"`
		Data  json.RawMessage `json:"data"`
	}
	r := c.ok("", "storage", "retrieve", "--json", ids[1])
	if err := json.Unmarshal([]byte(r.stdout), &f); err != nil {
		t.Fatal(err)
	}
	if f.ID != ids[1] || f.Level != 1 {
		t.Errorf("retrieve --json: id %s level %d, want %s level 1", f.ID, f.Level, ids[1])
	}
}

func TestStatusJSONCountsFrames(t *testing.T) {
	c := newCLI(t)
	putDocs(t, c, "demo", oddDocs)
	st := status(t, c)
	if len(st.Tiers) != 1 {
		t.Fatalf("with nothing configured want 1 tier (SQLite), got %+v", st.Tiers)
	}
	tr := st.Tiers[0]
	if tr.Level != 1 || tr.Driver != "sqlite" || tr.Frames != int64(len(oddDocs)) || tr.Bytes == 0 || !tr.Healthy {
		t.Errorf("tier 1 = %+v, want sqlite with %d frames, healthy", tr, len(oddDocs))
	}
	if _, err := os.Stat(filepath.Join(c.home, ".stackmemory", "frames.db")); err != nil {
		t.Errorf("the default SQLite file is not in ~/.stackmemory: %v", err)
	}
	// The overall status carries the same tiers.
	r := c.ok("", "status", "--json")
	var all statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil || len(all.Tiers) != 1 || all.Tiers[0].Frames != int64(len(oddDocs)) {
		t.Errorf("status --json: %v %+v", err, all)
	}
	// And the text output names the tier.
	if out := c.ok("", "storage", "status").stdout; !strings.Contains(out, "sqlite") {
		t.Errorf("storage status text does not name the tier:\n%s", out)
	}
}

func TestRetrieveWrongID(t *testing.T) {
	c := newCLI(t)
	putDocs(t, c, "demo", oddDocs[:1])
	r := c.run("", "storage", "retrieve", "0190f5c2-0000-7000-8000-00000000beef").want(t, exitNotFound, "retrieve of a frame that does not exist")
	if r.stdout != "" || !strings.Contains(r.stderr, "not found") {
		t.Errorf("not found: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = c.run("", "storage", "retrieve", "not-a-uuid").want(t, exitUsage, "retrieve of an invalid frame ID")
	if !strings.Contains(r.stderr, "not a UUID") {
		t.Errorf("invalid ID message: %q", r.stderr)
	}
}

func TestPutMalformedLine(t *testing.T) {
	c := newCLI(t)
	in := strings.Join([]string{
		frameLine(t, "demo", oddDocs[0]),
		`{"project_id":"demo","data":{"unterminated":`,
		"",
		frameLine(t, "demo", oddDocs[1]),
		`{"frame_id":"nope","data":{}}`,
		`{"sesion_id":"misspelt","data":{}}`,
		`{"session_id":"0190f5c2-0000-7000-8000-000000000001","parent_frame_id":"0190f5c2-0000-7000-8000-000000000002","created_at":"2024-05-01T12:00:00Z","project_id":"demo","data":` + oddDocs[2] + `}`,
	}, "\n")
	r := c.run(in, "storage", "put").want(t, exitRejected, "put with malformed lines")
	ids := lines(r.stdout)
	if len(ids) != 3 {
		t.Fatalf("want 3 frames stored, got IDs %q\nstderr: %s", ids, r.stderr)
	}
	for _, want := range []string{"line 2:", "line 5:", "line 6:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not report %q:\n%s", want, r.stderr)
		}
	}
	for i, id := range ids {
		if got := c.ok("", "storage", "retrieve", id).stdout; got != oddDocs[i] {
			t.Errorf("good line %d: got %q want %q", i, got, oddDocs[i])
		}
	}
	if st := status(t, c); st.Tiers[0].Frames != 3 {
		t.Errorf("status counts %d frames, want 3", st.Tiers[0].Frames)
	}
	// --json reports every line.
	r = c.run("not json\n"+frameLine(t, "demo", `{"a":1}`)+"\n", "storage", "put", "--json").want(t, exitRejected, "put --json")
	var rep putReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Stored != 1 || rep.Rejected != 1 || len(rep.Lines) != 2 || rep.Lines[0].Line != 1 || rep.Lines[0].Error == "" || rep.Lines[1].FrameID == "" {
		t.Errorf("put --json report: %+v", rep)
	}
}

func TestImportFiles(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(good, []byte(frameLine(t, "imp", oddDocs[0])+"\n"+frameLine(t, "imp", oddDocs[1])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(frameLine(t, "imp", oddDocs[2])+"\n{oops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "storage", "import", good, bad).want(t, exitRejected, "import with a bad line")
	if !strings.Contains(r.stderr, "bad.jsonl:2:") || !strings.Contains(r.stdout, "imported 3 frames from 2 files") {
		t.Errorf("import output:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
	c.run("", "storage", "import", filepath.Join(dir, "missing.jsonl")).want(t, exitUsage, "import of a missing file")
	// Search finds imported frames.
	r = c.ok("", "storage", "search", "websocket", "--project", "imp", "--json")
	var res searchResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Frames) != 1 || compact(t, res.Frames[0].Data) != compact(t, []byte(oddDocs[1])) {
		t.Errorf("search: %v %s", err, r.stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"bogus"},
		{"storage", "bogus"},
		{"--bogus-flag", "status"},
		{"storage", "status", "--bogus-flag"},
		{"storage", "retrieve"},
		{"storage", "migrate"},
		{"storage", "migrate", "--tier", "1"},
		{"storage", "migrate", "--tier", "2"}, // no tier 2 configured
		{"storage", "migrate", "--tier", "2", "--older-than", "soon"},
		{"storage", "search", "x", "--cursor", "garbage"},
		{"storage", "warm"},
	} {
		r := c.run("", args...)
		if r.code != exitUsage {
			t.Errorf("stackmemory %v: exit %d, want %d (usage)\nstderr: %s", args, r.code, exitUsage, r.stderr)
		}
		if r.stderr == "" {
			t.Errorf("stackmemory %v: no message", args)
		}
	}
	r := c.ok("", "--help")
	for _, want := range []string{"Exit codes:", "Examples:", "storage"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if r := c.ok("", "storage", "migrate", "--help"); !strings.Contains(r.stdout, "--older-than") || !strings.Contains(r.stdout, "Exit codes:") {
		t.Errorf("migrate --help:\n%s", r.stdout)
	}
}

func TestConfigShowNeverPrintsPassword(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	c := newCLI(t, "REDIS_URL=redis://:"+secret+"@127.0.0.1:6379/0")
	cfgPath := filepath.Join(c.home, "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"postgres":{"url":"postgres://u:`+secret+`@127.0.0.1/db?password=`+secret+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--config", cfgPath, "config", "show"},
		{"--config", cfgPath, "config", "show", "--json"},
		{"--config", cfgPath, "--redis", "redis://user:" + secret + "@127.0.0.1:6379/1", "config", "show"},
	} {
		r := c.ok("", args...)
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("config show %v printed the password:\n%s%s", args, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "xxxxx") {
			t.Errorf("config show %v: no redacted URL:\n%s", args, r.stdout)
		}
	}
	var view configView
	r := c.ok("", "--config", cfgPath, "config", "show", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &view); err != nil || !view.ConfigFileFound || view.Config.Postgres.URL == "" {
		t.Errorf("config show --json: %v %+v", err, view)
	}
	// A bad URL: config error, no password.
	r = c.run("", "--redis", "http://:"+secret+"@127.0.0.1/", "storage", "status").want(t, exitConfig, "a bad Redis URL")
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("bad URL error printed the password: %s", r.stderr)
	}
	c.run("", "--config", filepath.Join(c.home, "missing.json"), "status").want(t, exitConfig, "a missing --config file")
	if err := os.WriteFile(cfgPath, []byte(`{"sqlite":{"maxFrames":"many"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.run("", "--config", cfgPath, "status").want(t, exitConfig, "an invalid config file")
}

func TestStatsPersistAcrossProcesses(t *testing.T) {
	c := newCLI(t)
	ids := putDocs(t, c, "demo", oddDocs[:2])
	for range 3 {
		c.ok("", "storage", "retrieve", ids[0])
	}
	c.run("", "storage", "retrieve", "0190f5c2-0000-7000-8000-00000000beef").want(t, exitNotFound, "retrieve missing")
	// A fresh process reports what the earlier ones did.
	r := c.ok("", "storage", "stats", "--json")
	var st struct {
		Reads       int64   `json:"reads"`
		Misses      int64   `json:"misses"`
		HotHitRatio float64 `json:"hot_hit_ratio"`
		Tiers       []struct {
			Level   int `json:"level"`
			Reads   int64
			Latency []struct {
				Op    string `json:"op"`
				Count int64  `json:"count"`
				P99   int64  `json:"p99_ns"`
			} `json:"latency"`
		} `json:"tiers"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Reads != 3 || st.Misses != 1 || st.HotHitRatio != 1 || len(st.Tiers) != 1 || st.Tiers[0].Reads != 3 {
		t.Errorf("stats after 3 reads and 1 miss in other processes: %s", r.stdout)
	}
	var gets int64
	for _, l := range st.Tiers[0].Latency {
		if l.Op == "get" {
			gets = l.Count
		}
	}
	if gets < 4 {
		t.Errorf("tier 1 get latency counts %d calls, want at least 4", gets)
	}
	if out := c.ok("", "storage", "stats").stdout; !strings.Contains(out, "served by tier 1: 100.0%") {
		t.Errorf("stats text:\n%s", out)
	}
	c.ok("", "storage", "stats", "--reset")
	r = c.ok("", "storage", "stats", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Reads != 0 {
		t.Errorf("stats after reset: %v %s", err, r.stdout)
	}
}

func TestLocalCommands(t *testing.T) {
	c := newCLI(t)
	putDocs(t, c, "demo", oddDocs)
	for _, args := range [][]string{
		{"storage", "compact"},
		{"storage", "maintain"},
		{"storage", "verify"},
		{"status"},
	} {
		c.ok("", args...)
		r := c.ok("", append(args, "--json")...)
		if !json.Valid([]byte(r.stdout)) {
			t.Errorf("%v --json is not JSON:\n%s", args, r.stdout)
		}
	}
}
