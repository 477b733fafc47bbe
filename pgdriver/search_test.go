package pgdriver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

// TestSearchLanguage checks the query language of driver.Search on the
// archive: operators, prefixes, phrases, and text that is tsquery syntax
// or SQL, which must be read as words and never fail.
func TestSearchLanguage(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	docs := map[string]string{
		"flaky":     `{"task":"fix the flaky websocket test","notes":"reconnect after timeout"}`,
		"migration": `{"task":"database migration","notes":"migrated the billing schema"}`,
		"release":   `{"task":"write the release notes","notes":"OR nothing else"}`,
	}
	ids := map[string]string{}
	var recs []driver.Record
	for name, doc := range docs {
		r := record(newID(), 1, doc)
		ids[r.ID] = name
		recs = append(recs, r)
	}
	if err := s.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"websocket":                         "flaky",
		"websockets":                        "flaky", // stemming
		"WebSocket":                         "flaky",
		"migrat*":                           "migration",
		"billing -websocket":                "migration",
		"websocket OR billing":              "flaky migration",
		"OR OR":                             "",
		"OR websocket OR":                   "flaky",
		`"flaky websocket"`:                 "flaky",
		`"websocket flaky"`:                 "",
		`"release notes`:                    "release",                 // unbalanced quote
		"-websocket":                        "",                        // no positive term
		"the of and":                        "",                        // stop words only
		"":                                  "flaky migration release", // no text: no filter
		"   ":                               "",
		`flaky & ! | ( ) : * '`:             "flaky",
		`'); DROP TABLE frames_archive; --`: "",
		`flaky:* |`:                         "flaky", // tsquery syntax is only punctuation
		`flaky:* | migration`:               "",      // ... so this asks for both words
		"websock*":                          "flaky",
		"re-connect*":                       "",
		"reconnect timeout":                 "flaky",
		"notes -release":                    "",
	} {
		hits, err := s.Query(ctx, driver.Query{Text: text, Limit: 10})
		if err != nil {
			t.Errorf("search %q: %v", text, err)
			continue
		}
		var names []string
		for _, h := range hits {
			names = append(names, ids[h.ID])
		}
		if got := sortedJoin(names); got != sortedJoin(strings.Fields(want)) {
			t.Errorf("search %q found %q, want %q", text, got, want)
		}
	}
	if u, err := s.Usage(ctx); err != nil || u.Frames != 3 {
		t.Fatalf("after hostile searches: %+v, %v; want the 3 frames still there", u, err)
	}
}

func sortedJoin(s []string) string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return strings.Join(out, " ")
}

// TestSearchIndexesBoundedPrefix writes documents whose text would make a
// search vector beyond PostgreSQL's 1 MB limit (distinct words,
// hyphenated words and URLs, which index several words each, and
// multi-byte letters): every Put succeeds, each document comes back byte
// for byte, and a word near the start is found while one past
// SearchIndexChars is not.
func TestSearchIndexesBoundedPrefix(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const size = 4 << 20
	fills := map[string]func(i int) string{
		"distinct words": func(i int) string { return randomWord() + " " },
		"hyphenated":     func(i int) string { return randomWord() + "-" + randomWord() + "-" + randomWord() + " " },
		"urls": func(i int) string {
			return "https://" + randomWord() + ".example.com/" + randomWord() + "-" + randomWord() + " "
		},
		"multibyte": func(i int) string { return "ñ" + strings.Repeat("дж", 3) + randomWord() + "語 " },
	}
	for name, fill := range fills {
		var b strings.Builder
		b.WriteString("needlestart ")
		for i := 0; b.Len() < size; i++ {
			b.WriteString(fill(i))
		}
		b.WriteString(" needleend")
		text, _ := json.Marshal(b.String())
		doc := `{"task":` + string(text) + `}`
		rec := record(newID(), 1, doc)
		if err := s.Put(ctx, rec); err != nil {
			t.Errorf("%s: Put of a %d-byte document: %v", name, len(doc), err)
			continue
		}
		got, ok, err := s.Get(ctx, rec.ID)
		if err != nil || !ok || string(got.Data) != doc {
			t.Errorf("%s: Get: ok=%v err=%v, equal %v", name, ok, err, string(got.Data) == doc)
		}
		for word, found := range map[string]bool{"needlestart": true, "needleend": false} {
			hits, err := s.Query(ctx, driver.Query{Text: word, Limit: 10})
			if err != nil || (len(hits) == 1) != found {
				t.Errorf("%s: search %s: %d hits (%v), want found=%v", name, word, len(hits), err, found)
			}
		}
		if err := s.Delete(ctx, rec.ID, driver.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
}

func randomWord() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("w%s", hex.EncodeToString(b[:]))
}
