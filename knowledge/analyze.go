package knowledge

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/open12345/hotline/errs"
)

// Query is a search as a caller asks it.
type Query struct {
	Text   string
	Filter Filter
	Limit  int // default 10, at most MaxLimit
	Offset int
}

// Query limits.
const (
	MaxQueryRunes = 256
	DefaultLimit  = 10
	MaxLimit      = 100
	maxTerms      = 8
	maxAlts       = 6
)

// Analyzer turns query text into a Plan: it normalises the text (width,
// case, punctuation and emoji), splits it into words with a dictionary of
// the knowledge base's own vocabulary, drops the filler words of spoken
// questions (怎么办, 请问, 需要什么材料), turns pinyin and pinyin initials
// into Chinese words, and adds synonyms. It is safe for concurrent use;
// the vocabulary grows as guides are indexed.
type Analyzer struct {
	mu       sync.RWMutex
	synonyms Synonyms
	groups   map[string][]string // term → its synonyms
	grouped  []string            // the terms of groups in order
	words    map[string]bool     // the segmentation dictionary (without fillers)
	maxWord  int                 // longest dictionary word, in runes
	pinyin   *pinyinIndex
	gen      uint64 // counts changes of the vocabulary and the synonyms
}

// NewAnalyzer returns an Analyzer with the synonym table s, the built-in
// lexicon and the given extra words (guide keywords, categories).
func NewAnalyzer(s Synonyms, words ...string) *Analyzer {
	a := &Analyzer{words: map[string]bool{}, pinyin: newPinyinIndex()}
	a.AddWords(lexicon...)
	a.AddWords(slices.Sorted(maps.Keys(actions))...)
	a.AddWords(words...)
	a.SetSynonyms(s)
	return a
}

// SetSynonyms replaces the synonym table; its terms join the vocabulary.
func (a *Analyzer) SetSynonyms(s Synonyms) {
	s = s.Normalize()
	var terms []string
	for k, vs := range s {
		terms = append(terms, k)
		terms = append(terms, vs...)
	}
	a.AddWords(terms...)
	a.mu.Lock()
	a.synonyms, a.groups = s, s.groups()
	a.grouped = slices.Sorted(maps.Keys(a.groups))
	a.gen++
	a.mu.Unlock()
}

// Generation counts the changes of the vocabulary and the synonym table:
// after a change, the same text may be analysed differently.
func (a *Analyzer) Generation() uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.gen
}

// Synonyms returns the current synonym table.
func (a *Analyzer) Synonyms() Synonyms {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.synonyms
}

// AddWords adds words to the segmentation dictionary and the pinyin index.
func (a *Analyzer) AddWords(words ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, w := range words {
		w = Fold(w)
		n := utf8.RuneCountInString(w)
		if n < 2 || n > MaxKeywordRunes || a.words[w] || strings.ContainsFunc(w, isSeparator) {
			continue
		}
		a.words[w] = true
		a.gen++
		a.maxWord = max(a.maxWord, n)
		a.pinyin.add(w)
	}
}

// Analyze turns q into a Plan. An empty or punctuation-only query gives a
// Plan without terms (no hits); a query over MaxQueryRunes is invalid.
func (a *Analyzer) Analyze(q Query) (Plan, error) {
	if n := utf8.RuneCountInString(q.Text); n > MaxQueryRunes {
		return Plan{}, errs.E(errs.Invalid, "query is %d characters long; at most %d", n, MaxQueryRunes)
	}
	if !utf8.ValidString(q.Text) {
		return Plan{}, errs.E(errs.Invalid, "query is not valid UTF-8")
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 0 || q.Limit > MaxLimit:
		return Plan{}, errs.E(errs.Invalid, "limit must be 1-%d", MaxLimit)
	}
	if q.Offset < 0 || q.Offset > 1000 {
		return Plan{}, errs.E(errs.Invalid, "offset must be 0-1000")
	}
	p := Plan{Filter: q.Filter, Limit: q.Limit, Offset: q.Offset}
	a.mu.RLock()
	defer a.mu.RUnlock()
	var words []string
	for _, w := range a.joinSyllables(a.contentWords(Fold(q.Text))) {
		if len(p.Terms) == maxTerms {
			break
		}
		if t := a.term(w); len(t.Alternatives) > 0 {
			p.Terms = append(p.Terms, t)
			words = append(words, t.Alternatives[0])
		}
	}
	p.Text = strings.Join(words, " ")
	return p, nil
}

// term expands one content word into its alternatives.
func (a *Analyzer) term(w string) Term {
	var alts []string
	add := func(s string) {
		if s != "" && len(alts) < maxAlts && !slices.Contains(alts, s) {
			alts = append(alts, s)
		}
	}
	if isLatin(w) {
		for _, zh := range a.pinyin.lookup(w) {
			add(zh)
		}
		add(w)
		for _, s := range a.groups[w] { // etc → 电子不停车收费
			add(s)
		}
		return Term{Alternatives: alts, Action: len(alts) > 0 && actions[alts[0]]} // tiqu → 提取
	}
	add(w)
	for _, s := range a.groups[w] {
		add(s)
	}
	// Words containing a synonym (社保卡 ⊃ 社保) also match with it replaced.
	// In a fixed order: when there are more than maxAlts, the same are kept.
	for _, k := range a.grouped {
		syns := a.groups[k]
		if utf8.RuneCountInString(k) < 2 || k == w || !strings.Contains(w, k) {
			continue
		}
		for _, s := range syns {
			add(strings.Replace(w, k, s, 1))
		}
	}
	return Term{Alternatives: alts, Action: actions[w]}
}

// maxJoined bounds the Latin words joined into one pinyin word.
const maxJoined = 6

// joinSyllables joins neighbouring Latin words that together spell a
// word of the vocabulary in pinyin or its initials, the longest first:
// people type pinyin with spaces between syllables or words (she bao ka,
// gongjijin ti qu), and no syllable alone says much.
func (a *Analyzer) joinSyllables(words []string) []string {
	out := words[:0:0]
	for i := 0; i < len(words); i++ {
		n := 1
		for j := min(len(words), i+maxJoined); j > i+1; j-- {
			if a.pinyin.has(strings.Join(words[i:j], "")) && allLatin(words[i:j]) {
				n = j - i
				break
			}
		}
		out = append(out, strings.Join(words[i:i+n], ""))
		i += n - 1
	}
	return out
}

func allLatin(words []string) bool {
	for _, w := range words {
		if !isLatin(w) {
			return false
		}
	}
	return true
}

// contentWords splits normalised text into words and drops fillers.
func (a *Analyzer) contentWords(text string) []string {
	var out []string
	for _, chunk := range strings.FieldsFunc(text, isSeparator) {
		for _, run := range scriptRuns(chunk) {
			if isLatin(run) {
				if len(run) > 1 { // a lone letter or digit matches everywhere
					out = append(out, run)
				}
				continue
			}
			for _, w := range a.segment(run) {
				if !fillers[w] && strings.ContainsFunc(w, isWordRune) { // not a lone combining mark
					out = append(out, w)
				}
			}
		}
	}
	return out
}

// segment splits a run of Chinese text by forward maximum matching over
// the dictionary and the fillers. Characters no word covers are kept
// together as one word, less any filler characters at its ends.
func (a *Analyzer) segment(run string) []string {
	rs := []rune(run)
	var out []string
	unknown := -1
	flush := func(end int) {
		if unknown >= 0 {
			if w := trimFillerRunes(string(rs[unknown:end])); w != "" {
				out = append(out, w)
			}
			unknown = -1
		}
	}
	for i := 0; i < len(rs); {
		n := a.longestWord(rs[i:])
		if n == 0 {
			if unknown < 0 {
				unknown = i
			}
			i++
			continue
		}
		flush(i)
		out = append(out, string(rs[i:i+n]))
		i += n
	}
	flush(len(rs))
	return out
}

// longestWord returns the length of the longest dictionary word or filler
// at the start of rs, or 0.
func (a *Analyzer) longestWord(rs []rune) int {
	for n := min(len(rs), max(a.maxWord, maxFillerRunes)); n >= 2; n-- {
		w := string(rs[:n])
		if a.words[w] || fillers[w] {
			return n
		}
	}
	return 0
}

// trimFillerRunes drops filler characters (我, 的, 吗 …) at the ends of a word.
func trimFillerRunes(w string) string {
	return strings.TrimFunc(w, func(r rune) bool { return fillerRunes[r] })
}

// scriptRuns splits s into runs of Latin letters and digits and runs of
// everything else (Chinese).
func scriptRuns(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if i > start && isLatinRune(r) != isLatinRune([]rune(s[start:])[0]) {
			out = append(out, s[start:i])
			start = i
		}
	}
	return append(out, s[start:])
}

func isLatinRune(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func isLatin(s string) bool {
	for _, r := range s {
		if !isLatinRune(r) {
			return false
		}
	}
	return s != ""
}

// isSeparator reports whether r splits words: spaces, punctuation,
// symbols and emoji (with their variation selectors, which are marks).
func isSeparator(r rune) bool {
	return !isWordRune(r) && (!unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Variation_Selector, r))
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Fold folds full-width forms to ASCII and lower-cases: queries are
// analysed folded, and indexes fold the text they match them against.
func Fold(s string) string {
	return strings.ToLower(width.Fold.String(s))
}
