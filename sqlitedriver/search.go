package sqlitedriver

import (
	"strings"
	"unicode"
)

// matchExpression translates web-search syntax into an FTS5 MATCH
// expression:
//
//	word word     both words (AND)
//	"a phrase"    the words in order
//	-word         excludes; also -"a phrase"
//	a OR b        either (OR binds tighter than the implicit AND)
//	word*         prefix match
//
// Every term is emitted as a double-quoted FTS5 string, so nothing the
// user types is read as FTS5 syntax: unbalanced quotes or parentheses,
// NEAR(, column filters and keywords are plain text. Terms with no letter
// or digit are dropped (the tokenizer would ignore them). ok is false when
// no positive term is left: such a query matches nothing.
func matchExpression(text string) (expr string, ok bool) {
	toks := lexSearch(text)
	var groups [][]string // ANDed groups of ORed terms
	var excluded []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.neg:
			excluded = append(excluded, t.fts)
		case t.or && len(groups) > 0 && i+1 < len(toks) && !toks[i+1].neg && !toks[i+1].or:
			last := len(groups) - 1
			groups[last] = append(groups[last], toks[i+1].fts)
			i++
		case t.or:
			groups = append(groups, []string{`"OR"`})
		default:
			groups = append(groups, []string{t.fts})
		}
	}
	if len(groups) == 0 {
		return "", false
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = "(" + strings.Join(g, " OR ") + ")"
	}
	expr = strings.Join(parts, " AND ")
	for _, x := range excluded {
		expr = "(" + expr + ") NOT " + x
	}
	return expr, true
}

// searchToken is one term of a search: an FTS5 string ready to use, or
// the OR operator.
type searchToken struct {
	fts string // quoted FTS5 string, possibly followed by * (prefix)
	neg bool   // preceded by -
	or  bool   // the bare word OR
}

// lexSearch splits text into terms. A quote opens a phrase that runs to
// the next quote or the end of text.
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
		var term string
		phrase := rs[i] == '"'
		if phrase {
			end := i + 1
			for end < len(rs) && rs[end] != '"' {
				end++
			}
			term = string(rs[i+1 : end])
			i = end + 1
		} else {
			end := i
			for end < len(rs) && !unicode.IsSpace(rs[end]) && rs[end] != '"' {
				end++
			}
			term = string(rs[i:end])
			i = end
		}
		if !phrase && !neg && term == "OR" {
			toks = append(toks, searchToken{or: true})
			continue
		}
		if !hasWordChar(term) {
			continue
		}
		prefix := !phrase && strings.HasSuffix(term, "*")
		fts := `"` + strings.ReplaceAll(term, `"`, `""`) + `"`
		if prefix {
			fts = `"` + strings.ReplaceAll(strings.TrimRight(term, "*"), `"`, `""`) + `"*`
			if !hasWordChar(strings.TrimRight(term, "*")) {
				continue
			}
		}
		toks = append(toks, searchToken{fts: fts, neg: neg})
	}
	return toks
}

// hasWordChar reports whether s holds a character the unicode61 tokenizer
// keeps in tokens.
func hasWordChar(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r) {
			return true
		}
	}
	return false
}
