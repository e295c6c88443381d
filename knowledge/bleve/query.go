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
//
// With gate set, a plan naming a subject and an action (社保卡 补办)
// matches only guides about one of its subjects (subjectQuery): the
// action orders the subject's guides but finds none by itself, so that
// the guides of every other subject sharing the action (营业执照遗失补领)
// never rank above them. gated reports whether the gate applied; when it
// finds nothing, Search runs again without it.
//
// Weights are set on the leaf queries: bleve ignores the boost of a
// conjunction or disjunction.
func buildQuery(p knowledge.Plan, st *stats, gate bool) (q query.Query, pruned, gated bool) {
	terms := make([]query.Query, 0, len(p.Terms)+1)
	var subjects []query.Query
	for _, t := range p.Terms {
		tq, skipped := termQuery(t, st)
		terms, pruned = append(terms, tq), pruned || skipped
		if gate && !t.Action {
			subjects = append(subjects, subjectQuery(t, st))
		}
	}
	if whole := wholePhrase(p); whole != "" {
		terms = append(terms, phraseBonus(whole))
	}
	must := append(filters(p.Filter), blevesearch.NewDisjunctionQuery(terms...))
	if gated = len(subjects) > 0 && len(subjects) < len(p.Terms); gated {
		must = append(must, blevesearch.NewDisjunctionQuery(subjects...))
	}
	return blevesearch.NewConjunctionQuery(must...), pruned, gated
}

// termQuery matches one term: any of its alternatives in any searched
// field, weighted by field.
func termQuery(t knowledge.Term, st *stats) (q query.Query, pruned bool) {
	var alts []query.Query
	for _, alt := range essential(t.Alternatives) {
		qs, skipped := altQuery(alt, st, false)
		alts, pruned = append(alts, qs...), pruned || skipped
	}
	return blevesearch.NewDisjunctionQuery(alts...), pruned
}

// subjectQuery matches, adding nothing to the score, the guides a term is
// about: any of its alternatives in the fields that say what a guide is
// about (name, keywords, scope and conditions). A guide that only lists
// 身份证 among its materials is not about 身份证, and the long texts are the
// costly part of a query.
func subjectQuery(t knowledge.Term, st *stats) query.Query {
	var alts []query.Query
	for _, alt := range essential(t.Alternatives) {
		qs, _ := altQuery(alt, st, true)
		alts = append(alts, qs...)
	}
	return blevesearch.NewDisjunctionQuery(alts...)
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

// altQuery matches one word in the searched fields, weighted by field.
// With about set it matches the word only where a guide says what it is
// about, without scoring: there the looser match of name and keywords
// stands for the phrase too, as a verbatim occurrence holds every piece.
func altQuery(word string, st *stats, about bool) (out []query.Query, skipped bool) {
	n := utf8.RuneCountInString(word)
	for _, f := range searchFields {
		if about && !f.about {
			continue
		}
		if st != nil && st.docs >= minDocsToPrune && !f.loose && n >= 2 && !isASCII(word) && st.share(context.Background(), f.name, word) > commonShare {
			skipped = true
			continue
		}
		boost := f.boost
		if about {
			boost = 0
		}
		switch {
		case n == 1 && !isASCII(word):
			// A lone Chinese character: the pieces that start with it.
			q := blevesearch.NewPrefixQuery(word)
			q.SetField(f.name)
			q.SetBoost(boost * partialWeight)
			out = append(out, q)
		case n <= 2 || isASCII(word):
			q := blevesearch.NewMatchQuery(word)
			q.SetField(f.name)
			q.SetBoost(boost)
			q.SetOperator(query.MatchQueryOperatorAnd)
			out = append(out, q)
		case f.loose && about:
			out = append(out, looseQuery(word, f.name, 0))
		case f.loose:
			exact := blevesearch.NewMatchPhraseQuery(word)
			exact.SetField(f.name)
			exact.SetBoost(boost)
			out = append(out, exact, looseQuery(word, f.name, boost*partialWeight))
		default:
			out = append(out, allPieces(word, f.name, boost))
		}
	}
	return out, skipped
}

// allPieces matches a long text holding every two-character piece of a
// word. Long texts keep no positions, so this stands in for the phrase:
// a verbatim occurrence always matches, and the pieces of a short word
// rarely occur apart.
func allPieces(word, field string, boost float64) query.Query {
	return blevesearch.NewConjunctionQuery(pieceQueries(word, field, boost)...)
}

// pieceQueries are term queries for each two-character piece of word.
func pieceQueries(word, field string, boost float64) []query.Query {
	rs := []rune(word)
	var pieces []query.Query
	for i := 0; i+2 <= len(rs); i++ {
		q := fieldTerm(field, string(rs[i:i+2]))
		q.SetBoost(boost)
		pieces = append(pieces, q)
	}
	return pieces
}

// looseQuery matches most of a word's two-character pieces in any order
// (社会保险卡补办 against 社会保障卡补领): at least three in five, so that
// one common piece alone (证书) matches nothing.
func looseQuery(word, field string, boost float64) query.Query {
	q := blevesearch.NewDisjunctionQuery(pieceQueries(word, field, boost)...)
	q.SetMin(float64(max(2, (3*len(q.Disjuncts)+4)/5)))
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

func fieldTerm(field, value string) *query.TermQuery {
	q := blevesearch.NewTermQuery(value)
	q.SetField(field)
	return q
}

// filterQuery matches a keyword field exactly without adding to the score.
func filterQuery(field, value string) query.Query {
	q := fieldTerm(field, value)
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
