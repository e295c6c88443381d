package knowledge

import (
	"slices"
	"strings"

	"github.com/mozillazg/go-pinyin"
)

// pinyinIndex finds Chinese words by their pinyin (shebao → 社保) or
// pinyin initials (gjj → 公积金), tolerating small typos in full pinyin
// (shebo → 社保). It holds only the vocabulary's words, so a query in
// Latin letters becomes words that the indexes can match. Callers
// synchronise access.
type pinyinIndex struct {
	full     map[string][]string // gongjijin → 公积金
	initials map[string][]string // gjj → 公积金
	args     pinyin.Args
}

func newPinyinIndex() *pinyinIndex {
	return &pinyinIndex{full: map[string][]string{}, initials: map[string][]string{}, args: pinyin.NewArgs()}
}

// add indexes a word made only of Chinese characters.
func (x *pinyinIndex) add(word string) {
	syllables := pinyin.LazyPinyin(word, x.args)
	if len(syllables) == 0 || len(syllables) != len([]rune(word)) {
		return // not all Chinese
	}
	var initials strings.Builder
	for _, s := range syllables {
		initials.WriteByte(s[0])
	}
	addTo(x.full, strings.Join(syllables, ""), word)
	if len(syllables) >= 2 {
		addTo(x.initials, initials.String(), word)
	}
}

func addTo(m map[string][]string, key, word string) {
	if !slices.Contains(m[key], word) {
		m[key] = append(m[key], word)
	}
}

// has reports whether latin is the full pinyin or the initials of a word.
func (x *pinyinIndex) has(latin string) bool {
	return len(x.full[latin]) > 0 || len(x.initials[latin]) > 0
}

// lookup returns the words whose pinyin is latin, or whose initials are,
// or, failing both, whose full pinyin is within a small edit distance
// (one edit for 4-7 letters, two for longer).
func (x *pinyinIndex) lookup(latin string) []string {
	var out []string
	out = append(out, x.full[latin]...)
	for _, w := range x.initials[latin] {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	if len(out) > 0 || len(latin) < 4 {
		return out
	}
	allowed := 1
	if len(latin) >= 8 {
		allowed = 2
	}
	best := allowed + 1
	for key, words := range x.full {
		d := editDistance(latin, key, allowed+1)
		switch {
		case d > allowed || d > best:
		case d < best:
			best, out = d, append([]string(nil), words...)
		default:
			out = append(out, words...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance of two ASCII strings, or limit when it is at least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit)
}
