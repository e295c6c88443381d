package embedded

import (
	"context"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// fieldWeight weighs a match by where it is: name > keywords > scope and
// conditions > materials, process and the rest.
var fieldWeight = [numFields]float32{fieldName: 8, fieldKeywords: 5, fieldSummary: 2, fieldDetail: 1}

// looseFields match a word's pieces in any order too (社会保险卡补办
// against 社会保障卡补领); in long texts common pieces match nearly every
// guide, which ranks nothing.
var looseFields = []field{fieldName, fieldKeywords}

// BM25 parameters: how fast repeated occurrences stop counting, and how
// much a field's length matters.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// partialWeight scales a match of a word's pieces in any order, or of a
// lone character, against the word itself, so that the word ranks first.
const partialWeight = 0.2

// commonShare is the share of guides above which a word is not searched
// in scope, conditions and the long texts: a word in most guides'
// materials (身份证) ranks nothing there. Name and keywords are always
// searched, and a search that finds nothing this way runs again in full,
// so no verbatim match is ever lost.
const commonShare = 0.1

// minDocsToPrune is the index size below which nothing is pruned: in a
// small index shares say nothing about a word, and every search is cheap.
const minDocsToPrune = 2000

// Search runs p: a guide matches when any term matches, and a term when
// any of its alternatives does. A term scores by the matches of its
// alternatives in every field (a guide saying 结婚证 and 结婚登记 is more
// about 结婚证 than one saying either); the sum over the terms
// is scaled by the share of terms matched, so a guide matching every
// word ranks above one matching some.
//
// When p names a subject and an action (社保卡 补办), only guides about a
// subject (in name, keywords, scope or conditions) match: the action
// orders the subject's guides but finds none by itself, so the guides of
// every other subject sharing the action (营业执照遗失补领) never rank above
// them. When that finds nothing, the action alone is searched.
func (ix *Index) Search(ctx context.Context, p knowledge.Plan) ([]knowledge.Hit, int, error) {
	if len(p.Terms) == 0 {
		return nil, 0, nil
	}
	select { // bounded: at a full floor searches queue here instead of thrashing the cores
	case ix.slots <- struct{}{}:
		defer func() { <-ix.slots }()
	case <-ctx.Done():
		return nil, 0, errs.Wrap(errs.Unavailable, ctx.Err(), "search timed out")
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, 0, errClosed()
	}
	s := ix.getScratch()
	defer ix.scratch.Put(s)
	q := &search{ix: ix, s: s, plan: p, live: float64(len(ix.byCode))}
	q.prune = q.live >= minDocsToPrune
	hits, total := q.run(true)
	if total == 0 && q.pruned {
		q.prune = false
		hits, total = q.run(true)
	}
	if total == 0 && q.gated {
		hits, total = q.run(false)
	}
	return hits, total, ctx.Err()
}

// search is one run of a plan over the index, under its read lock.
type search struct {
	ix     *Index
	s      *scratch
	plan   knowledge.Plan
	live   float64
	prune  bool // skip common words in the long texts
	pruned bool // a word was skipped
	gated  bool // only guides about a subject match

	coordinated int // the terms a doc's share of matched terms counts
}

// scope says which docs a word may add to.
type scope int

const (
	anyDoc      scope = iota
	aboutOnly         // docs about one of the plan's subjects
	matchedOnly       // docs already matched by a term
)

func (q *search) run(gate bool) ([]knowledge.Hit, int) {
	s := q.s
	s.reset()
	var subjects, actions []knowledge.Term
	for _, t := range q.plan.Terms {
		if t.Action {
			actions = append(actions, t)
		} else {
			subjects = append(subjects, t)
		}
	}
	q.gated = gate && len(subjects) > 0 && len(actions) > 0
	if !q.gated {
		subjects, actions = q.plan.Terms, nil
	}
	q.coordinated = len(subjects)
	for _, t := range subjects {
		q.term(t, anyDoc)
		q.s.term.matchInto(&s.total, s.matched)
	}
	// An action only orders the guides of the subject: it adds at most
	// twice what the subject scored, so 补发 in the name of a guide with
	// 身份证件 in its conditions does not outweigh 身份证 in a name.
	for _, t := range actions {
		q.term(t, aboutOnly)
		s.term.addTo(&s.actions)
	}
	for _, d := range s.actions.docs {
		s.total.score[d] += min(s.actions.score[d], 2*s.total.score[d])
	}
	s.actions.clear()
	if whole := wholePhrase(q.plan); whole != "" {
		q.word(whole, matchedOnly, false, []field{fieldName, fieldKeywords, fieldSummary})
		s.alt.addTo(&s.total)
	}
	return q.collect()
}

// term scores one term into s.term: its alternatives for every doc.
func (q *search) term(t knowledge.Term, sc scope) {
	markAbout := q.gated && !t.Action
	for _, alt := range essential(t.Alternatives) {
		q.word(alt, sc, markAbout, nil)
		q.s.alt.addTo(&q.s.term)
	}
}

// word scores one word in the given fields (nil: all) into s.alt,
// marking the docs it is found about when markAbout is set.
func (q *search) word(w string, sc scope, markAbout bool, fields []field) {
	ids, offsets, ok := q.tokens(w)
	if !ok {
		return
	}
	single := utf8.RuneCountInString(w) == 1 && !isASCII(w)
	if fields == nil {
		fields = []field{fieldName, fieldKeywords, fieldSummary, fieldDetail}
	}
	for _, f := range fields {
		if single && f >= fieldSummary {
			continue // a lone character says nothing in long texts
		}
		if q.prune && f >= fieldSummary && !single && q.rarest(f, ids) > commonShare*q.live {
			q.pruned = true
			continue
		}
		var ms []match
		switch {
		case single:
			ms = q.startingWith([]rune(w)[0], f)
		case len(ids) == 1:
			ms = q.s.matches[:0]
			p := &q.ix.post[f][ids[0]]
			for i, d := range p.docs {
				ms = append(ms, match{doc: d, tf: p.tfs[i]})
			}
		default:
			ms = q.exact(w, ids, offsets, f)
		}
		q.s.matches = ms
		weight := fieldWeight[f]
		if single {
			weight *= partialWeight
		}
		q.score(ms, f, weight, sc, markAbout && f < fieldDetail)
		if len(ids) > 1 && slices.Contains(looseFields, f) {
			q.loose(ids, f, sc, markAbout)
		}
	}
}

// tokens returns the token ids of a word and their positions in it, or
// false when the index has not got one of them (then nothing holds the
// word).
func (q *search) tokens(w string) ([]uint32, []int, bool) {
	ids, offsets := q.s.ids[:0], q.s.offsets[:0]
	ok := true
	single := utf8.RuneCountInString(w) == 1 // a lone character matches the pieces it starts
	n := tokenize(w, func(k tokenKey, pos int) {
		id, found := q.ix.pairs[k]
		ok = ok && (found || single)
		ids, offsets = append(ids, id), append(offsets, pos)
	}, func(word string, pos int) {
		id, found := q.ix.words[word]
		ok = ok && found
		ids, offsets = append(ids, id), append(offsets, pos)
	})
	q.s.ids, q.s.offsets = ids, offsets
	return ids, offsets, ok && n > 0
}

// rarest is the number of docs holding the rarest of ids in f: an upper
// bound of the docs holding the word.
func (q *search) rarest(f field, ids []uint32) float64 {
	n := math.MaxInt
	for _, id := range ids {
		n = min(n, len(q.ix.post[f][id].docs))
	}
	return float64(n)
}

// exact returns the docs holding the word w (of several tokens) in f:
// in name and keywords verbatim, counted by the positions of its tokens
// (or in the text, past the positions kept); elsewhere by all of its
// pieces, the least frequent piece standing for the count.
func (q *search) exact(w string, ids []uint32, offsets []int, f field) []match {
	lists := q.s.lists[:0]
	for i, id := range ids {
		lists = append(lists, ref{p: &q.ix.post[f][id], offset: offsets[i]})
	}
	q.s.lists = lists
	ms := intersect(lists, q.s.matches[:0])
	if int(f) >= numTextFields {
		return ms
	}
	n := 0
	for _, m := range ms {
		c := bits.OnesCount64(m.starts)
		if q.ix.docs[m.doc].long[f] {
			c = strings.Count(q.ix.docs[m.doc].text[f], w)
		}
		if c > 0 {
			ms[n] = match{doc: m.doc, tf: uint8(min(c, 255))}
			n++
		}
	}
	return ms[:n]
}

// startingWith returns the docs holding, in f, a token starting with r
// (a lone character typed): its pairs and itself alone.
func (q *search) startingWith(r rune, f field) []match {
	c := &q.s.pieces
	add := func(id uint32) {
		p := &q.ix.post[f][id]
		for i, d := range p.docs {
			c.add(d, float32(p.tfs[i]))
		}
	}
	if id, ok := q.ix.pairs[tokenKey(r)]; ok {
		add(id)
	}
	for _, id := range q.ix.byFirst[r] {
		add(id)
	}
	ms := q.s.matches[:0]
	for _, d := range c.docs {
		ms = append(ms, match{doc: d, tf: uint8(min(c.score[d], 255))})
	}
	c.clear()
	return ms
}

// loose scores the docs holding most of a word's pieces in f in any
// order: at least three in five, so that one common piece alone (证书)
// matches nothing.
func (q *search) loose(ids []uint32, f field, sc scope, markAbout bool) {
	ids = uniq(ids, &q.s.uniq)
	need := float32(max(2, (3*len(ids)+4)/5))
	c := &q.s.pieces
	for _, id := range ids {
		for _, d := range q.ix.post[f][id].docs {
			c.add(d, 1)
		}
	}
	ms := q.s.matches[:0]
	for _, d := range c.docs {
		if c.score[d] >= need {
			ms = append(ms, match{doc: d, tf: 1})
		}
	}
	c.clear()
	q.s.matches = ms
	q.score(ms, f, fieldWeight[f]*partialWeight, sc, markAbout)
}

// score adds BM25 scores of matches in f to s.alt.
func (q *search) score(ms []match, f field, weight float32, sc scope, markAbout bool) {
	if len(ms) == 0 {
		return
	}
	s := q.s
	df := min(float64(len(ms)), q.live) // postings still hold replaced guides until compacted
	idf := float32(math.Log(1 + (q.live-df+0.5)/(df+0.5)))
	avg := float32(float64(q.ix.lenSum[f]) / max(q.live, 1))
	lens, meta := q.ix.lens[f], q.ix.meta
	for _, m := range ms {
		if !meta[m.doc].alive || (sc == aboutOnly && !s.about[m.doc]) || (sc == matchedOnly && s.total.score[m.doc] == 0) {
			continue
		}
		tf := float32(m.tf)
		norm := bm25K1 * (1 - bm25B + bm25B*float32(lens[m.doc])/max(avg, 1))
		s.alt.add(m.doc, weight*idf*tf*(bm25K1+1)/(tf+norm))
		if markAbout {
			s.about[m.doc] = true
		}
	}
}

// repeatWeight scales each further guide of a matter in the ranking
// against the one before it (see collect).
const repeatWeight float32 = 0.5

// collect filters the matched docs and returns the page asked for.
//
// Guides implementing the same matter (the districts' 社会保障卡申领, whose
// codes share the matter's code before the first '.') would fill a page
// with one matter; so each further guide of a matter ranks at
// repeatWeight of the score it would have, times again for the next: an
// agent sees every matter that scores at least half the best before a
// second district's copy of it. Only the best guides of the page's
// best-scoring matters can be on the page, so only those are ranked so,
// and of each no more than the page holds.
func (q *search) collect() ([]knowledge.Hit, int) {
	s := q.s
	f := q.plan.Filter
	var statuses uint32 // bit i: knowledge.Statuses[i]
	for _, st := range f.StatusesOrDefault() {
		statuses |= 1 << slices.Index(knowledge.Statuses, st)
	}
	department, okD := q.ix.labels[f.Department]
	category, okC := q.ix.labels[f.Category]
	if !okD || !okC {
		return nil, 0 // no guide has it
	}
	terms := float32(q.coordinated)
	score := func(d uint32) float32 {
		m := &q.ix.meta[d]
		if !m.alive || (q.gated && !s.about[d]) || statuses&(1<<m.status) == 0 ||
			(department != 0 && m.department != department) || (category != 0 && m.category != category) {
			return 0
		}
		return s.total.score[d] * float32(s.matched[d]) / terms
	}
	page := q.plan.Offset + q.plan.Limit
	total := 0
	for _, d := range s.total.docs {
		if sc := score(d); sc > 0 {
			total++
			s.best.offer(q.ix.meta[d].matter, d, sc)
		}
	}
	top := topN{n: page}
	for _, m := range s.best.matters {
		top.offer(s.best.doc[m], s.best.score[m])
	}
	// The best guides of each of those matters, as many as fit on the page.
	perMatter := s.perMatter[:0]
	for _, r := range top.h {
		perMatter = append(perMatter, topN{n: page, h: s.spare(len(perMatter))})
		s.best.slot[q.ix.meta[r.doc].matter] = uint16(len(perMatter))
	}
	for _, d := range s.total.docs {
		if k := s.best.slot[q.ix.meta[d].matter]; k > 0 {
			if sc := score(d); sc > 0 {
				perMatter[k-1].offer(d, sc)
			}
		}
	}
	ranked := s.ranked[:0]
	for k := range perMatter {
		sortBest(perMatter[k].h)
		weight := float32(1)
		for _, r := range perMatter[k].h {
			r.score *= weight
			ranked = append(ranked, r)
			weight *= repeatWeight
		}
		s.spares[k] = perMatter[k].h[:0]
	}
	s.perMatter = perMatter
	sortBest(ranked)
	s.ranked = ranked
	if q.plan.Offset >= len(ranked) {
		return nil, total
	}
	hits := make([]knowledge.Hit, 0, min(len(ranked), page)-q.plan.Offset)
	for _, r := range ranked[q.plan.Offset:min(len(ranked), page)] {
		hits = append(hits, knowledge.Hit{Guide: q.ix.docs[r.doc].guide, Score: float64(r.score)})
	}
	return hits, total
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

// uniq returns ids without repeats (a word may repeat a piece: 保障保障).
func uniq(ids []uint32, buf *[]uint32) []uint32 {
	out := append((*buf)[:0], ids...)
	slices.Sort(out)
	out = slices.Compact(out)
	*buf = out
	return out
}
