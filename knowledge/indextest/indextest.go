// Package indextest is the contract every knowledge.Index passes: the
// embedded index always, Meilisearch when a server is configured.
package indextest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/open12345/hotline/knowledge"
)

// Run runs the contract suite; newIndex returns an empty index, closed
// by the suite.
func Run(t *testing.T, newIndex func(t *testing.T) knowledge.Index) {
	tests := []struct {
		name string
		run  func(t *testing.T, ix knowledge.Index)
	}{
		{"FindsByNameKeywordsAndBody", findsByField},
		{"SubstringInsideLongerWord", substrings},
		{"FieldWeightsAndPhraseFirst", ranking},
		{"FiltersByStatusDepartmentCategory", filtersApply},
		{"UpsertReplacesAndDeleteRemoves", upsertAndDelete},
		{"VersionsAndBatches", versionsAndBatches},
		{"LimitOffsetTotal", paging},
		{"EmptyPlanFindsNothing", emptyPlan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := newIndex(t)
			t.Cleanup(func() {
				if err := ix.Close(); err != nil {
					t.Errorf("close index: %v", err)
				}
			})
			tc.run(t, ix)
		})
	}
}

var analyzer = knowledge.NewAnalyzer(knowledge.DefaultSynonyms())

// guide returns a published guide with the given texts.
func guide(code, name, scope string, keywords ...string) knowledge.Guide {
	return knowledge.Guide{Code: code, Name: name, Department: "rsj", Category: "社会保障", Scope: scope,
		Conditions: "申请人符合条件", Process: "1.申请；2.受理；3.办结", Keywords: keywords,
		Materials: []knowledge.Material{{Name: "居民身份证", Form: "原件", Copies: 1}},
		Status:    knowledge.StatusPublished, Version: 1}
}

func upsert(t *testing.T, ix knowledge.Index, guides ...knowledge.Guide) {
	t.Helper()
	if err := ix.Upsert(context.Background(), guides); err != nil {
		t.Fatalf("upsert: %v", err)
	}
}

// search returns the codes found for text with filter f.
func search(t *testing.T, ix knowledge.Index, text string, f knowledge.Filter) ([]string, int) {
	t.Helper()
	p, err := analyzer.Analyze(knowledge.Query{Text: text, Filter: f, Limit: 20})
	if err != nil {
		t.Fatalf("analyze %q: %v", text, err)
	}
	hits, total, err := ix.Search(context.Background(), p)
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	var codes []string
	for _, h := range hits {
		if h.Guide.Code == "" || h.Guide.Name == "" {
			t.Errorf("search %q: hit without code or name: %+v", text, h.Guide)
		}
		codes = append(codes, h.Guide.Code)
	}
	return codes, total
}

func findsByField(t *testing.T, ix knowledge.Index) {
	upsert(t, ix,
		guide("a-1", "失业保险金申领", "失业人员领取失业保险金"),
		guide("a-2", "居民身份证换领", "有效期满换领新证", "换身份证"),
		guide("a-3", "职工参保登记", "用人单位为职工办理社会保险登记"))
	for text, want := range map[string]string{"失业保险金": "a-1", "换身份证": "a-2", "用人单位": "a-3"} {
		if got, _ := search(t, ix, text, knowledge.Filter{}); len(got) == 0 || got[0] != want {
			t.Errorf("search %q = %v, want %s first", text, got, want)
		}
	}
}

func substrings(t *testing.T, ix knowledge.Index) {
	upsert(t, ix,
		guide("b-1", "中国农业发展银行贷款咨询", "政策性贷款"),
		guide("b-2", "软件备案", "流程安装简单"),
		guide("b-3", "无关事项", "与查询无关的内容"))
	for text, want := range map[string]string{"农业": "b-1", "简单": "b-2", "发展银行": "b-1"} {
		if got, _ := search(t, ix, text, knowledge.Filter{}); !slices.Contains(got, want) {
			t.Errorf("search %q = %v, want %s among the hits", text, got, want)
		}
	}
}

func ranking(t *testing.T, ix knowledge.Index) {
	upsert(t, ix,
		guide("c-body", "某证明开具", "本事项也可用于住房公积金提取的证明材料"),
		guide("c-name", "住房公积金提取", "租房提取"),
		guide("c-kw", "租赁备案", "租赁合同备案", "住房公积金提取"),
		guide("c-scatter", "住房补贴", "公积金与提取条件另行规定"))
	got, _ := search(t, ix, "住房公积金提取", knowledge.Filter{})
	if len(got) < 3 || got[0] != "c-name" || got[1] != "c-kw" {
		t.Fatalf("search 住房公积金提取 = %v, want c-name, then c-kw (name > keywords)", got)
	}
	if ib, is := slices.Index(got, "c-body"), slices.Index(got, "c-scatter"); ib < 0 || (is >= 0 && is < ib) {
		t.Errorf("search 住房公积金提取 = %v: the exact phrase in the body must rank above scattered pieces", got)
	}
}

func filtersApply(t *testing.T, ix knowledge.Index) {
	draft := guide("d-draft", "护照办理草稿", "护照")
	draft.Status = knowledge.StatusDraft
	archived := guide("d-old", "护照办理旧版", "护照")
	archived.Status = knowledge.StatusArchived
	other := guide("d-other", "护照咨询", "护照")
	other.Department, other.Category = "gaj-crj", "出入境"
	upsert(t, ix, guide("d-pub", "护照办理", "护照"), draft, archived, other)
	cases := []struct {
		f    knowledge.Filter
		want []string
	}{
		{knowledge.Filter{}, []string{"d-other", "d-pub"}},
		{knowledge.Filter{Statuses: []knowledge.Status{knowledge.StatusDraft}}, []string{"d-draft"}},
		{knowledge.Filter{Statuses: knowledge.Statuses}, []string{"d-draft", "d-old", "d-other", "d-pub"}},
		{knowledge.Filter{Department: "gaj-crj"}, []string{"d-other"}},
		{knowledge.Filter{Category: "社会保障"}, []string{"d-pub"}},
		{knowledge.Filter{Department: "nobody"}, nil},
	}
	for _, c := range cases {
		got, total := search(t, ix, "护照", c.f)
		slices.Sort(got)
		if !slices.Equal(got, c.want) || total != len(c.want) {
			t.Errorf("search 护照 with %+v = %v (total %d), want %v", c.f, got, total, c.want)
		}
	}
}

func upsertAndDelete(t *testing.T, ix knowledge.Index) {
	g := guide("e-1", "婚姻登记", "结婚登记")
	upsert(t, ix, g)
	g.Name, g.Scope, g.Version = "收养登记", "收养子女", 2
	upsert(t, ix, g)
	if got, _ := search(t, ix, "婚姻", knowledge.Filter{}); len(got) != 0 {
		t.Errorf("after replacing, search 婚姻 = %v, want nothing", got)
	}
	if got, _ := search(t, ix, "收养", knowledge.Filter{}); !slices.Equal(got, []string{"e-1"}) {
		t.Errorf("after replacing, search 收养 = %v, want [e-1]", got)
	}
	if err := ix.Delete(context.Background(), []string{"e-1", "never-there"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if got, _ := search(t, ix, "收养", knowledge.Filter{}); len(got) != 0 {
		t.Errorf("after deleting, search 收养 = %v, want nothing", got)
	}
}

func versionsAndBatches(t *testing.T, ix knowledge.Index) {
	var guides []knowledge.Guide
	want := map[string]int{}
	for i := range 1200 {
		g := guide(fmt.Sprintf("f-%04d", i), fmt.Sprintf("批量事项%d", i), "批量导入的事项")
		g.Version = 1 + i%3
		guides = append(guides, g)
		want[g.Code] = g.Version
	}
	upsert(t, ix, guides...)
	got, err := ix.Versions(context.Background())
	if err != nil {
		t.Fatalf("versions: %v", err)
	}
	if knowledge.FingerprintOf(got) != knowledge.FingerprintOf(want) {
		t.Errorf("versions: %d guides, fingerprint differs from the %d upserted", len(got), len(want))
	}
}

func paging(t *testing.T, ix knowledge.Index) {
	var guides []knowledge.Guide
	for i := range 25 {
		guides = append(guides, guide(fmt.Sprintf("g-%02d", i), fmt.Sprintf("居住证签注%d", i), "居住证"))
	}
	upsert(t, ix, guides...)
	p, err := analyzer.Analyze(knowledge.Query{Text: "居住证", Limit: 10, Offset: 20})
	if err != nil {
		t.Fatal(err)
	}
	hits, total, err := ix.Search(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 5 || total != 25 {
		t.Errorf("offset 20 limit 10 of 25: %d hits, total %d; want 5 and 25", len(hits), total)
	}
}

func emptyPlan(t *testing.T, ix knowledge.Index) {
	upsert(t, ix, guide("h-1", "低保申请", "最低生活保障"))
	for _, text := range []string{"", "？？！！", "😀🎉", "   "} {
		if got, total := search(t, ix, text, knowledge.Filter{}); len(got) != 0 || total != 0 {
			t.Errorf("search %q = %v (total %d), want nothing", text, got, total)
		}
	}
}
