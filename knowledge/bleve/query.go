package bleve

import (
	"context"
	"strings"
	"unicode/utf8"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/open12345/hotline/knowledge"
)

// partialWeight scales a match of a word's pieces in any order against
// the exact phrase, so that the phrase always ranks first.
const partialWeight = 0.2

// commonShare is the share of guides above which a word is not searched
// in the long texts: a word in most guides' materials (身份证) ranks
// nothing there and would make every search score every guide. Name and
// keywords are always searched, and a search that finds nothing this way
// runs again in full, so no verbatim match is ever lost.
const commonShare = 0.1

// minDocsToPrune is the index size below which nothing is pruned: in a
// small index shares say nothing about a word, and every search is cheap.
const minDocsToPrune = 2000

// buildQuery translates a Plan: a guide matches when any term matches
// (more terms matched score higher), and a term matches when any of its
// alternatives does, in any searched field, weighted by field. With
// stats, common words skip the long texts; pruned reports whether any did.
func buildQuery(p knowledge.Plan, st *stats) (q query.Query, pruned bool) {
	terms := make([]query.Query, 0, len(p.Terms))
	for _, t := range p.Terms {
		var alts []query.Query
		for _, alt := range essential(t.Alternatives) {
			qs, skipped := altQuery(alt, st)
			alts, pruned = append(alts, qs...), pruned || skipped
		}
		terms = append(terms, blevesearch.NewDisjunctionQuery(alts...))
	}
	if whole := wholePhrase(p); whole != "" {
		terms = append(terms, phraseBonus(whole))
	}
	return blevesearch.NewConjunctionQuery(append(filters(p.Filter), blevesearch.NewDisjunctionQuery(terms...))...), pruned
}

// wholePhrase is the query's words as one Chinese phrase, when the query
// has several: 住房公积金提取 split into 住房公积金 and 提取 still ranks a
// guide saying it verbatim above one with the words apart.
func wholePhrase(p knowledge.Plan) string {
	if len(p.Terms) < 2 {
		return ""
	}
	var b strings.Builder
	for _, t := range p.Terms {
		if isASCII(t.Alternatives[0]) {
			return ""
		}
		b.WriteString(t.Alternatives[0])
	}
	return b.String()
}

// phraseBonus matches the whole phrase in the fields that keep positions.
func phraseBonus(phrase string) query.Query {
	var out []query.Query
	for _, f := range searchFields {
		if f.positions {
			q := blevesearch.NewMatchPhraseQuery(phrase)
			q.SetField(f.name)
			q.SetBoost(f.boost)
			out = append(out, q)
		}
	}
	return blevesearch.NewDisjunctionQuery(out...)
}

// essential drops alternatives that contain another alternative
// (居民身份证 beside 身份证): every guide they match, the shorter matches.
func essential(alts []string) []string {
	var out []string
	for i, a := range alts {
		redundant := false
		for j, b := range alts {
			if i != j && len(b) < len(a) && utf8.RuneCountInString(b) > 1 && strings.Contains(a, b) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, a)
		}
	}
	return out
}

// stats reads document frequencies from one snapshot of the index.
type stats struct {
	r    index.IndexReader
	docs uint64
}

// share estimates the share of guides containing word in field: the
// frequency of its rarest two-character piece.
func (s *stats) share(ctx context.Context, field, word string) float64 {
	rs := []rune(word)
	rarest := s.docs
	for i := 0; i+2 <= len(rs); i++ {
		tfr, err := s.r.TermFieldReader(ctx, []byte(string(rs[i:i+2])), field, false, false, false)
		if err != nil {
			return 0
		}
		rarest = min(rarest, tfr.Count())
		if err := tfr.Close(); err != nil {
			return 0
		}
	}
	if s.docs == 0 {
		return 0
	}
	return float64(rarest) / float64(s.docs)
}

// altQuery matches one word in the searched fields.
func altQuery(word string, st *stats) (out []query.Query, skipped bool) {
	n := utf8.RuneCountInString(word)
	for _, f := range searchFields {
		if st != nil && st.docs >= minDocsToPrune && !f.loose && n >= 2 && !isASCII(word) && st.share(context.Background(), f.name, word) > commonShare {
			skipped = true
			continue
		}
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
		case f.loose:
			exact := blevesearch.NewMatchPhraseQuery(word)
			exact.SetField(f.name)
			exact.SetBoost(f.boost)
			out = append(out, exact, looseQuery(word, f.name, f.boost*partialWeight))
		default:
			out = append(out, allPieces(word, f.name, f.boost))
		}
	}
	return out, skipped
}

// allPieces matches a long text holding every two-character piece of a
// word. Long texts keep no positions, so this stands in for the phrase:
// a verbatim occurrence always matches, and the pieces of a short word
// rarely occur apart.
func allPieces(word, field string, boost float64) query.Query {
	q := blevesearch.NewConjunctionQuery(pieceQueries(word, field)...)
	q.SetBoost(boost)
	return q
}

// pieceQueries are term queries for each two-character piece of word.
func pieceQueries(word, field string) []query.Query {
	rs := []rune(word)
	var pieces []query.Query
	for i := 0; i+2 <= len(rs); i++ {
		pieces = append(pieces, termQuery(field, string(rs[i:i+2])))
	}
	return pieces
}

// looseQuery matches most of a word's two-character pieces in any order
// (社会保险卡补办 against 社会保障卡补领): at least three in five, so that
// one common piece alone (证书) matches nothing.
func looseQuery(word, field string, boost float64) query.Query {
	pieces := pieceQueries(word, field)
	q := blevesearch.NewDisjunctionQuery(pieces...)
	q.SetMin(float64(max(2, (3*len(pieces)+4)/5)))
	q.SetBoost(boost)
	return q
}

// filters restrict a search by status, department and category.
func filters(f knowledge.Filter) []query.Query {
	var statuses []query.Query
	for _, s := range f.StatusesOrDefault() {
		statuses = append(statuses, filterQuery("status", string(s)))
	}
	out := statuses[:1]
	if len(statuses) > 1 {
		out = []query.Query{blevesearch.NewDisjunctionQuery(statuses...)}
	}
	if f.Department != "" {
		out = append(out, filterQuery("department", f.Department))
	}
	if f.Category != "" {
		out = append(out, filterQuery("category", f.Category))
	}
	return out
}

func termQuery(field, value string) *query.TermQuery {
	q := blevesearch.NewTermQuery(value)
	q.SetField(field)
	return q
}

// filterQuery matches a keyword field exactly without adding to the score.
func filterQuery(field, value string) query.Query {
	q := termQuery(field, value)
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
