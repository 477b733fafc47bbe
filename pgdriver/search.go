package pgdriver

import (
	"strings"
	"unicode"

	"github.com/stackmemoryai/tier/driver"
)

// tsquery translates a parsed search into a tsquery expression of the
// english configuration, built from bound parameters only (the user's
// words never become SQL or tsquery syntax):
//
//   - a word or a phrase: phraseto_tsquery of its words (stemmed, in
//     order, next to each other);
//   - a prefix term: the same, its last word being to_tsquery of the word
//     followed by ":*" (the word holds only letters and digits, so it
//     carries no tsquery operator);
//   - the groups of [driver.Search.All] joined with &&, the terms of a
//     group with ||, each term of None added as && !!term.
//
// It returns "" for a search with no positive term, which matches nothing.
func tsquery(b *queryBuilder, s driver.Search) string {
	if s.Empty() {
		return ""
	}
	var all []string
	for _, group := range s.All {
		var either []string
		for _, t := range group {
			either = append(either, termQuery(b, t))
		}
		all = append(all, "("+strings.Join(either, " || ")+")")
	}
	for _, t := range s.None {
		all = append(all, "!!"+termQuery(b, t))
	}
	return "(" + strings.Join(all, " && ") + ")"
}

// termQuery is the tsquery of one term.
func termQuery(b *queryBuilder, t driver.SearchTerm) string {
	words := t.Words
	if !t.Prefix || !lettersAndDigits(words[len(words)-1]) {
		return "phraseto_tsquery('english', " + b.arg(strings.Join(words, " ")) + ")"
	}
	last := "to_tsquery('english', " + b.arg(words[len(words)-1]) + " || ':*')"
	if len(words) == 1 {
		return last
	}
	return "tsquery_phrase(phraseto_tsquery('english', " + b.arg(strings.Join(words[:len(words)-1], " ")) + "), " + last + ")"
}

// lettersAndDigits reports whether w is made only of letters and digits,
// as every word of a parsed search is.
func lettersAndDigits(w string) bool {
	for _, r := range w {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			return false
		}
	}
	return w != ""
}
