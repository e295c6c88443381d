package knowledge

import (
	"html"
	"slices"
	"strings"
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

// needles are the strings to mark: every Chinese alternative of every
// term and, for words of three or more characters, their two-character
// pieces (a guide may say 营业 执照 apart).
func (p Plan) needles() []string {
	var out []string
	for _, t := range p.Terms {
		for _, alt := range t.Alternatives {
			out = append(out, alt)
			rs := []rune(alt)
			for i := 0; len(rs) > 2 && i+2 <= len(rs); i++ {
				out = append(out, string(rs[i:i+2]))
			}
		}
	}
	// Longest first, so that 住房公积金 is marked whole, not as 公积金.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}

// firstMatch returns the rune offset in text of the earliest occurrence of
// the longest needle that occurs, or -1.
func firstMatch(text string, needles []string) int {
	lower := strings.ToLower(text)
	for _, n := range needles {
		if i := strings.Index(lower, n); i >= 0 && n != "" {
			return utf8.RuneCountInString(lower[:i])
		}
	}
	return -1
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

// highlight escapes text and wraps every needle occurrence in <em>.
func highlight(text string, needles []string) string {
	rs := []rune(text)
	lower := []rune(strings.ToLower(text))
	if len(lower) != len(rs) {
		lower = rs // case folding changed the length; match case-sensitively
	}
	marked := make([]bool, len(rs))
	for _, n := range needles {
		nr := []rune(n)
		for i := 0; len(nr) > 0 && i+len(nr) <= len(rs); i++ {
			if slices.Equal(lower[i:i+len(nr)], nr) && !slices.Contains(marked[i:i+len(nr)], true) {
				for j := range nr {
					marked[i+j] = true
				}
				i += len(nr) - 1
			}
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
