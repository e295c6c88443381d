package knowledge

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
)

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"", "孩子怎么上户口", "请问身份证丢了怎么办", "ＳＨＥＢＡＯ gjj huzaho", "❤️👍🏻", "社保\ufe0f卡",
		"e\u0301", "a1b2c3", "\xff\xfe", strings.Repeat("社", MaxQueryRunes+1), "   ,,,。。", "社保卡社会保险卡医保卡"} {
		f.Add(s)
	}
	a := NewAnalyzer(DefaultSynonyms(), "人才公寓", "异地就医备案")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := a.Analyze(Query{Text: text})
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("Analyze(%q) = %v, want invalid", text, err)
			}
			if utf8.ValidString(text) && utf8.RuneCountInString(text) <= MaxQueryRunes {
				t.Fatalf("Analyze(%q) refused a valid query: %v", text, err)
			}
			return
		}
		if len(p.Terms) > maxTerms {
			t.Fatalf("%d terms", len(p.Terms))
		}
		if !utf8.ValidString(p.Text) {
			t.Fatalf("Text %q is not valid UTF-8", p.Text)
		}
		for _, term := range p.Terms {
			if len(term.Alternatives) == 0 || len(term.Alternatives) > maxAlts {
				t.Fatalf("term with %d alternatives: %q", len(term.Alternatives), term.Alternatives)
			}
			for _, alt := range term.Alternatives {
				if alt == "" || !utf8.ValidString(alt) {
					t.Fatalf("alternative %q of %q", alt, text)
				}
				if !strings.ContainsFunc(alt, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
					t.Fatalf("alternative %q of %q has no letter or digit", alt, text)
				}
			}
		}
	})
}

func FuzzSnippet(f *testing.F) {
	f.Add("办理<img src=x onerror=alert(1)>社保", "社保", "<")
	f.Add("<em>社保</em> & </em>", "em", "/em>")
	f.Add(strings.Repeat("甲 \r\n", 100)+"住房公积金", "公积金", "住房公积金")
	f.Add("SheBao İstanbul ǅ", "shebao", "i̇")
	f.Add("\xff<\xfe>", "\xff", "")
	a := NewAnalyzer(DefaultSynonyms())
	f.Fuzz(func(t *testing.T, scope, needle, query string) {
		// No query word is longer than a query; longer ones only slow marking.
		needle, query = needle[:min(len(needle), 4*MaxQueryRunes)], query[:min(len(query), 4*MaxQueryRunes)]
		g := &Guide{Scope: scope, Process: needle + scope, Name: query, Keywords: []string{needle}}
		plans := []Plan{{Terms: []Term{{Alternatives: []string{needle, query}}}}}
		if p, err := a.Analyze(Query{Text: query}); err == nil {
			plans = append(plans, p)
		}
		for _, p := range plans {
			s := Snippet(g, p)
			if strings.Count(s, "<em>") != strings.Count(s, "</em>") {
				t.Fatalf("unbalanced marks in %q", s)
			}
			if rest := strings.NewReplacer("<em>", "", "</em>", "").Replace(s); strings.ContainsAny(rest, "<>") {
				t.Fatalf("Snippet = %q has markup besides <em>", s)
			}
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("code,name,department,materials,keywords\nA1,甲,gaj,\"户口簿|原件|1\n照片||2\",社保、医保\n"))
	f.Add([]byte("code,name\nA\"1,x\n"))
	f.Add([]byte("code,name\n\"A1,x\n"))
	f.Add([]byte("code\nA1,extra\n"))
	f.Add([]byte("code,materials\nA1,x|y|z\nA2,x|y|1|2\n"))
	f.Add([]byte("\ufeffcode\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		guides, lines, err := parseCSV(data)
		checkParsed(t, guides, lines, err)
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`[{"code": "A1", "name": "甲", "materials": [{"name": "户口簿", "copies": 2}]}]`))
	f.Add([]byte("[\n{\"code\": 1}\n]"))
	f.Add([]byte(`[{"code": "A1"} {"code": "A2"}]`))
	f.Add([]byte(`[null, {}, {"x": 1}]`))
	f.Add([]byte(`{"code": "A1"}`))
	f.Add([]byte(`[`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		guides, lines, err := parseJSON(data)
		checkParsed(t, guides, lines, err)
	})
}

// checkParsed checks what a parser returned: a coded error, or a line for
// every guide, in order.
func checkParsed(t *testing.T, guides []Guide, lines []int, err error) {
	t.Helper()
	if err != nil {
		if c := errs.CodeOf(err); c != errs.Invalid && c != errs.TooLarge {
			t.Fatalf("err = %v, want invalid or too_large", err)
		}
		return
	}
	if len(guides) != len(lines) {
		t.Fatalf("%d guides, %d lines", len(guides), len(lines))
	}
	for i, l := range lines {
		if l < 1 || (i > 0 && l < lines[i-1]) {
			t.Fatalf("lines %v out of order", lines)
		}
	}
}
