package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier"
	"github.com/stackmemoryai/tier/internal/testenv"
)

// exported is one frame as the tests compare it across machines.
type exported struct {
	ID        string    `json:"frame_id"`
	Session   string    `json:"session_id"`
	Project   string    `json:"project_id"`
	Parent    string    `json:"parent_frame_id"`
	CreatedAt time.Time `json:"created_at"`
	doc       string
}

// Frames spread over SQLite, Redis and PostgreSQL, exported and put on
// another machine (a fresh HOME with SQLite alone), come back identical.
func TestExportPutReproducesProject(t *testing.T) {
	c := newCLI(t, "STACKMEMORY_REDIS_URL="+redisURL(t), "STACKMEMORY_POSTGRES_URL="+testenv.PostgresURL(t))
	runs := []string{tier.NewID(), tier.NewID()}
	start := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	var want []exported
	var in strings.Builder
	for i := range 9 {
		f := exported{ID: tier.NewID(), Session: runs[i%2], Project: "demo", CreatedAt: start.Add(time.Duration(i) * time.Hour)}
		if i > 0 {
			f.Parent = want[(i-1)/2].ID
		}
		f.doc = strings.Replace(oddDocs[i%len(oddDocs)], "1", fmt.Sprint(i+1), 1)
		want = append(want, f)
		in.WriteString(putLine(f.ID, f.Session, f.Parent, f.Project, f.CreatedAt, f.doc))
	}
	// A recent frame of the project, and one of another project.
	recent := exported{ID: tier.NewID(), Project: "demo", doc: `{"fresh":true}`}
	in.WriteString(putLine(recent.ID, "", "", "demo", time.Time{}, recent.doc))
	in.WriteString(putLine(tier.NewID(), "", "", "other", start, `{"other":1}`))
	c.ok(in.String(), "storage", "put")

	migrate(t, c, "--tier", "3", "--project", "demo", "--older-than", "1d", "--limit", "3")
	migrate(t, c, "--tier", "2", "--project", "demo", "--older-than", "1d", "--limit", "3")
	// 6 frames left SQLite: 3 are in Redis (and their durable copies in
	// PostgreSQL), 3 in PostgreSQL alone. The tiers below may hold early
	// copies of the others too.
	if got := tierFrames(status(t, c)); got[1] != 5 || got[2] < 3 || got[3] < 6 {
		t.Fatalf("frames per tier %v, want 5 in SQLite, at least 3 in Redis and 6 in PostgreSQL", got)
	}

	out := c.ok("", "storage", "export", "--project", "demo").stdout
	if n := len(lines(out)); n != 10 {
		t.Fatalf("export --project demo wrote %d lines, want 10:\n%s", n, out)
	}
	for _, l := range lines(out) {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &keys); err != nil {
			t.Fatalf("export line is not JSON: %v\n%s", err, l)
		}
		for k := range keys {
			if !strings.Contains(" frame_id session_id project_id parent_frame_id created_at data ", " "+k+" ") {
				t.Errorf("export line has field %q, which put does not read", k)
			}
		}
	}

	fresh := newCLI(t)
	if ids := lines(fresh.ok(out, "storage", "put").stdout); len(ids) != 10 {
		t.Fatalf("put of the export stored %d frames, want 10", len(ids))
	}
	for _, f := range append(want, recent) {
		var got exported
		if err := json.Unmarshal([]byte(fresh.ok("", "storage", "retrieve", "--json", f.ID).stdout), &got); err != nil {
			t.Fatal(err)
		}
		if got.ID != f.ID || got.Session != f.Session || got.Project != f.Project || got.Parent != f.Parent ||
			(!f.CreatedAt.IsZero() && !got.CreatedAt.Equal(f.CreatedAt)) {
			t.Errorf("frame %s on the other machine: %+v, want %+v", f.ID, got, f)
		}
		if doc := fresh.ok("", "storage", "retrieve", f.ID).stdout; doc != f.doc {
			t.Errorf("document of %s on the other machine: %q, want %q", f.ID, doc, f.doc)
		}
	}
	if st := status(t, fresh); st.Tiers[0].Frames != 10 {
		t.Errorf("the other machine holds %d frames, want 10", st.Tiers[0].Frames)
	}

	// Migrate's filters.
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--project", "demo", "--older-than", "1d"}, 9},
		{[]string{"--session", runs[0]}, 5},
		{[]string{"--project", "demo", "--limit", "4"}, 4},
		{nil, 11},
		{[]string{"--project", "nobody"}, 0},
	} {
		if n := len(lines(c.ok("", append([]string{"storage", "export"}, tc.args...)...).stdout)); n != tc.want {
			t.Errorf("export %v wrote %d lines, want %d", tc.args, n, tc.want)
		}
	}
	for _, args := range [][]string{{"--older-than", "soon"}, {"--session", "nope"}, {"--limit", "-1"}} {
		c.run("", append([]string{"storage", "export"}, args...)...).want(t, exitUsage, fmt.Sprint("export ", args))
	}
}

// A document with line breaks between its tokens (a host may store one
// through the library) is exported as the same JSON value on one line.
func TestExportLineOfDocumentWithLineBreaks(t *testing.T) {
	f := tier.Frame{ID: tier.NewID(), ProjectID: "demo", CreatedAt: time.Now(), Data: []byte("{\n  \"a\": [1,\r\n 2],\n  \"s\": \"x\\ny\"\n}")}
	line, exact, err := exportLine(f)
	if err != nil || exact || strings.Count(string(line), "\n") != 1 {
		t.Fatalf("exportLine: exact %v err %v\n%s", exact, err, line)
	}
	got, err := parseFrameLine(line[:len(line)-1])
	if err != nil || compact(t, got.Data) != compact(t, f.Data) || got.ID != f.ID {
		t.Errorf("the line does not read back as the same frame: %v %s", err, got.Data)
	}
	f.Data = []byte(` { "a" : 1 }`)
	if line, exact, _ = exportLine(f); !exact || !strings.HasSuffix(string(line), `"data": { "a" : 1 }}`+"\n") {
		t.Errorf("a one-line document is not written byte for byte: %s", line)
	}
}
