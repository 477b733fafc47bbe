package drivertest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stackmemoryai/tier/driver"
)

// searchCorpus is the fixed corpus of the search-language subtest. Its
// words and the query words of searchCases avoid English inflections that
// SQLite's porter stemmer and PostgreSQL's English Snowball stemmer treat
// differently; only simple plurals both reduce the same way are used.
var searchCorpus = []string{
	"Flaky WebSocket reconnect in the gateway", // 0
	"websocket server handles backpressure",    // 1
	"reconnect logic for flaky sockets",        // 2
	"socket pool exhausted under load",         // 3
	"ledger migration finished",                // 4
	"привет from the build farm",               // 5
	"hotfix: null pointer, in parser!",         // 6
	"parser rewrite landed",                    // 7
}

// searchNumber is the number carried by the document of corpus entry i:
// numbers are not searched.
func searchNumber(i int) int { return 7301 + i }

// searchCases are query texts and the corpus entries each must match,
// exactly, in every driver.
var searchCases = []struct {
	text string
	want []int
}{
	{"websocket", []int{0, 1}},
	{"WEBSOCKET", []int{0, 1}},
	{"WebSocket", []int{0, 1}},
	{"kubernetes", nil},
	{"flaky reconnect", []int{0, 2}},
	{"reconnect flaky", []int{0, 2}},
	{"flaky websocket", []int{0}},
	{`"flaky websocket"`, []int{0}},
	{`"FLAKY WebSocket"`, []int{0}},
	{`"websocket flaky"`, nil},
	{`"reconnect flaky"`, nil},
	{`"websocket server handles"`, []int{1}},
	{`"server websocket"`, nil},
	{"reconnect -websocket", []int{2}},
	{"-websocket reconnect", []int{2}},
	{`websocket -"flaky websocket"`, []int{1}},
	{`websocket -"websocket flaky"`, []int{0, 1}},
	{"backpressure OR exhausted", []int{1, 3}},
	{"backpressure OR exhausted websocket", []int{1}},
	{"websocket backpressure OR exhausted", []int{1}},
	{"backpressure OR exhausted OR ledger", []int{1, 3, 4}},
	{`"null pointer" OR ledger`, []int{4, 6}},
	{"reconnect OR", []int{0, 2}},
	{"OR reconnect", []int{0, 2}},
	{"reconnect OR OR gateway", []int{0, 2}},
	{"gateway OR -reconnect", nil},
	{"reconnect or gateway", []int{0}},
	{"socket", []int{2, 3}},
	{"sockets", []int{2, 3}},
	{"websock*", []int{0, 1}},
	{"sock*", []int{2, 3}},
	{"migrat*", []int{4}},
	{"rewri* -hotfix", []int{7}},
	{"-hotf* parser", []int{7}},
	{"OR OR", nil},
	{"OR", nil},
	{"the of and", nil},
	{`"the"`, nil},
	{"-websocket", nil},
	{"-websocket -flaky", nil},
	{"the websocket", []int{0, 1}},
	{"hotfix, (null)!", []int{6}},
	{"null.pointer", []int{6}},
	{"pointer.null", nil},
	{"!!! ,,, ... --", nil},
	{"привет", []int{5}},
	{"ПРИВЕТ", []int{5}},
	{"farm build", []int{5}},
	{`"farm build"`, nil},
	{"parser", []int{6, 7}},
	{"parser -hotfix", []int{7}},
	{`parser "rewrite landed`, []int{7}},
	{`NEAR(parser rewrite)`, nil},
	{`parser' OR 1=1 --`, []int{6, 7}},
	// Long queries: only the first driver.MaxSearchWords words count, and
	// a repeated word counts once; no driver fails on them.
	{strings.Repeat("parser ", 1000), []int{6, 7}},
	{"parser " + fillerWords(2000, " "), nil},
	{"websocket OR " + fillerWords(driver.MaxSearchWords-1, " OR ") + " -flaky", []int{0, 1}},
	{"websocket OR " + fillerWords(driver.MaxSearchWords-2, " OR ") + " -flaky", []int{1}},
}

// fillerWords returns n words found in no document, joined by sep.
func fillerWords(n int, sep string) string {
	w := make([]string, n)
	for i := range w {
		w[i] = "zq" + strconv.Itoa(i)
	}
	return strings.Join(w, sep)
}

// testSearchLanguage checks that each text of searchCases matches exactly
// its frames of searchCorpus: the same text matches the same frames in
// every driver.
func testSearchLanguage(t *testing.T, h *Harness, tr driver.Tier) {
	q, ok := tr.(driver.Querier)
	if !ok {
		t.Log("tier does not implement driver.Querier; the manager answers queries from other tiers")
		return
	}
	fixed := map[string]bool{} // words every document carries whatever its text
	for i := range searchCorpus {
		for _, w := range driver.SearchWords(strings.Join(jsonStrings(t, h.doc("", searchNumber(i))), " ")) {
			fixed[crudeStem(w)] = true
		}
	}
	cases := slices.Clone(searchCases)
	for i := range searchCorpus {
		n := strconv.Itoa(searchNumber(i))
		if fixed[n] {
			t.Fatalf("drivertest: Harness.Document(%q, %d) puts the number in a string value; it must carry n as a JSON number", "", searchNumber(i))
		}
		cases = append(cases, struct {
			text string
			want []int
		}{n, nil})
	}
	for _, k := range jsonKeyWords(t, h.doc("", searchNumber(0))) {
		if !fixed[crudeStem(k)] {
			cases = append(cases, struct {
				text string
				want []int
			}{k, nil})
		}
	}
	for _, c := range searchCases {
		s := driver.ParseSearch(c.text)
		for _, term := range slices.Concat(slices.Concat(s.All...), s.None) {
			for _, w := range term.Words {
				if fixed[crudeStem(w)] {
					t.Fatalf("drivertest: Harness.Document puts the word %q in a string value of every document; the search subtest queries it (in %q), so choose other fixed strings", w, c.text)
				}
			}
		}
	}

	ids := make([]string, len(searchCorpus))
	label := map[string]int{}
	for i, text := range searchCorpus {
		r := record(newID(), 1, h.doc(text, searchNumber(i)), baseTime.Add(time.Duration(i)*time.Minute))
		mustPut(t, tr, r)
		ids[i] = r.ID
		label[r.ID] = i
	}
	describe := func(entries []int) string {
		parts := make([]string, len(entries))
		for i, e := range entries {
			parts[i] = strconv.Quote(searchCorpus[e])
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			hits, err := q.Query(ctxFor(t), driver.Query{Text: c.text, Limit: 100})
			if err != nil {
				t.Fatalf("Query(%q): %v", c.text, err)
			}
			var got []int
			for _, hit := range hits {
				e, ok := label[hit.ID]
				if !ok {
					t.Fatalf("Query(%q) returned %s, a frame the test never wrote", c.text, hit.ID)
				}
				got = append(got, e)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Fatalf("Query(%q) matched %s; want %s", c.text, describe(got), describe(c.want))
			}
		})
	}
}

// crudeStem folds a simple English plural, so that a fixed word of the
// harness's documents and a query word of the suite that differ only by
// it are seen as the same word.
func crudeStem(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}

// jsonStrings returns the string values (not keys) of a JSON document.
func jsonStrings(t *testing.T, doc []byte) []string {
	var out []string
	walkJSON(t, doc, func(s string, isKey bool) {
		if !isKey {
			out = append(out, s)
		}
	})
	return out
}

// jsonKeyWords returns the search words of the keys of a JSON document.
func jsonKeyWords(t *testing.T, doc []byte) []string {
	var out []string
	walkJSON(t, doc, func(s string, isKey bool) {
		if isKey {
			for _, w := range driver.SearchWords(s) {
				if !slices.Contains(out, w) {
					out = append(out, w)
				}
			}
		}
	})
	slices.Sort(out)
	return out
}

// walkJSON calls fn with every string of doc, telling keys from values.
func walkJSON(t *testing.T, doc []byte, fn func(s string, isKey bool)) {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("drivertest: Harness.Document made a document that is not JSON: %v", err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			fn(v, false)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				fn(k, true)
				walk(e)
			}
		}
	}
	walk(v)
}
