package memdriver

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"

	"github.com/stackmemoryai/tier/driver"
)

// docText is what search sees of a document: the words of each of its
// string values, lower-case and in order, stop words included so that a
// phrase matches only words that are next to each other.
type docText [][]string

// textOf returns the searchable text of a JSON document: its string
// values, not its keys, numbers or literals. A document that is not JSON
// has none.
func textOf(data []byte) docText {
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return nil
	}
	var out docText
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, strings.FieldsFunc(strings.ToLower(v), func(r rune) bool {
				return !unicode.IsLetter(r) && !unicode.IsNumber(r)
			}))
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// fold removes a final "s" (not "ss") from words longer than three
// letters: the one inflection the reference driver matches ("tests" finds
// "test" and the reverse).
func fold(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}

// match reports whether d matches s, and its rank: the number of
// occurrences of the positive terms.
func (d docText) match(s driver.Search) (rank float64, ok bool) {
	if s.Empty() {
		return 0, false
	}
	for _, t := range s.None {
		if d.count(t) > 0 {
			return 0, false
		}
	}
	for _, group := range s.All {
		n := 0
		for _, t := range group {
			n += d.count(t)
		}
		if n == 0 {
			return 0, false
		}
		rank += float64(n)
	}
	return rank, true
}

// count returns how many times term occurs in d.
func (d docText) count(term driver.SearchTerm) int {
	n := 0
	for _, words := range d {
		for i := range words {
			if termAt(words[i:], term) {
				n++
			}
		}
	}
	return n
}

// termAt reports whether words begins with term.
func termAt(words []string, term driver.SearchTerm) bool {
	if len(words) < len(term.Words) {
		return false
	}
	last := len(term.Words) - 1
	for i, w := range term.Words {
		if term.Prefix && i == last {
			if !strings.HasPrefix(words[i], w) {
				return false
			}
			continue
		}
		if fold(words[i]) != fold(w) {
			return false
		}
	}
	return true
}
