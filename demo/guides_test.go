package demo_test

import (
	"strings"
	"testing"

	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
)

func TestGuides_CompleteAndValid(t *testing.T) {
	guides, err := demo.Guides()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, d := range demo.Departments() {
		known[d.Code] = true
	}
	codes, names, depts := map[string]bool{}, map[string]bool{}, map[string]bool{}
	published := 0
	for _, g := range guides {
		g.Normalize()
		if err := g.Validate(); err != nil {
			t.Errorf("guide %s: %v", g.Code, err)
		}
		if codes[g.Code] || names[g.Name] {
			t.Errorf("guide %s %s: code or name repeated", g.Code, g.Name)
		}
		codes[g.Code], names[g.Name], depts[g.Department] = true, true, true
		if !known[g.Department] {
			t.Errorf("guide %s: unknown department %s", g.Code, g.Department)
		}
		for field, v := range map[string]string{"category": g.Category, "scope": g.Scope, "conditions": g.Conditions,
			"process": g.Process, "time_limit": g.TimeLimit, "fee": g.Fee, "location": g.Location, "hours": g.Hours,
			"phone": g.Phone, "legal_basis": g.LegalBasis, "online_url": g.OnlineURL, "review_by": g.ReviewBy} {
			if v == "" {
				t.Errorf("guide %s: %s is empty", g.Code, field)
			}
		}
		if len(g.Materials) == 0 || len(g.Keywords) == 0 {
			t.Errorf("guide %s: no materials or no keywords", g.Code)
		}
		if g.Status == knowledge.StatusPublished {
			published++
		}
	}
	if len(guides) < 200 || len(depts) < 20 || published < 180 {
		t.Errorf("%d guides (%d published) across %d departments; want ≥200 (mostly published) across ≥20",
			len(guides), published, len(depts))
	}
}

// TestGuides_LifeEvents checks that every common life event has a guide.
func TestGuides_LifeEvents(t *testing.T) {
	guides, err := demo.Guides()
	if err != nil {
		t.Fatal(err)
	}
	events := []string{"社会保险", "医疗保险", "公积金", "户", "身份证", "居住证", "护照", "营业执照", "个体工商户",
		"税", "不动产", "结婚", "生育", "新生儿", "入学", "驾驶证", "机动车", "残疾", "最低生活保障", "养老",
		"失业", "人才", "施工许可", "食品经营许可", "环境影响"}
	for _, e := range events {
		found := false
		for _, g := range guides {
			if g.Status == knowledge.StatusPublished && (strings.Contains(g.Name, e) || strings.Contains(g.Scope, e)) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no published guide for %s", e)
		}
	}
}
