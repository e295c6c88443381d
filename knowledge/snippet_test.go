package knowledge

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// plain strips the <em> marks and undoes the escaping of a snippet.
func plain(s string) string {
	return strings.NewReplacer("<em>", "", "</em>", "", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'").Replace(s)
}

func TestSnippet_MarksTerms(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	g := &Guide{Name: "居民身份证补领", Scope: "本市户籍居民身份证遗失的，可以申请补领。"}
	got := Snippet(g, analyze(t, a, "身份证丢了怎么办"))
	want := "本市户籍<em>居民身份证遗失</em>的，可以申请<em>补领</em>。"
	if got != want {
		t.Errorf("Snippet = %q, want %q", got, want)
	}
}

func TestSnippet_LongestNeedleIsMarkedWhole(t *testing.T) {
	g := &Guide{Scope: "缴存住房公积金满六个月，可以申请公积金贷款。"}
	got := Snippet(g, Plan{Terms: []Term{{Alternatives: []string{"公积金", "住房公积金"}}}})
	want := "缴存<em>住房公积金</em>满六个月，可以申请<em>公积金</em>贷款。"
	if got != want {
		t.Errorf("Snippet = %q, want %q", got, want)
	}
}

func TestSnippet_MarksTwoCharacterPiecesOfLongWords(t *testing.T) {
	g := &Guide{Scope: "申领营业 执照须到窗口办理。"}
	got := Snippet(g, Plan{Terms: []Term{{Alternatives: []string{"营业执照"}}}})
	if want := "申领<em>营业</em> <em>执照</em>须到窗口办理。"; got != want {
		t.Errorf("Snippet = %q, want %q", got, want)
	}
}

func TestSnippet_LonePieceIsNotMarked(t *testing.T) {
	g := &Guide{Scope: "持有本市社会保障卡的人员，或参加社会保险的人员。"}
	// 社会保险卡 is found in 社会保险 (three of its four pieces), not in
	// 社会保障卡 (two).
	got := Snippet(g, Plan{Terms: []Term{{Alternatives: []string{"社保卡", "社会保险卡"}}}})
	if want := "持有本市社会保障卡的人员，或参加<em>社会保险</em>的人员。"; got != want {
		t.Errorf("Snippet = %q, want %q", got, want)
	}
	got = Snippet(g, Plan{Terms: []Term{{Alternatives: []string{"社保卡", "社会保障卡", "社会保险卡"}}}})
	if want := "持有本市<em>社会保障卡</em>的人员，或参加<em>社会保险</em>的人员。"; got != want {
		t.Errorf("Snippet = %q, want %q", got, want)
	}
	g = &Guide{Scope: "本市城乡居民基本养老保险参保人员。"}
	if got := Snippet(g, Plan{Terms: []Term{{Alternatives: []string{"社会保险卡"}}}}); strings.Contains(got, "<em>") {
		t.Errorf("Snippet = %q marks a lone piece (保险)", got)
	}
}

func TestSnippet_EscapesGuideText(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	g := &Guide{
		Name:  `<script>alert("x")</script>社保`,
		Scope: `办理<img src=x onerror=alert(1)>社保 & "卡" 'a'`,
	}
	got := Snippet(g, analyze(t, a, "社保"))
	if strings.Contains(strings.NewReplacer("<em>", "", "</em>", "").Replace(got), "<") {
		t.Fatalf("Snippet = %q has a tag other than <em>", got)
	}
	want := "办理&lt;img src=x onerror=alert(1)&gt;<em>社保</em> &amp; &#34;卡&#34; &#39;a&#39;"
	if got != want {
		t.Errorf("Snippet = %q, want %q", got, want)
	}
	// A match only in the name: the name is escaped too.
	g.Scope = ""
	if got := Snippet(g, analyze(t, a, "社保")); got != "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;<em>社保</em>" {
		t.Errorf("Snippet = %q", got)
	}
}

func TestSnippet_Window(t *testing.T) {
	p := Plan{Terms: []Term{{Alternatives: []string{"社保"}}}}
	pad := func(n int) string { return strings.Repeat("甲", n) }
	for _, tc := range []struct {
		name        string
		scope       string
		lead, trail bool
	}{
		{"ShortTextWhole", pad(10) + "社保" + pad(10), false, false},
		{"MatchNearStart", pad(5) + "社保" + pad(300), false, true},
		{"MatchInMiddle", pad(150) + "社保" + pad(150), true, true},
		{"MatchNearEnd", pad(300) + "社保" + pad(5), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Snippet(&Guide{Scope: tc.scope}, p)
			if !strings.Contains(got, "<em>社保</em>") {
				t.Errorf("Snippet = %q lacks the match", got)
			}
			text := plain(got)
			if lead := strings.HasPrefix(text, "…"); lead != tc.lead {
				t.Errorf("leading … = %v, want %v: %q", lead, tc.lead, text)
			}
			if trail := strings.HasSuffix(text, "…"); trail != tc.trail {
				t.Errorf("trailing … = %v, want %v: %q", trail, tc.trail, text)
			}
			n := utf8.RuneCountInString(strings.Trim(text, "…"))
			if want := min(SnippetRunes, utf8.RuneCountInString(tc.scope)); n != want {
				t.Errorf("window of %d runes, want %d", n, want)
			}
		})
	}
}

func TestSnippet_WhitespaceBeforeTheMatch(t *testing.T) {
	// Runs of spaces and CRLF line ends are collapsed in the snippet; the
	// match must still be inside the window.
	p := Plan{Terms: []Term{{Alternatives: []string{"社保"}}}}
	for name, scope := range map[string]string{
		"Spaces": strings.Repeat("甲", 100) + strings.Repeat(" ", 100) + "社保" + strings.Repeat("乙", 100),
		"CRLF":   strings.Repeat("第一步，提交申请。\r\n", 40) + "社保" + strings.Repeat("乙", 100),
		"Indent": strings.Repeat("\n    1. 步骤", 30) + "社保" + strings.Repeat("乙", 100),
	} {
		if got := Snippet(&Guide{Scope: scope}, p); !strings.Contains(got, "<em>社保</em>") {
			t.Errorf("%s: Snippet = %q lacks the match", name, got)
		}
	}
}

func TestSnippet_FieldOrder(t *testing.T) {
	p := Plan{Terms: []Term{{Alternatives: []string{"户口簿"}}}}
	g := &Guide{Scope: "本市居民。", Process: "提交户口簿。", Materials: []Material{{Name: "户口簿", Form: "原件", Copies: 1}}}
	if got := Snippet(g, p); got != "<em>户口簿</em>（原件）×1" {
		t.Errorf("Snippet = %q, want the materials (before the process)", got)
	}
	g.Conditions = "持有户口簿的居民"
	if got := Snippet(g, p); got != "持有<em>户口簿</em>的居民" {
		t.Errorf("Snippet = %q, want the conditions (before the materials)", got)
	}
	g = &Guide{Scope: "本市居民。", Keywords: []string{"户籍", "户口簿"}}
	if got := Snippet(g, p); got != "户籍、<em>户口簿</em>" {
		t.Errorf("Snippet = %q, want the keywords", got)
	}
}

func TestSnippet_FallsBackToTheStartOfScope(t *testing.T) {
	p := Plan{Terms: []Term{{Alternatives: []string{"护照"}}}}
	scope := "本事项适用于" + strings.Repeat("甲", 200)
	got := Snippet(&Guide{Scope: scope, Process: "无关"}, p)
	if !strings.HasPrefix(got, "本事项适用于") || strings.Contains(got, "<em>") || !strings.HasSuffix(got, "…") {
		t.Errorf("Snippet = %q, want the unmarked start of the scope", got)
	}
	if got := Snippet(&Guide{}, p); got != "" {
		t.Errorf("Snippet of an empty guide = %q", got)
	}
	if got := Snippet(&Guide{Scope: "短"}, Plan{}); got != "短" {
		t.Errorf("Snippet without terms = %q", got)
	}
}

func TestSnippet_LatinIsCaseInsensitive(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	g := &Guide{Scope: "下载 SheBao APP，或登录 ETC 服务平台"}
	if got := Snippet(g, analyze(t, a, "SHEBAO app")); got != "下载 <em>SheBao</em> <em>APP</em>，或登录 ETC 服务平台" {
		t.Errorf("Snippet = %q", got)
	}
}
