package knowledge

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/open12345/hotline/errs"
)

// analyze runs q through a with the default limit and fails the test on error.
func analyze(t *testing.T, a *Analyzer, q string) Plan {
	t.Helper()
	p, err := a.Analyze(Query{Text: q})
	if err != nil {
		t.Fatalf("Analyze(%q): %v", q, err)
	}
	return p
}

// words returns the first alternative of every term: the words as typed
// (or, for pinyin, the Chinese words they became).
func words(p Plan) []string {
	var out []string
	for _, t := range p.Terms {
		out = append(out, t.Alternatives[0])
	}
	return out
}

func TestAnalyzer_ColloquialQuestionsKeepContentWords(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"怎么办营业执照", []string{"营业执照"}},
		{"营业执照吗", []string{"营业执照"}},
		{"孩子怎么上户口", []string{"孩子", "上户口"}},
		{"请问身份证丢了怎么办", []string{"身份证", "丢了"}},
		{"我想问一下孩子上学需要什么材料", []string{"孩子", "上学"}},
		{"社保卡丢了怎么补办", []string{"社保卡", "丢了", "补办"}},
		{"社保2024", []string{"社保", "2024"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			if got := words(analyze(t, a, tc.query)); !slices.Equal(got, tc.want) {
				t.Errorf("words = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAnalyzer_AddsSynonyms(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	for _, tc := range []struct {
		query string
		term  int
		want  []string
	}{
		{"孩子怎么上户口", 1, []string{"上户口", "户籍登记", "入户", "落户"}},
		{"请问身份证丢了怎么办", 0, []string{"身份证", "居民身份证"}},
		{"请问身份证丢了怎么办", 1, []string{"丢了", "遗失", "补领"}},
		{"社保", 0, []string{"社保", "社会保险"}},
		{"社会保险", 0, []string{"社会保险", "社保"}},  // the other direction
		{"社保卡", 0, []string{"社保卡", "社会保障卡"}}, // an abbreviation of its own
		{"社保卡", 0, []string{"社保卡", "社会保险卡"}}, // a word containing a synonym
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.query, tc.term), func(t *testing.T) {
			p := analyze(t, a, tc.query)
			if len(p.Terms) <= tc.term {
				t.Fatalf("terms = %v, want at least %d", p.Terms, tc.term+1)
			}
			alts := p.Terms[tc.term].Alternatives
			if alts[0] != tc.want[0] {
				t.Errorf("first alternative = %q, want the word itself %q", alts[0], tc.want[0])
			}
			for _, w := range tc.want {
				if !slices.Contains(alts, w) {
					t.Errorf("alternatives %q lack %q", alts, w)
				}
			}
		})
	}
}

func TestAnalyzer_MarksActions(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	for _, tc := range []struct {
		query   string
		actions []bool // per term
	}{
		{"社保卡补办", []bool{false, true}},
		{"驾驶证换领", []bool{false, true}},
		{"公积金提取", []bool{false, true}},
		{"gongjijin tiqu", []bool{false, true}}, // pinyin: by the Chinese word
		{"请问身份证丢了怎么办", []bool{false, true}},
		{"补办", []bool{true}},
		{"孩子怎么上户口", []bool{false, false}},
		{"社保卡怎么换", []bool{false, true}}, // a lone verb of a spoken question
		{"残疾证怎么年审", []bool{false, true}},
	} {
		p := analyze(t, a, tc.query)
		var got []bool
		for _, term := range p.Terms {
			got = append(got, term.Action)
		}
		if !slices.Equal(got, tc.actions) {
			t.Errorf("%q: terms %q are actions %v, want %v", tc.query, words(p), got, tc.actions)
		}
	}
}

func TestAnalyzer_FoldsWidthAndCase(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	for _, q := range []string{"ＳＨＥＢＡＯ", "SheBao", "ｓｈｅｂａｏ"} {
		if got := words(analyze(t, a, q)); !slices.Equal(got, []string{"社保"}) {
			t.Errorf("%q: words = %q, want [社保]", q, got)
		}
	}
}

func TestAnalyzer_Pinyin(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	for _, tc := range []struct{ query, want string }{
		{"shebao", "社保"},
		{"gjj", "公积金"},
		{"gongjijin", "公积金"},
		{"shebbao", "社保"},   // one letter too many
		{"gongjijn", "公积金"}, // one letter missing
		{"huzaho", "护照"},    // two letters swapped
	} {
		t.Run(tc.query, func(t *testing.T) {
			p := analyze(t, a, tc.query)
			if len(p.Terms) != 1 {
				t.Fatalf("terms = %v, want one", p.Terms)
			}
			alts := p.Terms[0].Alternatives
			if alts[0] != tc.want {
				t.Errorf("alternatives = %q, want %q first", alts, tc.want)
			}
			if !slices.Contains(alts, tc.query) {
				t.Errorf("alternatives = %q, want the Latin input %q kept", alts, tc.query)
			}
			if p.Text != tc.want {
				t.Errorf("Text = %q, want %q", p.Text, tc.want)
			}
		})
	}
	t.Run("FarOffStringHasNoChineseAlternative", func(t *testing.T) {
		p := analyze(t, a, "qwxzv")
		if len(p.Terms) != 1 || !slices.Equal(p.Terms[0].Alternatives, []string{"qwxzv"}) {
			t.Errorf("terms = %v, want only [qwxzv]", p.Terms)
		}
	})
	t.Run("SyllablesTypedApartAreJoined", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"she bao ka", []string{"社保卡"}},
			{"yi di jiu yi", []string{"异地就医"}},
			{"gongjijin ti qu", []string{"公积金", "提取"}},
			{"hu kou 迁移", []string{"户口", "迁移"}},
			{"qwx zv", []string{"qwx", "zv"}}, // no word: each as typed
		} {
			if got := words(analyze(t, a, tc.query)); !slices.Equal(got, tc.want) {
				t.Errorf("%q: words = %q, want %q", tc.query, got, tc.want)
			}
		}
	})
	t.Run("LoneLetterIsDropped", func(t *testing.T) {
		if p := analyze(t, a, "a 社保"); !slices.Equal(words(p), []string{"社保"}) {
			t.Errorf("words = %q, want [社保]", words(p))
		}
	})
}

func TestAnalyzer_QueriesWithoutContentHaveNoTerms(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	for _, q := range []string{"", "   ", "？！。，", "...!!!", "😀😀", "👍🏻", "❤️", "❤️👍🏻😀", "请问怎么办", "\u3000"} {
		p, err := a.Analyze(Query{Text: q})
		if err != nil {
			t.Errorf("%q: %v", q, err)
			continue
		}
		if len(p.Terms) != 0 || p.Text != "" {
			t.Errorf("%q: terms = %+v, text %q; want none", q, p.Terms, p.Text)
		}
	}
}

func TestAnalyzer_RefusesBadQueries(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	if _, err := a.Analyze(Query{Text: strings.Repeat("社", MaxQueryRunes)}); err != nil {
		t.Errorf("a query of %d runes: %v", MaxQueryRunes, err)
	}
	for name, q := range map[string]Query{
		"257Runes":       {Text: strings.Repeat("社", MaxQueryRunes+1)},
		"InvalidUTF8":    {Text: "社保\xff"},
		"Limit101":       {Text: "社保", Limit: MaxLimit + 1},
		"NegativeLimit":  {Text: "社保", Limit: -1},
		"NegativeOffset": {Text: "社保", Offset: -1},
		"Offset1001":     {Text: "社保", Offset: 1001},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := a.Analyze(q); errs.CodeOf(err) != errs.Invalid {
				t.Errorf("err = %v, want invalid", err)
			}
		})
	}
}

func TestAnalyzer_LimitsAndFilter(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	f := Filter{Department: "gaj", Statuses: []Status{StatusDraft}}
	p, err := a.Analyze(Query{Text: "社保", Filter: f, Offset: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if p.Limit != DefaultLimit || p.Offset != 1000 || p.Filter.Department != "gaj" || !slices.Equal(p.Filter.Statuses, f.Statuses) {
		t.Errorf("plan = %+v; want default limit, offset 1000 and the filter", p)
	}
	if p, _ := a.Analyze(Query{Text: "社保", Limit: MaxLimit}); p.Limit != MaxLimit {
		t.Errorf("limit = %d, want %d", p.Limit, MaxLimit)
	}
}

func TestAnalyzer_AtMostEightTermsAndSixAlternatives(t *testing.T) {
	many := []string{"证一", "证二", "证三", "证四", "证五", "证六", "证七", "证八", "证九", "证十"}
	a := NewAnalyzer(Synonyms{"证件": many, "社保": {"社会保险"}})
	p := analyze(t, a, "证件")
	if len(p.Terms) != 1 || len(p.Terms[0].Alternatives) != maxAlts {
		t.Errorf("terms = %v, want one of %d alternatives", p.Terms, maxAlts)
	}
	p = analyze(t, a, "社保 医保 公积金 户口 身份证 驾照 护照 结婚证 离婚 低保")
	want := []string{"社保", "医保", "公积金", "户口", "身份证", "驾照", "护照", "结婚证"}
	if !slices.Equal(words(p), want) {
		t.Errorf("words = %q, want the first %d: %q", words(p), maxTerms, want)
	}
	if p.Text != strings.Join(want, " ") {
		t.Errorf("Text = %q", p.Text)
	}
}

func TestAnalyzer_ExpansionIsDeterministic(t *testing.T) {
	// The word contains four synonym terms with seven replacements in all,
	// more than a term holds: which ones are kept must not vary.
	syn := Synonyms{"甲乙": {"子一"}, "丙丁": {"丑一", "丑二"}, "戊己": {"寅一", "寅二"}, "庚辛": {"卯一", "卯二"}}
	const word = "甲乙丙丁戊己庚辛"
	first := fmt.Sprint(analyze(t, NewAnalyzer(syn, word), word).Terms)
	for range 100 {
		if got := fmt.Sprint(analyze(t, NewAnalyzer(syn, word), word).Terms); got != first {
			t.Fatalf("terms vary between runs: %s and %s", first, got)
		}
	}
}

func TestAnalyzer_Vocabulary(t *testing.T) {
	if got := words(analyze(t, NewAnalyzer(DefaultSynonyms()), "人才公寓怎么申请")); !slices.Equal(got, []string{"人才", "公寓", "申请"}) {
		t.Fatalf("without the word: %q", got)
	}
	a := NewAnalyzer(DefaultSynonyms(), "人才公寓")
	if got := words(analyze(t, a, "人才公寓怎么申请")); !slices.Equal(got, []string{"人才公寓", "申请"}) {
		t.Errorf("with an extra word: %q", got)
	}
	a.AddWords("不见面审批", "x", "含,逗号")
	for q, want := range map[string]string{"rcgy": "人才公寓", "bujianmianshenpi": "不见面审批", "bjmsp": "不见面审批"} {
		if got := words(analyze(t, a, q)); !slices.Equal(got, []string{want}) {
			t.Errorf("%s: words = %q, want [%s]", q, got, want)
		}
	}
}

func TestAnalyzer_SetSynonymsReplacesTheTable(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	a.SetSynonyms(Synonyms{" 社保 ": {"五险", "五险", ""}, "ETC": {"电子不停车收费"}})
	if got := a.Synonyms(); len(got) != 2 || !slices.Equal(got["社保"], []string{"五险"}) || got["etc"] == nil {
		t.Errorf("Synonyms() = %q, want the normalised table", got)
	}
	if alts := analyze(t, a, "社保").Terms[0].Alternatives; !slices.Equal(alts, []string{"社保", "五险"}) {
		t.Errorf("社保 → %q, want [社保 五险]", alts)
	}
	if alts := analyze(t, a, "五险").Terms[0].Alternatives; !slices.Equal(alts, []string{"五险", "社保"}) {
		t.Errorf("五险 → %q, want [五险 社保]", alts)
	}
	if alts := analyze(t, a, "ETC").Terms[0].Alternatives; !slices.Contains(alts, "电子不停车收费") {
		t.Errorf("ETC → %q, want its synonym", alts)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"", "", 3, 0},
		{"abc", "abc", 3, 0},
		{"abc", "", 5, 3},
		{"", "abc", 5, 3},
		{"ab", "ba", 3, 1},          // a transposition is one edit
		{"huzhao", "huzaho", 3, 1},  // …in the middle too
		{"abcd", "badc", 5, 2},      // two transpositions
		{"shebao", "shebbao", 3, 1}, // insertion
		{"gongjijin", "gongjijn", 3, 1},
		{"shebao", "shebo", 3, 1}, // deletion
		{"shebao", "shepao", 3, 1},
		{"kitten", "sitting", 5, 3},
		{"ca", "abc", 5, 3},        // optimal string alignment: no edit of a transposed pair
		{"abcdef", "", 3, 3},       // at the limit by length alone
		{"abcdef", "uvwxyz", 2, 2}, // capped at the limit
		{"shebao", "gongjijin", 3, 3},
	} {
		if got := editDistance(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
		if got := editDistance(tc.b, tc.a, tc.limit); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d (symmetric)", tc.b, tc.a, tc.limit, got, tc.want)
		}
	}
}

func TestAnalyzer_ConcurrentUse(t *testing.T) {
	a := NewAnalyzer(DefaultSynonyms())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				q := []string{"孩子怎么上户口", "shebao", "gjj", "社保卡丢了", "人才公寓"}[(i+j)%5]
				if _, err := a.Analyze(Query{Text: q}); err != nil {
					t.Error(err)
					return
				}
				_ = a.Synonyms()
			}
		})
	}
	wg.Go(func() {
		for j := range 200 {
			a.AddWords("新词"+string(rune(0x4e00+j)), "人才公寓")
		}
	})
	wg.Go(func() {
		for j := range 100 {
			if j%2 == 0 {
				a.SetSynonyms(Synonyms{"社保": {"五险"}})
			} else {
				a.SetSynonyms(DefaultSynonyms())
			}
		}
	})
	wg.Wait()
	if got := words(analyze(t, a, "人才公寓")); !slices.Equal(got, []string{"人才公寓"}) {
		t.Errorf("words = %q after AddWords", got)
	}
}
