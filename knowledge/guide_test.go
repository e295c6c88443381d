package knowledge

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
)

// validGuide returns a guide that passes Validate.
func validGuide() Guide {
	return Guide{
		Code: "GA-SFZ.001", Name: "居民身份证补领", Department: "gaj", Category: "户籍证件",
		Scope:      "本市户籍居民身份证遗失的。",
		Conditions: "本人到场。\n\t可代办的除外。\r\n",
		Materials:  []Material{{Name: "户口簿", Form: "原件", Copies: 1}, {Name: "照片", Copies: 2}},
		Process:    "1. 提交申请\n2. 采集指纹", TimeLimit: "20个工作日", Fee: "20元", Location: "户政窗口",
		Hours: "工作日 9:00-17:00", Phone: "12345", LegalBasis: "《居民身份证法》",
		OnlineURL: "https://zwfw.example.gov.cn/sfz?x=1", Keywords: []string{"身份证", "补办"},
		Status: StatusPublished, ReviewBy: "2027-06-30",
	}
}

func TestGuide_Normalize(t *testing.T) {
	g := Guide{
		Code: " A1 ", Name: " 名称\n", Department: "\tgaj ", OnlineURL: " https://x.cn ", ReviewBy: " 2027-01-01 ",
		Process: "\r\n1. 申请\r\n2. 领取\r\n", Scope: "甲\r乙\n丙",
		Materials: []Material{{Name: " 户口簿 ", Form: " 原件 "}, {Name: "照片", Copies: 3}},
		Keywords:  []string{" 社保 ", "", "社保", "  ", "医保"},
	}
	g.Normalize()
	if g.Code != "A1" || g.Name != "名称" || g.Department != "gaj" || g.OnlineURL != "https://x.cn" || g.ReviewBy != "2027-01-01" {
		t.Errorf("text not trimmed: %+v", g)
	}
	if g.Process != "1. 申请\n2. 领取" || g.Scope != "甲\r乙\n丙" {
		t.Errorf("line ends: process %q, scope %q; want CRLF as LF", g.Process, g.Scope)
	}
	if g.Status != StatusDraft {
		t.Errorf("status = %q, want draft by default", g.Status)
	}
	if want := []Material{{Name: "户口簿", Form: "原件", Copies: 1}, {Name: "照片", Copies: 3}}; !slices.Equal(g.Materials, want) {
		t.Errorf("materials = %+v, want %+v", g.Materials, want)
	}
	if want := []string{"社保", "医保"}; !slices.Equal(g.Keywords, want) {
		t.Errorf("keywords = %q, want %q", g.Keywords, want)
	}
	if err := g.Validate(); err != nil {
		t.Errorf("normalised guide: %v", err)
	}
	archived := Guide{Status: StatusArchived}
	archived.Normalize()
	if archived.Status != StatusArchived {
		t.Errorf("status = %q, want archived kept", archived.Status)
	}
}

func TestGuide_Validate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("字", n) }
	materials := func(n int) []Material {
		ms := make([]Material, n)
		for i := range ms {
			ms[i] = Material{Name: fmt.Sprint("材料", i), Copies: 1}
		}
		return ms
	}
	keywords := func(n int) []string {
		ks := make([]string, n)
		for i := range ks {
			ks[i] = fmt.Sprint("词", i)
		}
		return ks
	}
	for _, tc := range []struct {
		name   string
		edit   func(g *Guide)
		ok     bool
		reason string // a part of the message naming the rule
	}{
		{"Valid", func(g *Guide) {}, true, ""},
		{"Code64", func(g *Guide) { g.Code = "A" + strings.Repeat("b", 63) }, true, ""},
		{"CodePunctuation", func(g *Guide) { g.Code = "a.b_c-9" }, true, ""},
		{"CodeMissing", func(g *Guide) { g.Code = "" }, false, "code is required"},
		{"Code65", func(g *Guide) { g.Code = "A" + strings.Repeat("b", 64) }, false, "code"},
		{"CodeLeadingDash", func(g *Guide) { g.Code = "-A1" }, false, "code"},
		{"CodeSpace", func(g *Guide) { g.Code = "A 1" }, false, "code"},
		{"CodeChinese", func(g *Guide) { g.Code = "事项1" }, false, "code"},
		{"CodeTrailingNewline", func(g *Guide) { g.Code = "A1\n" }, false, "code"},
		{"CodeSlash", func(g *Guide) { g.Code = "A/1" }, false, "code"},
		{"NameMissing", func(g *Guide) { g.Name = "" }, false, "name is required"},
		{"DepartmentMissing", func(g *Guide) { g.Department = "" }, false, "department is required"},
		{"StatusUnknown", func(g *Guide) { g.Status = "pending" }, false, "status"},
		{"StatusEmpty", func(g *Guide) { g.Status = "" }, false, "status"},
		{"StatusDraft", func(g *Guide) { g.Status = StatusDraft }, true, ""},
		{"Name200", func(g *Guide) { g.Name = long(MaxNameRunes) }, true, ""},
		{"Name201", func(g *Guide) { g.Name = long(MaxNameRunes + 1) }, false, "name is 201 characters"},
		{"Department65", func(g *Guide) { g.Department = strings.Repeat("d", 65) }, false, "department"},
		{"Category51", func(g *Guide) { g.Category = long(MaxCategoryRunes + 1) }, false, "category"},
		{"ScopeAtLimit", func(g *Guide) { g.Scope = long(MaxTextRunes) }, true, ""},
		{"ScopeTooLong", func(g *Guide) { g.Scope = long(MaxTextRunes + 1) }, false, "scope"},
		{"ConditionsTooLong", func(g *Guide) { g.Conditions = long(MaxTextRunes + 1) }, false, "conditions"},
		{"ProcessTooLong", func(g *Guide) { g.Process = long(MaxTextRunes + 1) }, false, "process"},
		{"LegalBasisTooLong", func(g *Guide) { g.LegalBasis = long(MaxTextRunes + 1) }, false, "legal_basis"},
		{"TimeLimitTooLong", func(g *Guide) { g.TimeLimit = long(MaxShortRunes + 1) }, false, "time_limit"},
		{"FeeTooLong", func(g *Guide) { g.Fee = long(MaxShortRunes + 1) }, false, "fee"},
		{"LocationTooLong", func(g *Guide) { g.Location = long(MaxShortRunes + 1) }, false, "location"},
		{"HoursTooLong", func(g *Guide) { g.Hours = long(MaxShortRunes + 1) }, false, "hours"},
		{"PhoneTooLong", func(g *Guide) { g.Phone = long(MaxShortRunes + 1) }, false, "phone"},
		{"URLTooLong", func(g *Guide) { g.OnlineURL = "https://x.cn/" + strings.Repeat("a", 2000) }, false, "online_url"},
		{"NameNUL", func(g *Guide) { g.Name = "名\x00称" }, false, "name contains a control character"},
		{"ScopeEscape", func(g *Guide) { g.Scope = "\x1b[31m红" }, false, "scope contains a control character"},
		{"ScopeDEL", func(g *Guide) { g.Scope = "a\x7fb" }, false, "control character"},
		{"ScopeC1", func(g *Guide) { g.Scope = "a\u0085b" }, false, "control character"},
		{"ProcessInvalidUTF8", func(g *Guide) { g.Process = "步骤\xff" }, false, "process is not valid UTF-8"},
		{"LineBreaksAndTabs", func(g *Guide) { g.Process = "一\r\n二\n\t三" }, true, ""},
		{"NoMaterials", func(g *Guide) { g.Materials = nil }, true, ""},
		{"Materials50", func(g *Guide) { g.Materials = materials(MaxMaterials) }, true, ""},
		{"Materials51", func(g *Guide) { g.Materials = materials(MaxMaterials + 1) }, false, "at most 50 materials"},
		{"MaterialNameMissing", func(g *Guide) { g.Materials[1].Name = "" }, false, "materials[1].name is required"},
		{"MaterialNamePipe", func(g *Guide) { g.Materials[0].Name = "户口|簿" }, false, "materials[0] must not contain '|'"},
		{"MaterialFormPipe", func(g *Guide) { g.Materials[0].Form = "原件|复印件" }, false, "'|'"},
		{"MaterialNameNewline", func(g *Guide) { g.Materials[0].Name = "户口\n簿" }, false, "line breaks"},
		{"MaterialFormCR", func(g *Guide) { g.Materials[0].Form = "原件\r" }, false, "line breaks"},
		{"MaterialNameTooLong", func(g *Guide) { g.Materials[0].Name = long(MaxNameRunes + 1) }, false, "materials[0].name"},
		{"MaterialForm20", func(g *Guide) { g.Materials[0].Form = long(20) }, true, ""},
		{"MaterialForm21", func(g *Guide) { g.Materials[0].Form = long(21) }, false, "materials[0].form"},
		{"MaterialNameControl", func(g *Guide) { g.Materials[0].Name = "户口\x07簿" }, false, "control character"},
		{"Copies1", func(g *Guide) { g.Materials[0].Copies = 1 }, true, ""},
		{"Copies99", func(g *Guide) { g.Materials[0].Copies = 99 }, true, ""},
		{"Copies0", func(g *Guide) { g.Materials[0].Copies = 0 }, false, "materials[0].copies must be 1-99"},
		{"Copies100", func(g *Guide) { g.Materials[1].Copies = 100 }, false, "materials[1].copies must be 1-99"},
		{"CopiesNegative", func(g *Guide) { g.Materials[0].Copies = -1 }, false, "copies"},
		{"Keywords30", func(g *Guide) { g.Keywords = keywords(MaxKeywords) }, true, ""},
		{"Keywords31", func(g *Guide) { g.Keywords = keywords(MaxKeywords + 1) }, false, "at most 30 keywords"},
		{"Keyword30Runes", func(g *Guide) { g.Keywords = []string{long(MaxKeywordRunes)} }, true, ""},
		{"Keyword31Runes", func(g *Guide) { g.Keywords = []string{long(MaxKeywordRunes + 1)} }, false, "keywords[0]"},
		{"KeywordSpace", func(g *Guide) { g.Keywords = []string{"社会 保险"} }, true, ""},
		{"KeywordComma", func(g *Guide) { g.Keywords = []string{"社保", "社保,医保"} }, false, "keywords[1] must not contain separators"},
		{"KeywordFullWidthComma", func(g *Guide) { g.Keywords = []string{"社保，医保"} }, false, "separators"},
		{"KeywordEnumerationComma", func(g *Guide) { g.Keywords = []string{"社保、医保"} }, false, "separators"},
		{"KeywordSemicolon", func(g *Guide) { g.Keywords = []string{"社保;医保"} }, false, "separators"},
		{"KeywordFullWidthSemicolon", func(g *Guide) { g.Keywords = []string{"社保；医保"} }, false, "separators"},
		{"KeywordPipe", func(g *Guide) { g.Keywords = []string{"社保|医保"} }, false, "separators"},
		{"KeywordNewline", func(g *Guide) { g.Keywords = []string{"社保\n医保"} }, false, "separators"},
		{"URLEmpty", func(g *Guide) { g.OnlineURL = "" }, true, ""},
		{"URLHTTP", func(g *Guide) { g.OnlineURL = "http://example.com/a" }, true, ""},
		{"URLUpperCaseScheme", func(g *Guide) { g.OnlineURL = "HTTPS://EXAMPLE.COM" }, true, ""},
		{"URLJavaScript", func(g *Guide) { g.OnlineURL = "javascript:alert(1)" }, false, "online_url must be an http or https address"},
		{"URLJavaScriptSlashes", func(g *Guide) { g.OnlineURL = "javascript://example.com/%0Aalert(1)" }, false, "online_url"},
		{"URLData", func(g *Guide) { g.OnlineURL = "data:text/html,<script>alert(1)</script>" }, false, "online_url"},
		{"URLFTP", func(g *Guide) { g.OnlineURL = "ftp://example.com/" }, false, "online_url"},
		{"URLNoHost", func(g *Guide) { g.OnlineURL = "https://" }, false, "online_url"},
		{"URLNoScheme", func(g *Guide) { g.OnlineURL = "//example.com/a" }, false, "online_url"},
		{"URLRelative", func(g *Guide) { g.OnlineURL = "www.example.com" }, false, "online_url"},
		{"URLUnparsable", func(g *Guide) { g.OnlineURL = "https://exa mple.com/%zz" }, false, "online_url"},
		{"ReviewByEmpty", func(g *Guide) { g.ReviewBy = "" }, true, ""},
		{"ReviewByLeapDay", func(g *Guide) { g.ReviewBy = "2028-02-29" }, true, ""},
		{"ReviewByNoLeapDay", func(g *Guide) { g.ReviewBy = "2027-02-29" }, false, "review_by"},
		{"ReviewByShortMonth", func(g *Guide) { g.ReviewBy = "2027-6-30" }, false, "review_by"},
		{"ReviewByDayFirst", func(g *Guide) { g.ReviewBy = "30/06/2027" }, false, "review_by"},
		{"ReviewByWithTime", func(g *Guide) { g.ReviewBy = "2027-06-30T00:00:00Z" }, false, "review_by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := validGuide()
			tc.edit(&g)
			err := g.Validate()
			switch {
			case tc.ok && err != nil:
				t.Errorf("Validate: %v", err)
			case !tc.ok && errs.CodeOf(err) != errs.Invalid:
				t.Errorf("Validate = %v, want invalid", err)
			case !tc.ok && !strings.Contains(errs.Message(err), tc.reason):
				t.Errorf("message %q does not say %q", errs.Message(err), tc.reason)
			}
		})
	}
}

func TestValidateCode_ClipsLongCodes(t *testing.T) {
	err := ValidateCode(strings.Repeat("x", 500) + "!")
	if errs.CodeOf(err) != errs.Invalid || len(errs.Message(err)) > 200 {
		t.Errorf("ValidateCode = %v, want a short invalid error", err)
	}
}

func TestGuide_Changed(t *testing.T) {
	old := validGuide()
	same := validGuide()
	same.Version, same.UpdatedAt, same.UpdatedBy = 7, time.Now(), "someone"
	if got := same.Changed(&old); got != nil {
		t.Errorf("Changed = %q, want nothing for a guide differing only in version and author", got)
	}
	empty, nilLists := Guide{Keywords: []string{}, Materials: []Material{}}, Guide{}
	if got := empty.Changed(&nilLists); got != nil {
		t.Errorf("Changed = %q; empty and nil lists are the same", got)
	}
	// Every content field is reported by its JSON name, alone.
	skip := []string{"code", "version", "updated_at", "updated_by"}
	typ := reflect.TypeFor[Guide]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if slices.Contains(skip, name) {
			continue
		}
		g := validGuide()
		f := reflect.ValueOf(&g).Elem().Field(i)
		switch v := f.Addr().Interface().(type) {
		case *string:
			*v += "改"
		case *Status:
			*v = StatusArchived
		case *[]Material:
			(*v)[0].Copies++
		case *[]string:
			*v = append(*v, "新词")
		default:
			t.Fatalf("field %s of type %s: teach this test to change it", name, f.Type())
		}
		if got := g.Changed(&old); !slices.Equal(got, []string{name}) {
			t.Errorf("changing %s: Changed = %q", name, got)
		}
	}
	g := validGuide()
	g.Keywords = []string{"补办", "身份证"} // order counts
	g.Name, g.ReviewBy = "新名称", ""
	if got, want := g.Changed(&old), []string{"name", "keywords", "review_by"}; !slices.Equal(got, want) {
		t.Errorf("Changed = %q, want %q", got, want)
	}
}

func TestGuide_MaterialsText(t *testing.T) {
	g := validGuide()
	if got, want := g.MaterialsText(), "户口簿（原件）×1\n照片×2"; got != want {
		t.Errorf("MaterialsText = %q, want %q", got, want)
	}
	if got := (&Guide{}).MaterialsText(); got != "" {
		t.Errorf("MaterialsText of no materials = %q", got)
	}
}

func TestFingerprintOf(t *testing.T) {
	codes := []string{"A1", "B2", "C3", "D4", "E5", "F6", "G7", "H8"}
	forward, backward := map[string]int{}, map[string]int{}
	for i, c := range codes {
		forward[c] = i + 1
	}
	for i := len(codes) - 1; i >= 0; i-- {
		backward[codes[i]] = i + 1
	}
	fp := FingerprintOf(forward)
	if fp.Count != len(codes) || len(fp.Checksum) != 64 {
		t.Errorf("fingerprint = %+v", fp)
	}
	for range 20 {
		if got := FingerprintOf(backward); got != fp {
			t.Fatalf("fingerprint depends on order: %+v and %+v", fp, got)
		}
	}
	backward["C3"]++
	if got := FingerprintOf(backward); got.Checksum == fp.Checksum || got.Count != fp.Count {
		t.Errorf("a changed version kept the checksum: %+v", got)
	}
	swapped := map[string]int{"A1": 2, "B2": 1}
	if FingerprintOf(swapped) == FingerprintOf(map[string]int{"A1": 1, "B2": 2}) {
		t.Errorf("swapped versions have the same fingerprint")
	}
	if got := FingerprintOf(nil); got.Count != 0 || got != FingerprintOf(map[string]int{}) {
		t.Errorf("empty fingerprint = %+v", got)
	}
}

func TestSynonyms_Normalize(t *testing.T) {
	got := Synonyms{
		" SheBao ": {"社会保险", " 社会保险 ", "", "shebao", "SHEBAO", "五险"},
		"shebao":   {"社保"},
		"  ":       {"空"},
		"医保":       {"医保", " "},
	}.Normalize()
	want := Synonyms{"shebao": {"社会保险", "五险", "社保"}, "医保": nil}
	if len(got) != len(want) {
		t.Fatalf("Normalize = %q, want %q", got, want)
	}
	for k, vs := range want {
		// the two spellings of shebao merge in map order
		if g := got[k]; len(g) != len(vs) || !slices.Equal(slices.Sorted(slices.Values(g)), slices.Sorted(slices.Values(vs))) {
			t.Errorf("Normalize[%q] = %q, want %q", k, g, vs)
		}
	}
	if err := got.Validate(); errs.CodeOf(err) != errs.Invalid || !strings.Contains(errs.Message(err), "no alternatives") {
		t.Errorf("Validate of an entry left empty = %v", err)
	}
}

func TestSynonyms_Validate(t *testing.T) {
	tooMany := Synonyms{}
	for i := range MaxSynonymEntries + 1 {
		tooMany[fmt.Sprint("词", i)] = []string{"同"}
	}
	alts := make([]string, MaxSynonymAlternatives+1)
	for i := range alts {
		alts[i] = fmt.Sprint("同", i)
	}
	for _, tc := range []struct {
		name   string
		s      Synonyms
		reason string
	}{
		{"Default", DefaultSynonyms(), ""},
		{"Empty", Synonyms{}, ""},
		{"Latin", Synonyms{"etc": {"电子不停车收费"}}, ""},
		{"AtTheLimits", Synonyms{strings.Repeat("词", MaxSynonymRunes): alts[:MaxSynonymAlternatives]}, ""},
		{"TooManyEntries", tooMany, "at most 5000"},
		{"NoAlternatives", Synonyms{"社保": {}}, "no alternatives"},
		{"TooManyAlternatives", Synonyms{"社保": alts}, "more than 20"},
		{"TermTooLong", Synonyms{"社保": {strings.Repeat("词", MaxSynonymRunes+1)}}, "at most 30"},
		{"KeyTooLong", Synonyms{strings.Repeat("词", MaxSynonymRunes+1): {"社保"}}, "at most 30"},
		{"InvalidUTF8", Synonyms{"社保": {"\xff"}}, "valid text"},
		{"Space", Synonyms{"社保": {"社会 保险"}}, "punctuation or spaces"},
		{"Comma", Synonyms{"社保,医保": {"五险"}}, "punctuation"},
		{"Emoji", Synonyms{"社保": {"社保😀"}}, "punctuation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			if tc.reason == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if errs.CodeOf(err) != errs.Invalid || !strings.Contains(errs.Message(err), tc.reason) {
				t.Errorf("Validate = %v, want invalid saying %q", err, tc.reason)
			}
		})
	}
}

func TestSynonyms_Groups(t *testing.T) {
	g := Synonyms{"上户口": {"户籍登记", "落户"}, "开店": {"营业执照"}, "营业执照": {"设立登记"}}.groups()
	for term, want := range map[string][]string{
		"上户口":  {"户籍登记", "落户"},
		"户籍登记": {"上户口", "落户"}, // alternatives of one entry are equivalent to each other
		"落户":   {"上户口", "户籍登记"},
		"开店":   {"营业执照"},
		"营业执照": {"开店", "设立登记"}, // a term in two entries joins both
		"设立登记": {"营业执照"},
	} {
		if got := slices.Sorted(slices.Values(g[term])); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("groups[%s] = %q, want %q", term, g[term], want)
		}
	}
	if len(g) != 6 {
		t.Errorf("groups has %d terms, want 6: %q", len(g), g)
	}
}
