// Package embedded is the default search index of guides: an inverted
// index held in memory, with nothing else to run. Every node builds its
// own from PostgreSQL when it starts (the Syncer fills it) and follows
// changes from there.
//
// It is written for the one job of the knowledge base: short Chinese
// queries over tens of thousands of guides while a citizen waits. Chinese
// text is indexed as overlapping two-character pieces (tokens.go); a word
// of three or more characters is matched exactly in the fields that say
// verbatim in name and keywords (checking the candidates' text), and by
// all of its pieces elsewhere. Scores are BM25 per field, weighted by field (search.go).
package embedded

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// field is an indexed part of a guide.
type field int

const (
	fieldName     field = iota
	fieldKeywords       // the keywords, one per line
	fieldSummary        // scope and conditions
	fieldDetail         // materials, process, time limit, fee, place, hours, legal basis
	numFields
)

// numTextFields are the fields whose folded text a doc keeps, to match
// words verbatim: name and keywords, the fields before fieldSummary.
// Elsewhere a word matches by all of its pieces: scope and conditions
// are long enough that checking every candidate's text costs more than
// it ranks, and the pieces of a word rarely occur apart.
const numTextFields = int(fieldSummary)

// Index is the embedded index. It is safe for concurrent use: searches
// share a read lock; writers prepare outside it and hold the write lock
// only to append.
type Index struct {
	writer sync.Mutex // one writer at a time

	mu      sync.RWMutex
	closed  bool
	pairs   map[tokenKey]uint32 // Chinese token → token id
	words   map[string]uint32   // word of letters and digits → token id
	byFirst map[rune][]uint32   // pair tokens by their first character, for a lone character in a query
	post    [numFields][]postings
	docs    []doc
	meta    []docMeta           // by doc, apart from docs: what every candidate is checked for
	lens    [numFields][]uint16 // tokens per field by doc, for BM25
	labels  map[string]uint32   // department and category codes → their number in docMeta
	matters map[string]uint32   // matter codes → their number in docMeta
	byCode  map[string]uint32   // code → its live doc
	dead    int                 // docs replaced or deleted, still in postings
	lenSum  [numFields]uint64   // tokens per field over the live docs

	gen     atomic.Uint64
	slots   chan struct{} // searches running at once
	scratch sync.Pool     // of *scratch
}

// postings lists the docs holding a token in one field, in doc order,
// with the times it occurs there (at most 255) and, in name and
// keywords, the positions where (bit i: position i; positionBits and
// beyond are checked in the text).
type postings struct {
	docs  []uint32
	tfs   []uint8
	masks []uint64
}

// positionBits is the number of positions a postings mask holds.
const positionBits = 64

// doc is one indexed version of a guide.
type doc struct {
	guide knowledge.Guide
	text  [numTextFields]string // folded name and keywords
	lens  [numFields]int        // tokens per field
	long  [numTextFields]bool   // positions beyond the masks
}

// docMeta is what a search checks of every candidate, kept small and
// apart so that checking thousands stays in the cache.
type docMeta struct {
	alive                bool
	status               uint8  // index in knowledge.Statuses
	department, category uint32 // in Index.labels
	matter               uint32 // in Index.matters
}

// matterOf is the matter a guide implements: its code up to the first
// '.' (rsj-006.tianhe implements rsj-006, as a catalogue's 实施编码
// extends its 基本编码), or the whole code.
func matterOf(code string) string {
	m, _, _ := strings.Cut(code, ".")
	return m
}

var (
	_ knowledge.Index        = (*Index)(nil)
	_ knowledge.Generational = (*Index)(nil)
)

// New returns an empty index.
func New() *Index {
	return &Index{pairs: map[tokenKey]uint32{}, words: map[string]uint32{}, byFirst: map[rune][]uint32{},
		byCode: map[string]uint32{}, labels: map[string]uint32{"": 0}, matters: map[string]uint32{}, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// Generation counts the changes of the index.
func (ix *Index) Generation() uint64 { return ix.gen.Load() }

// SetSynonyms does nothing: the Plan carries synonyms as alternatives.
func (ix *Index) SetSynonyms(context.Context, knowledge.Synonyms) error { return nil }

// Close releases the index; later calls answer unavailable.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.closed = true
	ix.docs, ix.meta, ix.post, ix.lens, ix.byCode = nil, nil, [numFields][]postings{}, [numFields][]uint16{}, map[string]uint32{}
	return nil
}

func errClosed() error { return errs.E(errs.Unavailable, "the search index is closed") }

// Versions returns every indexed guide's version by code.
func (ix *Index) Versions(context.Context) (map[string]int, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, errClosed()
	}
	out := make(map[string]int, len(ix.byCode))
	for code, d := range ix.byCode {
		out[code] = ix.docs[d].guide.Version
	}
	return out, nil
}

// Upsert adds or replaces guides by code; they are searchable on return.
func (ix *Index) Upsert(ctx context.Context, guides []knowledge.Guide) error {
	prepared := prepareAll(guides)
	return ix.write(ctx, func() {
		for i := range prepared {
			ix.retire(prepared[i].doc.guide.Code)
			ix.add(&prepared[i])
		}
	})
}

// Delete removes guides by code; unknown codes are ignored.
func (ix *Index) Delete(ctx context.Context, codes []string) error {
	return ix.write(ctx, func() {
		for _, c := range codes {
			ix.retire(c)
		}
	})
}

// write applies change under the write lock, counts a generation and
// compacts when that is due.
func (ix *Index) write(ctx context.Context, change func()) error {
	ix.writer.Lock()
	defer ix.writer.Unlock()
	ix.mu.Lock()
	if ix.closed {
		ix.mu.Unlock()
		return errClosed()
	}
	change()
	ix.gen.Add(1)
	ix.mu.Unlock()
	ix.compactIfWorthIt()
	return ctx.Err()
}

// retire marks the live doc of code dead. Callers hold mu for writing.
func (ix *Index) retire(code string) {
	d, ok := ix.byCode[code]
	if !ok {
		return
	}
	delete(ix.byCode, code)
	ix.meta[d].alive = false
	for f, n := range ix.docs[d].lens {
		ix.lenSum[f] -= uint64(n)
	}
	ix.dead++
}

// prepared is a guide analysed for indexing, before it has token ids.
type prepared struct {
	doc   doc
	pairs [numFields][]counted[tokenKey]
	words [numFields][]counted[string]
}

// counted is a token, how often it occurs in a field and where.
type counted[K cmp.Ordered] struct {
	key  K
	tf   uint8
	mask uint64
}

// placed is a token at a position.
type placed[K cmp.Ordered] struct {
	key K
	pos int
}

// prepareAll analyses guides on every core.
func prepareAll(guides []knowledge.Guide) []prepared {
	out := make([]prepared, len(guides))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(guides)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var pairs []uint64
			var words []placed[string]
			for i := w; i < len(guides); i += workers {
				out[i] = prepare(&guides[i], &pairs, &words)
			}
		})
	}
	wg.Wait()
	return out
}

// fieldTexts returns a guide's text by field.
func fieldTexts(g *knowledge.Guide) [numFields]string {
	return [numFields]string{
		fieldName:     g.Name,
		fieldKeywords: strings.Join(g.Keywords, "\n"),
		fieldSummary:  g.Scope + "\n" + g.Conditions,
		fieldDetail: strings.Join([]string{g.MaterialsText(), g.Process, g.TimeLimit, g.Fee, g.Location, g.Hours,
			g.LegalBasis}, "\n"),
	}
}

// prepare folds and tokenizes one guide; pairs and words are scratch.
func prepare(g *knowledge.Guide, pairs *[]uint64, words *[]placed[string]) prepared {
	p := prepared{doc: doc{guide: *g}}
	for f, text := range fieldTexts(g) {
		text = knowledge.Fold(text)
		*pairs, *words = (*pairs)[:0], (*words)[:0]
		last := 0
		n := tokenize(text, func(k tokenKey, pos int) {
			*pairs, last = append(*pairs, uint64(k)<<posBits|uint64(min(pos, 1<<posBits-1))), pos
		}, func(w string, pos int) {
			*words, last = append(*words, placed[string]{w, pos}), pos
		})
		if f < numTextFields {
			p.doc.text[f], p.doc.long[f] = text, last >= positionBits
		}
		p.doc.lens[f] = n
		p.pairs[f] = countPairs(*pairs)
		p.words[f] = countSorted(*words)
	}
	return p
}

// posBits is the room for a position beside a pair's key, when pairs are
// sorted as plain numbers: a key takes 2×runeBits.
const posBits = 64 - 2*runeBits

// countPairs sorts pairs packed with their positions and counts each.
func countPairs(packed []uint64) []counted[tokenKey] {
	slices.Sort(packed)
	var out []counted[tokenKey]
	for i := 0; i < len(packed); {
		c := counted[tokenKey]{key: tokenKey(packed[i] >> posBits)}
		j := i
		for ; j < len(packed) && tokenKey(packed[j]>>posBits) == c.key; j++ {
			if pos := packed[j] & (1<<posBits - 1); pos < positionBits {
				c.mask |= 1 << pos
			}
		}
		c.tf = uint8(min(j-i, 255))
		out = append(out, c)
		i = j
	}
	return out
}

// countSorted sorts tokens and counts each, with its positions.
func countSorted[K cmp.Ordered](tokens []placed[K]) []counted[K] {
	slices.SortFunc(tokens, func(a, b placed[K]) int { return cmp.Compare(a.key, b.key) })
	var out []counted[K]
	for i := 0; i < len(tokens); {
		c := counted[K]{key: tokens[i].key}
		j := i
		for ; j < len(tokens) && tokens[j].key == c.key; j++ {
			if pos := tokens[j].pos; pos < positionBits {
				c.mask |= 1 << pos
			}
		}
		c.tf = uint8(min(j-i, 255))
		out = append(out, c)
		i = j
	}
	return out
}

// add appends a prepared guide as a new live doc. Callers hold mu for writing.
func (ix *Index) add(p *prepared) {
	d := uint32(len(ix.docs))
	g := &p.doc.guide
	ix.docs = append(ix.docs, p.doc)
	ix.meta = append(ix.meta, docMeta{alive: true, status: uint8(slices.Index(knowledge.Statuses, g.Status)),
		department: ix.label(g.Department), category: ix.label(g.Category), matter: intern(ix.matters, matterOf(g.Code))})
	ix.byCode[g.Code] = d
	for f := range numFields {
		ix.lenSum[f] += uint64(p.doc.lens[f])
		ix.lens[f] = append(ix.lens[f], uint16(min(p.doc.lens[f], 65535)))
		for _, c := range p.pairs[f] {
			ix.appendPosting(f, ix.pairID(c.key), d, c)
		}
		for _, c := range p.words[f] {
			ix.appendPosting(f, ix.wordID(c.key), d, counted[tokenKey]{tf: c.tf, mask: c.mask})
		}
	}
}

// label numbers a department or category code.
func (ix *Index) label(code string) uint32 { return intern(ix.labels, code) }

// intern numbers s in table, in the order first seen.
func intern(table map[string]uint32, s string) uint32 {
	n, ok := table[s]
	if !ok {
		n = uint32(len(table))
		table[strings.Clone(s)] = n
	}
	return n
}

func (ix *Index) pairID(k tokenKey) uint32 {
	id, ok := ix.pairs[k]
	if !ok {
		id = ix.newID()
		ix.pairs[k] = id
		if first := k.first(); first != 0 {
			ix.byFirst[first] = append(ix.byFirst[first], id)
		}
	}
	return id
}

func (ix *Index) wordID(w string) uint32 {
	id, ok := ix.words[w]
	if !ok {
		id = ix.newID()
		ix.words[strings.Clone(w)] = id
	}
	return id
}

func (ix *Index) newID() uint32 {
	id := uint32(len(ix.post[0]))
	for f := range numFields {
		ix.post[f] = append(ix.post[f], postings{})
	}
	return id
}

func (ix *Index) appendPosting(f field, id, d uint32, c counted[tokenKey]) {
	p := &ix.post[f][id]
	p.docs = append(p.docs, d)
	p.tfs = append(p.tfs, c.tf)
	if int(f) < numTextFields {
		p.masks = append(p.masks, c.mask)
	}
}

// compactIfWorthIt drops dead docs from the postings once they are as
// many as the live ones, so that the work it takes stays in proportion
// to the changes. Callers hold the writer lock.
func (ix *Index) compactIfWorthIt() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed || ix.dead < 1024 || ix.dead < len(ix.byCode) {
		return
	}
	renumber := make([]uint32, len(ix.docs))
	var docs []doc
	var meta []docMeta
	var lens [numFields][]uint16
	for i := range ix.docs {
		if ix.meta[i].alive {
			renumber[i] = uint32(len(docs))
			ix.byCode[ix.docs[i].guide.Code] = uint32(len(docs))
			docs, meta = append(docs, ix.docs[i]), append(meta, ix.meta[i])
			for f := range numFields {
				lens[f] = append(lens[f], ix.lens[f][i])
			}
		}
	}
	for f := range numFields {
		for id := range ix.post[f] {
			ix.post[f][id] = ix.post[f][id].without(ix.meta, renumber)
		}
	}
	ix.docs, ix.meta, ix.lens, ix.dead = docs, meta, lens, 0
}

// without returns p without the dead docs, renumbered.
func (p postings) without(meta []docMeta, renumber []uint32) postings {
	var out postings
	for j, d := range p.docs {
		if meta[d].alive {
			out.docs, out.tfs = append(out.docs, renumber[d]), append(out.tfs, p.tfs[j])
			if p.masks != nil {
				out.masks = append(out.masks, p.masks[j])
			}
		}
	}
	return out
}
