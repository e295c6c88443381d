package bleve

import (
	"unicode/utf8"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/open12345/hotline/knowledge"
)

// partialWeight scales a match of a word's pieces in any order against
// the exact phrase, so that the phrase always ranks first.
const partialWeight = 0.2

// buildQuery translates a Plan: a guide matches when any term matches
// (more terms matched score higher), and a term matches when any of its
// alternatives does, in any searched field, weighted by field.
func buildQuery(p knowledge.Plan) query.Query {
	terms := make([]query.Query, 0, len(p.Terms))
	for _, t := range p.Terms {
		alts := make([]query.Query, 0, len(t.Alternatives))
		for _, alt := range t.Alternatives {
			alts = append(alts, altQuery(alt)...)
		}
		terms = append(terms, blevesearch.NewDisjunctionQuery(alts...))
	}
	return blevesearch.NewConjunctionQuery(append(filters(p.Filter), blevesearch.NewDisjunctionQuery(terms...))...)
}

// altQuery matches one word in every searched field.
func altQuery(word string) []query.Query {
	var out []query.Query
	n := utf8.RuneCountInString(word)
	for _, f := range searchFields {
		switch {
		case n == 1 && !isASCII(word):
			// A lone Chinese character: the pieces that start with it.
			q := blevesearch.NewPrefixQuery(word)
			q.SetField(f.name)
			q.SetBoost(f.boost * partialWeight)
			out = append(out, q)
		case n <= 2 || isASCII(word):
			q := blevesearch.NewMatchQuery(word)
			q.SetField(f.name)
			q.SetBoost(f.boost)
			q.SetOperator(query.MatchQueryOperatorAnd)
			out = append(out, q)
		default:
			exact := blevesearch.NewMatchPhraseQuery(word)
			exact.SetField(f.name)
			exact.SetBoost(f.boost)
			loose := blevesearch.NewMatchQuery(word)
			loose.SetField(f.name)
			loose.SetBoost(f.boost * partialWeight)
			out = append(out, exact, loose)
		}
	}
	return out
}

// filters restrict a search by status, department and category.
func filters(f knowledge.Filter) []query.Query {
	var statuses []query.Query
	for _, s := range f.StatusesOrDefault() {
		statuses = append(statuses, termQuery("status", string(s)))
	}
	out := []query.Query{blevesearch.NewDisjunctionQuery(statuses...)}
	if f.Department != "" {
		out = append(out, termQuery("department", f.Department))
	}
	if f.Category != "" {
		out = append(out, termQuery("category", f.Category))
	}
	return out
}

func termQuery(field, value string) query.Query {
	q := blevesearch.NewTermQuery(value)
	q.SetField(field)
	q.SetBoost(0)
	return q
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
