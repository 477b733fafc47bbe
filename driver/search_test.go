package driver_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier/driver"
)

// show renders a Search compactly: ANDed groups separated by spaces, the
// terms of a group by "|", phrases quoted, prefixes ending in "*", excluded
// terms after the groups with a leading "-".
func show(s driver.Search) string {
	term := func(t driver.SearchTerm) string {
		w := strings.Join(t.Words, " ")
		if len(t.Words) > 1 {
			w = `"` + w + `"`
		}
		if t.Prefix {
			w += "*"
		}
		return w
	}
	var parts []string
	for _, g := range s.All {
		alts := make([]string, len(g))
		for i, t := range g {
			alts[i] = term(t)
		}
		parts = append(parts, strings.Join(alts, "|"))
	}
	for _, t := range s.None {
		parts = append(parts, "-"+term(t))
	}
	return strings.Join(parts, " ")
}

func TestParseSearch(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"words are ANDed", "flaky test", "flaky test"},
		{"extra spaces, tabs and newlines only separate", "  flaky\t\ttest\n", "flaky test"},
		{"quotes make a phrase", `"flaky test"`, `"flaky test"`},
		{"phrase among words", `fix "flaky test" soon`, `fix "flaky test" soon`},
		{"minus excludes a word", "websocket -flaky", "websocket -flaky"},
		{"minus excludes a phrase", `reconnect -"flaky test"`, `reconnect -"flaky test"`},
		{"minus before a space is not an operator", "- websocket", "websocket"},
		{"minus inside a word splits it", "x-ray", `"x ray"`},
		{"OR joins its neighbours", "redis OR valkey", "redis|valkey"},
		{"OR binds tighter than AND, left", "redis OR valkey cache", "redis|valkey cache"},
		{"OR binds tighter than AND, right", "cache redis OR valkey", "cache redis|valkey"},
		{"OR chains", "redis OR valkey OR dragonfly", "redis|valkey|dragonfly"},
		{"OR with a phrase", `redis OR "key value"`, `redis|"key value"`},
		{"leading OR is dropped", "OR redis", "redis"},
		{"trailing OR is dropped", "redis OR", "redis"},
		{"OR alone is empty", "OR", ""},
		{"OR OR is empty", "OR OR", ""},
		{"OR OR OR is empty", "OR OR OR", ""},
		{"double OR between words keeps one", "redis OR OR valkey", "redis|valkey"},
		{"OR before an excluded term is dropped", "redis OR -valkey", "redis -valkey"},
		{"lower-case or is a stop word, not OR", "redis or valkey", "redis valkey"},
		{"quoted OR is a stop word", `"OR"`, ""},
		{"excluded OR is a stop word", "-OR redis", "redis"},
		{"OR next to a stop word only", "the OR redis", "redis"},
		{"star makes a prefix", "migrat*", "migrat*"},
		{"several stars make one prefix", "migrat**", "migrat*"},
		{"excluded prefix", "-migrat* schema", "schema -migrat*"},
		{"star inside a phrase is punctuation", `"migrat*"`, "migrat"},
		{"star inside a word splits it", "foo*bar", `"foo bar"`},
		{"star alone is nothing", "*", ""},
		{"stop words are dropped", "the flaky test of the day", "flaky test day"},
		{"stop words only is empty", "the and of", ""},
		{"stop words inside a phrase are dropped", `"the flaky test"`, `"flaky test"`},
		{"excluded stop word is dropped", "-the redis", "redis"},
		{"punctuation only is nothing", "!!! ... , ; --", ""},
		{"punctuation around words", "(flaky), test!", "flaky test"},
		{"punctuation inside a word makes a phrase", "node.js", `"node js"`},
		{"symbols are separators", "c++ a&b", "c b"},
		{"hostile FTS syntax is words", `NEAR(a b) col:x ^start`, `near b "col x" start`},
		{"SQL is words", `' OR 1=1 --`, `"1 1"`},
		{"unbalanced quote runs to the end", `flaky "unbalanced quote`, `flaky "unbalanced quote"`},
		{"lone quote", `"`, ""},
		{"empty phrase", `"" redis`, "redis"},
		{"adjacent phrases", `"a b""c d"`, `b "c d"`},
		{"upper case is folded", "WebSocket FLAKY", "websocket flaky"},
		{"unicode letters are letters", "Привет МИР café", "привет мир café"},
		{"digits are words", "2024 v1.2", `2024 "v1 2"`},
		{"letters of any script", "日本語 テスト", "日本語 テスト"},
		{"empty text", "", ""},
		{"only exclusions", "-flaky -websocket", "-flaky -websocket"},
		{"a repeated word counts once", "flaky flaky test flaky", "flaky test"},
		{"a repeated exclusion counts once", "test -flaky -flaky", "test -flaky"},
		{"a word and its exclusion are both kept", "flaky -flaky", "flaky -flaky"},
		{"a word after an OR group that began with it is kept", "a1 OR b1 a1", "a1|b1 a1"},
		{"words past the limit are ignored", words(0, driver.MaxSearchWords+5), words(0, driver.MaxSearchWords)},
		{"a phrase across the limit is cut", words(0, driver.MaxSearchWords-1) + ` "x1 x2 x3"*`, words(0, driver.MaxSearchWords-1) + " x1"},
		{"a thousand repeats of one word", strings.Repeat("word ", 1000), "word"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := show(driver.ParseSearch(tc.text)); got != tc.want {
				t.Fatalf("ParseSearch(%q) = %s, want %s", tc.text, got, tc.want)
			}
		})
	}
}

func TestSearchEmpty(t *testing.T) {
	for text, empty := range map[string]bool{
		"":                 true,
		"the":              true,
		"OR OR":            true,
		"-flaky":           true,
		`-"flaky test"`:    true,
		"!!!":              true,
		"flaky":            false,
		"flaky -websocket": false,
		"-websocket flaky": false,
		"migrat*":          false,
		`"the flaky test"`: false,
		"OR flaky OR":      false,
		"redis OR -valkey": false,
		"\u00e9t\u00e9 OR": false,
	} {
		if got := driver.ParseSearch(text).Empty(); got != empty {
			t.Errorf("ParseSearch(%q).Empty() = %v, want %v", text, got, empty)
		}
	}
}

func TestSearchWords(t *testing.T) {
	for text, want := range map[string][]string{
		`{"task":"Fix the flaky WebSocket test"}`: {"task", "fix", "flaky", "websocket", "test"},
		"it's a café, naïve?":                     {"café", "naïve"},
		"":                                        nil,
		"the of and":                              nil,
		"tests_pass2 x":                           {"tests", "pass2", "x"},
	} {
		if got := driver.SearchWords(text); !slices.Equal(got, want) {
			t.Errorf("SearchWords(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestIsStopWord(t *testing.T) {
	for w, stop := range map[string]bool{
		"the": true, "and": true, "or": true, "not": true, "s": true,
		"test": false, "redis": false, "The": false, "": false,
	} {
		if got := driver.IsStopWord(w); got != stop {
			t.Errorf("IsStopWord(%q) = %v, want %v", w, got, stop)
		}
	}
}

// words returns the words wN for N in [from, to), separated by spaces.
func words(from, to int) string {
	var w []string
	for i := from; i < to; i++ {
		w = append(w, fmt.Sprintf("w%d", i))
	}
	return strings.Join(w, " ")
}
