package sqlitedriver

import (
	"strings"

	"github.com/stackmemoryai/tier/driver"
)

// matchExpression translates a query in the language of driver.Search
// (parsed with driver.ParseSearch) into an FTS5 MATCH expression: groups
// ANDed, the terms of a group ORed, excluded terms after NOT. Every term
// is a double-quoted FTS5 string (a phrase when it holds several words, *
// after it for a prefix), so nothing the user types is read as FTS5
// syntax. ok is false when the query has no positive term: it matches
// nothing.
func matchExpression(text string) (expr string, ok bool) {
	expr, _, ok = matchPhrases(text)
	return expr, ok
}

// matchPhrases is matchExpression that also returns each phrase of the
// expression as its own MATCH expression, in the order FTS5 numbers them.
func matchPhrases(text string) (expr string, phrases []string, ok bool) {
	q := driver.ParseSearch(text)
	if q.Empty() {
		return "", nil, false
	}
	parts := make([]string, len(q.All))
	for i, group := range q.All {
		terms := make([]string, len(group))
		for j, t := range group {
			terms[j] = ftsString(t)
			phrases = append(phrases, terms[j])
		}
		parts[i] = "(" + strings.Join(terms, " OR ") + ")"
	}
	expr = strings.Join(parts, " AND ")
	for _, t := range q.None {
		expr = "(" + expr + ") NOT " + ftsString(t)
		phrases = append(phrases, ftsString(t))
	}
	return expr, phrases, true
}

// ftsString quotes a term for FTS5. Words hold only letters and digits, so
// they need no escaping; the quotes are doubled all the same, so that the
// expression stays well formed whatever a word holds.
func ftsString(t driver.SearchTerm) string {
	s := `"` + strings.ReplaceAll(strings.Join(t.Words, " "), `"`, `""`) + `"`
	if t.Prefix {
		s += "*"
	}
	return s
}
