package driver

import (
	"strings"
	"unicode"
)

// Search is a parsed full-text query: the one query language every
// [Querier] understands, whatever its store. The manager and the drivers
// parse [Query.Text] with [ParseSearch]; each driver translates the result
// into its store's own syntax (FTS5 MATCH, tsquery ...), so the same text
// matches the same frames in every tier.
//
// The language is web-search like:
//
//	flaky test       both words (AND)
//	"flaky test"     the words next to each other, in order (a phrase)
//	-websocket       frames without the word; also -"a phrase"
//	redis OR valkey  either word; OR binds tighter than the implicit AND
//	migrat*          a word that starts with "migrat"
//
// Words are what is left between characters that are not letters or
// digits, lower-cased. A word matches the same word in a document, and a
// driver may also match its other English inflections (stemming: "tests"
// matches "test"). Common English words that carry no meaning on their own
// ("the", "and", "or" ...; see [IsStopWord]) are dropped from queries, as
// PostgreSQL's English configuration drops them from documents. Nothing a
// user types is ever an error: unbalanced quotes end at the end of the
// text, an OR with nothing on one side is dropped, and characters that are
// neither letters nor digits only separate words. Only string values of a
// JSON document are searched, not its keys or numbers.
//
// Only the first [MaxSearchWords] words of a query count, as in web search
// engines; the rest are ignored (a phrase that crosses the limit is cut
// there). A term repeated (the same word or phrase, both positive or both
// negated) counts once.
//
// A Search with no positive term ([Search.Empty]) matches nothing.
type Search struct {
	// All holds the groups that must each match (AND); a group matches
	// when any one of its terms does (OR).
	All [][]SearchTerm
	// None holds terms that must not match.
	None []SearchTerm
}

// SearchTerm is one word, or several words that must appear together and
// in order (a phrase).
type SearchTerm struct {
	// Words are lower-case, with no stop word, never empty.
	Words []string
	// Prefix makes the last word match any word it begins.
	Prefix bool
}

// Empty reports whether s has no positive term and so matches nothing.
func (s Search) Empty() bool { return len(s.All) == 0 }

// MaxSearchWords is how many words of a query count; see [Search].
const MaxSearchWords = 32

// ParseSearch parses text in the query language described on [Search]. It
// never fails: what cannot be read as syntax is read as words.
func ParseSearch(text string) Search {
	var s Search
	toks := lexSearch(text)
	budget := MaxSearchWords
	seen := map[string]bool{} // standalone terms kept, by key
	// take reports whether t fits in what is left of the budget, cutting
	// its words to fit.
	take := func(t *SearchTerm) bool {
		if budget == 0 {
			return false
		}
		if len(t.Words) > budget {
			t.Words, t.Prefix = t.Words[:budget], false
		}
		budget -= len(t.Words)
		return true
	}
	for i := 0; i < len(toks) && budget > 0; i++ {
		t := toks[i]
		switch {
		case t.or:
			// An OR joins the group before it with the term after it, when
			// both exist; otherwise it is dropped.
			if len(s.All) > 0 && i+1 < len(toks) && !toks[i+1].or && !toks[i+1].neg {
				i++
				if next := toks[i].term; take(&next) {
					last := len(s.All) - 1
					// The group's first term no longer stands alone: the
					// same term later is not a repeat.
					delete(seen, searchToken{term: s.All[last][0]}.key())
					s.All[last] = append(s.All[last], next)
				}
			}
		case seen[t.key()]:
			// Repeated: it adds nothing.
		case t.neg:
			if take(&t.term) {
				seen[t.key()] = true
				s.None = append(s.None, t.term)
			}
		default:
			if take(&t.term) {
				seen[t.key()] = true
				s.All = append(s.All, []SearchTerm{t.term})
			}
		}
	}
	return s
}

// searchToken is one lexical unit of a query: a term, possibly negated, or
// the OR operator.
type searchToken struct {
	term SearchTerm
	neg  bool
	or   bool
}

// key identifies a term and its sign, to find repeated terms.
func (t searchToken) key() string {
	k := strings.Join(t.term.Words, " ")
	if t.term.Prefix {
		k += "*"
	}
	if t.neg {
		k = "-" + k
	}
	return k
}

// lexSearch splits text into tokens. A quote opens a phrase that runs to
// the next quote or the end of the text. Terms left with no word (only
// punctuation or stop words) are dropped.
func lexSearch(text string) []searchToken {
	var toks []searchToken
	rs := []rune(text)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		neg := false
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			neg = true
			i++
		}
		var raw string
		phrase := rs[i] == '"'
		if phrase {
			end := i + 1
			for end < len(rs) && rs[end] != '"' {
				end++
			}
			raw = string(rs[i+1 : end])
			i = end + 1
		} else {
			end := i
			for end < len(rs) && !unicode.IsSpace(rs[end]) && rs[end] != '"' {
				end++
			}
			raw = string(rs[i:end])
			i = end
		}
		if !phrase && !neg && raw == "OR" {
			toks = append(toks, searchToken{or: true})
			continue
		}
		prefix := !phrase && strings.HasSuffix(raw, "*")
		words := SearchWords(raw)
		if len(words) == 0 {
			continue
		}
		toks = append(toks, searchToken{term: SearchTerm{Words: words, Prefix: prefix}, neg: neg})
	}
	return toks
}

// SearchWords splits s into lower-case words the way the query language
// does, leaving out stop words. Drivers that match documents themselves
// (without a full-text engine) split documents with it too.
func SearchWords(s string) []string {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	out := fields[:0]
	for _, w := range fields {
		if !IsStopWord(w) {
			out = append(out, w)
		}
	}
	return out
}

// IsStopWord reports whether w, lower-case, is one of the common English
// words the query language ignores: the list of PostgreSQL's English
// text-search configuration (Snowball's English stop words).
func IsStopWord(w string) bool {
	_, ok := stopWords[w]
	return ok
}

var stopWords = func() map[string]struct{} {
	const list = `i me my myself we our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself it its itself they them their theirs themselves
what which who whom this that these those am is are was were be been being have has had
having do does did doing a an the and but if or because as until while of at by for with
about against between into through during before after above below to from up down in out
on off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very s t can will just
don should now`
	m := map[string]struct{}{}
	for _, w := range strings.Fields(list) {
		m[w] = struct{}{}
	}
	return m
}()
