package demo_test

import (
	"strings"
	"testing"

	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/ticketing"
)

func TestDepartments_AreWellFormedAndParentsComeFirst(t *testing.T) {
	depts := demo.Departments()
	if len(depts) < 50 || len(depts) > 70 {
		t.Errorf("%d departments, want 50-70", len(depts))
	}
	regions := map[string]bool{}
	for _, d := range demo.Districts() {
		regions[d.Name] = true
	}
	seen := map[string]bool{}
	city := 0
	for _, d := range depts {
		if _, err := d.Normalize(); err != nil {
			t.Errorf("department %s: %v", d.Code, err)
		}
		if seen[d.Code] {
			t.Errorf("department %s appears twice", d.Code)
		}
		if d.Parent != "" && !seen[d.Parent] {
			t.Errorf("department %s comes before its parent %s", d.Code, d.Parent)
		}
		if d.Region != "" && !regions[d.Region] {
			t.Errorf("department %s is in unknown region %s", d.Code, d.Region)
		}
		if d.Parent != "" && d.Region == "" {
			t.Errorf("district unit %s has no region", d.Code)
		}
		if d.Parent == "" && d.Region == "" {
			city++
		}
		seen[d.Code] = true
	}
	if city < 22 {
		t.Errorf("%d city-level departments, want at least 22", city)
	}
	for _, code := range []string{"rsj", "zjj", "scjgj", "sthjj", "cgj", "jtysj", "wjw", "jyj", "gaj-hz", "mzj",
		"ybj", "gjj", "swjt", "gdj", "rqgs", "cgj-th"} {
		if !seen[code] {
			t.Errorf("department %s is missing", code)
		}
	}
}

func TestCatalogue_ValidatesAndHasTwoLevels(t *testing.T) {
	c := demo.Catalogue()
	if err := c.Validate(knownDepartment()); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Categories); n < 12 || n > 16 {
		t.Errorf("%d top categories, want 12-16", n)
	}
	for _, top := range c.Categories {
		if len(top.Children) < 3 || len(top.Children) > 8 {
			t.Errorf("category %s has %d subcategories, want 3-8", top.Code, len(top.Children))
		}
		for _, sub := range append([]ticketing.Category{top}, top.Children...) {
			if len(sub.Departments) == 0 {
				t.Errorf("category %s names no department", sub.Code)
			}
			for _, d := range sub.Departments {
				if dept := department(d); dept.Parent != "" || dept.Region != "" {
					t.Errorf("category %s names %s, which is not a city-level department", sub.Code, d)
				}
			}
		}
	}
}

func TestTemplates_CoverEveryKindWithKnownCategories(t *testing.T) {
	c := demo.Catalogue()
	perKind := map[ticketing.Kind]int{}
	titles := map[string]bool{}
	for _, tpl := range demo.Templates() {
		perKind[tpl.Kind]++
		if titles[tpl.Title] {
			t.Errorf("title %q appears twice", tpl.Title)
		}
		titles[tpl.Title] = true
		if tpl.Content == "" || tpl.Reply == "" {
			t.Errorf("template %q lacks content or reply", tpl.Title)
		}
		if _, err := ticketing.ParseUrgency(string(tpl.Urgency)); err != nil {
			t.Errorf("template %q: %v", tpl.Title, err)
		}
		if !strings.Contains(tpl.Category, "-") {
			t.Errorf("template %q uses top category %s, want a subcategory", tpl.Title, tpl.Category)
		}
		for _, d := range demo.Districts() {
			if s, err := c.Suggest(tpl.Category, d.Name, demo.Departments()); err != nil || len(s) == 0 {
				t.Errorf("template %q: no department for %s in %s: %v", tpl.Title, tpl.Category, d.Name, err)
			}
		}
		title, content := tpl.Fill(demo.NewResidents(1).Next())
		if strings.Contains(title+content, "{") {
			t.Errorf("template %q keeps a placeholder: %s", tpl.Title, content)
		}
	}
	for _, k := range ticketing.Kinds {
		if perKind[k] < 8 {
			t.Errorf("%d templates of kind %s, want at least 8", perKind[k], k)
		}
	}
}

func TestResidents_AreValidAndDeterministic(t *testing.T) {
	a, b := demo.NewResidents(7), demo.NewResidents(7)
	landlines, ids := 0, 0
	for range 500 {
		r := a.Next()
		if r != b.Next() {
			t.Fatal("the same seed gave different residents")
		}
		c, err := r.Citizen.Normalize()
		if err != nil {
			t.Fatalf("resident %+v: %v", r.Citizen, err)
		}
		if c != r.Citizen {
			t.Errorf("resident %+v is not in canonical form: %+v", r.Citizen, c)
		}
		if strings.HasPrefix(c.Phone, "020-") {
			landlines++
		}
		if c.IDNumber != "" {
			ids++
		}
		if c.Name == "" || !strings.HasPrefix(c.Address, r.Place) || !strings.HasPrefix(r.Place, r.Region) {
			t.Errorf("resident %+v has no name or an address outside its place %s", c, r.Place)
		}
	}
	if landlines == 0 || ids == 0 || landlines > 150 || ids > 300 {
		t.Errorf("%d landlines and %d ID numbers in 500 residents, want some of each", landlines, ids)
	}
}

func TestIDCheckChar_MatchesGB11643(t *testing.T) {
	for _, id := range []string{"11010519491231002X", "440106198507151230", "440113200111290465"} {
		if got := demo.IDCheckChar(id[:17]); got != id[17] {
			t.Errorf("IDCheckChar(%s) = %c, want %c", id[:17], got, id[17])
		}
		if _, err := ticketing.NormalizeIDNumber(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestAccounts_OnePerDepartment(t *testing.T) {
	depts := demo.Departments()
	accounts := demo.Accounts(depts)
	if len(accounts) != 7+len(depts) {
		t.Errorf("%d accounts, want %d", len(accounts), 7+len(depts))
	}
	for _, a := range accounts {
		a.Password = "long enough"
		if err := a.Validate(); err != nil {
			t.Errorf("account %s: %v", a.Username, err)
		}
	}
}

func knownDepartment() func(string) bool {
	known := map[string]bool{}
	for _, d := range demo.Departments() {
		known[d.Code] = true
	}
	return func(code string) bool { return known[code] }
}

func department(code string) ticketing.Department {
	for _, d := range demo.Departments() {
		if d.Code == code {
			return d
		}
	}
	return ticketing.Department{}
}
