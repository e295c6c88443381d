package embedded

import (
	"cmp"
	"container/heap"
	"slices"
)

// scratch is the working memory of one search, reused across searches:
// scores by doc in dense arrays, with the docs set in each so that
// clearing costs what was set.
type scratch struct {
	alt, term, actions, total, pieces acc
	matched                           []uint8 // terms matched, by doc
	about                             []bool  // doc matched a subject in name, keywords, scope or conditions
	ids, uniq                         []uint32
	offsets                           []int
	lists                             []ref
	matches                           []match
	best                              matterBest
	ranked                            []scored
	perMatter                         []topN
	spares                            [][]scored // the heaps' memory, by the matter's place on the page
}

// spare returns memory for the k-th heap of a page's matters.
func (s *scratch) spare(k int) []scored {
	if k == len(s.spares) {
		s.spares = append(s.spares, nil)
	}
	return s.spares[k][:0]
}

// acc accumulates a score per doc.
type acc struct {
	score []float32
	docs  []uint32 // the docs with a score, in the order first set
}

func (a *acc) add(d uint32, v float32) {
	if a.score[d] == 0 {
		a.docs = append(a.docs, d)
	}
	a.score[d] += v
}

// addTo adds a's scores to b and clears a.
func (a *acc) addTo(b *acc) {
	for _, d := range a.docs {
		b.add(d, a.score[d])
	}
	a.clear()
}

// matchInto adds a's scores to b, counts a match for each doc, and clears a.
func (a *acc) matchInto(b *acc, matched []uint8) {
	for _, d := range a.docs {
		b.add(d, a.score[d])
		matched[d]++
	}
	a.clear()
}

func (a *acc) clear() {
	for _, d := range a.docs {
		a.score[d] = 0
	}
	a.docs = a.docs[:0]
}

func (a *acc) size(n int) {
	if len(a.score) < n {
		a.score = make([]float32, n+n/4)
	}
}

// getScratch returns scratch for the index's current docs. Callers hold
// the read lock.
func (ix *Index) getScratch() *scratch {
	s, _ := ix.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	n := len(ix.docs)
	for _, a := range []*acc{&s.alt, &s.term, &s.actions, &s.total, &s.pieces} {
		a.size(n)
	}
	if len(s.matched) < n {
		s.matched, s.about = make([]uint8, n+n/4), make([]bool, n+n/4)
	}
	s.best.size(len(ix.matters))
	return s
}

// reset clears what the last run set.
func (s *scratch) reset() {
	for _, d := range s.total.docs {
		s.matched[d], s.about[d] = 0, false
	}
	s.total.clear()
	s.alt.clear()
	s.term.clear()
	s.actions.clear()
	s.pieces.clear()
	s.best.clear()
}

// match is a doc holding a word, how often and, from intersect over
// postings with positions, where the word may start.
type match struct {
	doc    uint32
	tf     uint8
	starts uint64
}

// ref is the postings of one token of a word, the token's position in
// the word, and how far a search has gone through them.
type ref struct {
	p      *postings
	offset int
	at     int
}

// intersect returns the docs in every list, with the lowest count of any
// list, appended to out; over postings with positions, also the
// positions where the tokens stand in the word's order. The shortest
// list leads; the others are searched by galloping from where the last
// search ended.
func intersect(lists []ref, out []match) []match {
	slices.SortFunc(lists, func(a, b ref) int { return cmp.Compare(len(a.p.docs), len(b.p.docs)) })
	lead := lists[0]
	positions := lead.p.masks != nil
next:
	for i, d := range lead.p.docs {
		m := match{doc: d, tf: lead.p.tfs[i]}
		if positions {
			m.starts = lead.p.masks[i] >> lead.offset
		}
		for j := 1; j < len(lists); j++ {
			l := &lists[j]
			k := gallop(l.p.docs, l.at, d)
			l.at = k
			if k == len(l.p.docs) {
				break next
			}
			if l.p.docs[k] != d {
				continue next
			}
			m.tf = min(m.tf, l.p.tfs[k])
			if positions {
				m.starts &= l.p.masks[k] >> l.offset
			}
		}
		out = append(out, m)
	}
	return out
}

// gallop returns the first index at or after from whose doc is ≥ d.
func gallop(docs []uint32, from int, d uint32) int {
	step := 1
	hi := from
	for hi < len(docs) && docs[hi] < d {
		from = hi + 1
		hi += step
		step *= 2
	}
	hi = min(hi, len(docs))
	i, _ := slices.BinarySearch(docs[from:hi], d)
	return from + i
}

// scored is a doc with its final score.
type scored struct {
	doc   uint32
	score float32
}

// better orders hits: higher score first, then the guide indexed first
// (ties are common among the districts' copies of one matter, and the
// doc number decides them without reading the guide).
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

// topN keeps the n best offered, as a heap with the worst on top.
type topN struct {
	n int
	h []scored
}

func (t *topN) Len() int           { return len(t.h) }
func (t *topN) Less(i, j int) bool { return better(t.h[j], t.h[i]) }
func (t *topN) Swap(i, j int)      { t.h[i], t.h[j] = t.h[j], t.h[i] }
func (t *topN) Push(x any)         { t.h = append(t.h, x.(scored)) }
func (t *topN) Pop() any {
	x := t.h[len(t.h)-1]
	t.h = t.h[:len(t.h)-1]
	return x
}

// offer keeps doc d with score if it is among the best so far.
func (t *topN) offer(d uint32, score float32) {
	if len(t.h) == t.n && (t.n == 0 || score < t.h[0].score) {
		return // the common case
	}
	s := scored{doc: d, score: score}
	switch {
	case len(t.h) < t.n:
		heap.Push(t, s)
	case better(s, t.h[0]):
		t.h[0] = s
		heap.Fix(t, 0)
	}
}

// sortBest sorts hits best first.
func sortBest(hits []scored) {
	slices.SortFunc(hits, func(a, b scored) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
}

// matterBest is each matter's best guide in one search.
type matterBest struct {
	score   []float32 // by matter
	doc     []uint32  // by matter
	slot    []uint16  // by matter: 1 + its place among the page's best matters, or 0
	matters []uint32  // the matters with a score
}

// offer keeps doc d with score sc if it is matter m's best so far.
func (b *matterBest) offer(m, d uint32, sc float32) {
	if b.score[m] == 0 {
		b.matters = append(b.matters, m)
	}
	if sc > b.score[m] {
		b.score[m], b.doc[m] = sc, d
	}
}

func (b *matterBest) size(n int) {
	if len(b.score) < n {
		n += n / 4
		b.score, b.doc, b.slot = make([]float32, n), make([]uint32, n), make([]uint16, n)
	}
}

func (b *matterBest) clear() {
	for _, m := range b.matters {
		b.score[m], b.slot[m] = 0, 0
	}
	b.matters = b.matters[:0]
}
