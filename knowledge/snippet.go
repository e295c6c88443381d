package knowledge

import (
	"cmp"
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SnippetRunes is the length of a snippet's window of text.
const SnippetRunes = 90

// Snippet returns a short, HTML-escaped passage of g around the first
// place a query term occurs, with the occurrences marked <em>…</em>. It
// looks in the fields a reader cares about in order (scope, conditions,
// materials, process …) and falls back to the start of the scope.
func Snippet(g *Guide, p Plan) string { return NewSnippeter(p).Snippet(g) }

// Snippeter cuts the snippets of one plan's hits, preparing what to mark once.
type Snippeter struct{ needles []string }

// NewSnippeter prepares the snippets of p.
func NewSnippeter(p Plan) Snippeter { return Snippeter{needles: p.needles()} }

// Snippet returns g's snippet (see the function Snippet).
func (s Snippeter) Snippet(g *Guide) string {
	fields := []func() string{
		func() string { return g.Scope }, func() string { return g.Conditions }, g.MaterialsText,
		func() string { return g.Process }, func() string { return g.TimeLimit }, func() string { return g.Fee },
		func() string { return g.Location }, func() string { return g.Hours }, func() string { return g.LegalBasis },
		func() string { return strings.Join(g.Keywords, "、") }, func() string { return g.Name },
	}
	for _, field := range fields {
		f := field()
		if matchedAsIs(f) && !containsAny(f, s.needles) {
			continue // the common case, without folding the text
		}
		// Collapse spaces as window does, so that the match offset holds there.
		f = strings.Join(strings.Fields(f), " ")
		if at := firstMatch(f, s.needles); at >= 0 {
			return highlight(window(f, at), s.needles)
		}
	}
	return highlight(window(strings.Join(strings.Fields(g.Scope), " "), 0), s.needles)
}

// matchedAsIs reports whether text is matched as it is: nothing in it changes
// when it is lower-cased or its spaces between Chinese characters go, so
// a needle occurs in the folded text if and only if it occurs in text.
// It errs towards false (then the text is folded).
func matchedAsIs(text string) bool {
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case 'A' <= c && c <= 'Z':
			return false
		case c == ' ' || ('\t' <= c && c <= '\r'):
			if spaceBetweenChinese(text, i) {
				return false
			}
		case 0xC3 <= c && c <= 0xD6, c == 0xE1, c == 0xE2, c == 0xEA, c >= 0xF0: // letters with case: Latin, Greek, Cyrillic …
			return false
		case c == 0xE3 && strings.HasPrefix(text[i:], "\u3000"): // ideographic space
			if spaceBetweenChinese(text, i) {
				return false
			}
		case c == 0xEF && i+2 < len(text) && text[i+1] == 0xBC && 0xA1 <= text[i+2] && text[i+2] <= 0xBA: // Ａ-Ｚ
			return false
		}
	}
	return true
}

// spaceBetweenChinese reports whether the spaces starting at byte i of
// text lie between two Chinese characters.
func spaceBetweenChinese(text string, i int) bool {
	before, _ := utf8.DecodeLastRuneInString(text[:i])
	rest := strings.TrimLeftFunc(text[i:], unicode.IsSpace)
	after, _ := utf8.DecodeRuneInString(rest)
	return unicode.Is(unicode.Han, before) && unicode.Is(unicode.Han, after)
}

func containsAny(text string, needles []string) bool {
	for _, n := range needles {
		if strings.Contains(text, n) {
			return true
		}
	}
	return false
}

// maxPartialRunes bounds the words whose partial runs are marked: a long
// run of unknown characters in a query would make too many.
const maxPartialRunes = 12

// needles are the strings to mark: every alternative of every term and,
// for words of four to maxPartialRunes characters, each run of the word
// holding most of its two-character pieces (at least three in five, as
// the index's looser match counts them): 社会保险 of 社会保险卡. A lone
// piece is not a match: 社会 of 社会保险卡 is not marked inside 社会保障卡,
// whose whole is marked when it is an alternative. Whole words come first
// and longer before shorter, so that 住房公积金 decides the window rather
// than 公积金, and any whole word rather than a run of one.
func (p Plan) needles() []string {
	var whole, runs []string
	for _, t := range p.Terms {
		for _, alt := range t.Alternatives {
			if alt == "" || !utf8.ValidString(alt) {
				continue
			}
			whole = append(whole, alt)
			rs := []rune(alt)
			if len(rs) < 4 || len(rs) > maxPartialRunes {
				continue
			}
			pieces := len(rs) - 1
			for n := len(rs) - 1; n >= max(2, (3*pieces+4)/5)+1; n-- {
				for i := 0; i+n <= len(rs); i++ {
					runs = append(runs, string(rs[i:i+n]))
				}
			}
		}
	}
	longestFirst := func(a, b string) int {
		return cmp.Or(utf8.RuneCountInString(b)-utf8.RuneCountInString(a), strings.Compare(a, b))
	}
	slices.SortFunc(whole, longestFirst)
	slices.SortFunc(runs, longestFirst)
	return append(slices.Compact(whole), slices.Compact(runs)...)
}

// firstMatch returns the rune offset in text of the earliest occurrence of
// the longest needle that occurs, or -1.
func firstMatch(text string, needles []string) int {
	f := fold(text)
	for _, n := range needles {
		if i := strings.Index(f.text, n); i >= 0 {
			return f.offset(i)
		}
	}
	return -1
}

// folded is a text as needles are matched against it: lower-cased (unless
// that changes its length), without the spaces between two Chinese
// characters, so that a guide saying 营业 执照 matches 营业执照.
type folded struct {
	text string
	at   []int // the rune offset in the original of each rune of text; nil: the same
}

func fold(text string) folded {
	if matchedAsIs(text) {
		return folded{text: text}
	}
	f := folded{text: strings.ToLower(text)}
	if utf8.RuneCountInString(f.text) != utf8.RuneCountInString(text) {
		f.text = text // case folding changed the length; match case-sensitively
	}
	if !hasSpaceInChinese(f.text) {
		return f
	}
	rs := []rune(f.text)
	var b strings.Builder
	for i, r := range rs {
		if r == ' ' && i > 0 && i+1 < len(rs) && unicode.Is(unicode.Han, rs[i-1]) && unicode.Is(unicode.Han, rs[i+1]) {
			continue
		}
		b.WriteRune(r)
		f.at = append(f.at, i)
	}
	f.text = b.String()
	return f
}

// hasSpaceInChinese reports whether s has a space between two Chinese characters.
func hasSpaceInChinese(s string) bool {
	for i := strings.IndexByte(s, ' '); i >= 0; {
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+1:])
		if unicode.Is(unicode.Han, before) && unicode.Is(unicode.Han, after) {
			return true
		}
		next := strings.IndexByte(s[i+1:], ' ')
		if next < 0 {
			return false
		}
		i += 1 + next
	}
	return false
}

// offset returns the rune offset in the original of byte i of f.text.
func (f folded) offset(i int) int { return f.original(utf8.RuneCountInString(f.text[:i])) }

// original returns the rune offset in the original of rune n of f.text.
func (f folded) original(n int) int {
	if f.at == nil {
		return n
	}
	return f.at[n]
}

// highlightAsIs is highlight for a text that folding leaves as it is:
// matches are marked by byte.
func highlightAsIs(text string, needles []string) string {
	marked := make([]bool, len(text))
	for _, n := range needles {
		for from := 0; from < len(text); {
			i := strings.Index(text[from:], n)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(n); j++ {
				marked[j] = true
			}
			_, size := utf8.DecodeRuneInString(text[from+i:])
			from += i + size
		}
	}
	return markUp(marked, func(i, j int) string { return text[i:j] })
}

// window cuts SnippetRunes runes of text (its spaces collapsed) starting
// a little before rune at.
func window(text string, at int) string {
	n := utf8.RuneCountInString(text)
	start := max(0, min(at-SnippetRunes/4, n-SnippetRunes))
	end := min(n, start+SnippetRunes)
	out := text[runeOffset(text, start):runeOffset(text, end)]
	if start > 0 {
		out = "…" + out
	}
	if end < n {
		out += "…"
	}
	return out
}

// runeOffset returns the byte offset of rune n of text.
func runeOffset(text string, n int) int {
	for i := range text {
		if n == 0 {
			return i
		}
		n--
	}
	return len(text)
}

// highlight escapes text and wraps every needle occurrence in <em>. Every
// character inside an occurrence is marked and marked neighbours share
// one <em>, so overlapping needles mark their union whatever their order;
// the spaces an occurrence skips stay unmarked (<em>营业</em> <em>执照</em>).
func highlight(text string, needles []string) string {
	f := fold(text)
	if f.at == nil && f.text == text {
		return highlightAsIs(text, needles)
	}
	rs := []rune(text)
	marked := make([]bool, len(rs))
	for _, n := range needles {
		runes := utf8.RuneCountInString(n)
		for from := 0; from < len(f.text); {
			i := strings.Index(f.text[from:], n)
			if i < 0 {
				break
			}
			k := utf8.RuneCountInString(f.text[:from+i])
			for j := k; j < k+runes; j++ {
				marked[f.original(j)] = true
			}
			_, size := utf8.DecodeRuneInString(f.text[from+i:])
			from += i + size
		}
	}
	return markUp(marked, func(i, j int) string { return string(rs[i:j]) })
}

// markUp escapes the runs of a text that marked splits it into, as text
// returns them by index, and wraps the marked runs in <em>.
func markUp(marked []bool, text func(i, j int) string) string {
	var b strings.Builder
	for i := 0; i < len(marked); {
		j := i
		for j < len(marked) && marked[j] == marked[i] {
			j++
		}
		if marked[i] {
			b.WriteString("<em>")
		}
		b.WriteString(html.EscapeString(text(i, j)))
		if marked[i] {
			b.WriteString("</em>")
		}
		i = j
	}
	return b.String()
}
