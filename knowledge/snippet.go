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
func Snippet(g *Guide, p Plan) string {
	needles := p.needles()
	fields := []string{g.Scope, g.Conditions, g.MaterialsText(), g.Process, g.TimeLimit, g.Fee,
		g.Location, g.Hours, g.LegalBasis, strings.Join(g.Keywords, "、"), g.Name}
	for _, f := range fields {
		// Collapse spaces as window does, so that the match offset holds there.
		f = strings.Join(strings.Fields(f), " ")
		if at := firstMatch(f, needles); at >= 0 {
			return highlight(window(f, at), needles)
		}
	}
	return highlight(window(g.Scope, 0), needles)
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

// window cuts SnippetRunes runes of text starting a little before at.
func window(text string, at int) string {
	rs := []rune(strings.Join(strings.Fields(text), " "))
	start := max(0, min(at-SnippetRunes/4, len(rs)-SnippetRunes))
	end := min(len(rs), start+SnippetRunes)
	out := string(rs[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(rs) {
		out += "…"
	}
	return out
}

// highlight escapes text and wraps every needle occurrence in <em>. Every
// character inside an occurrence is marked and marked neighbours share
// one <em>, so overlapping needles mark their union whatever their order;
// the spaces an occurrence skips stay unmarked (<em>营业</em> <em>执照</em>).
func highlight(text string, needles []string) string {
	rs := []rune(text)
	f := fold(text)
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
	var b strings.Builder
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && marked[j] == marked[i] {
			j++
		}
		part := html.EscapeString(string(rs[i:j]))
		if marked[i] {
			part = "<em>" + part + "</em>"
		}
		b.WriteString(part)
		i = j
	}
	return b.String()
}
