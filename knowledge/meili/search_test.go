package meili

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

func TestSearch(t *testing.T) {
	t.Run("SendsQueryFilterAndPage", testSearchSendsQueryFilterAndPage)
	t.Run("SearchesPublishedGuidesByDefault", testSearchSearchesPublishedGuidesByDefault)
	t.Run("MapsHitsToGuides", testSearchMapsHitsToGuides)
	t.Run("EmptyPlanAsksNothing", testSearchEmptyPlanAsksNothing)
	t.Run("MeilisearchRefusalIsInternal", testSearchMeilisearchRefusalIsInternal)
}

func testSearchSendsQueryFilterAndPage(t *testing.T) {
	ctx := context.Background()
	f, ix, _ := openExisting(t, Config{})
	p := knowledge.Plan{
		Terms: []knowledge.Term{{Alternatives: []string{"社保", "社会保险"}}, {Alternatives: []string{"卡"}}},
		Text:  "社保 卡",
		Filter: knowledge.Filter{Department: `市"人社"局\二处`, Category: "社会保障",
			Statuses: []knowledge.Status{knowledge.StatusPublished, knowledge.StatusDraft}},
		Limit: 5, Offset: 10,
	}
	if _, _, err := ix.Search(ctx, p); err != nil {
		t.Fatal(err)
	}
	reqs := f.requestsTo("POST /indexes/guides/search")
	if len(reqs) != 1 || reqs[0].Auth != "Bearer "+testKey {
		t.Fatalf("search requests %+v", reqs)
	}
	got := body[map[string]any](t, reqs[0])
	want := map[string]any{
		"q":                "社保 卡",
		"filter":           `status IN ["published", "draft"] AND department = "市\"人社\"局\\二处" AND category = "社会保障"`,
		"limit":            5.0,
		"offset":           10.0,
		"matchingStrategy": "last",
		"showRankingScore": true,
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	var attrs []string
	for _, a := range got["attributesToRetrieve"].([]any) {
		attrs = append(attrs, a.(string))
	}
	if !reflect.DeepEqual(attrs, retrieved) {
		t.Errorf("attributesToRetrieve = %q", attrs)
	}
}

func testSearchSearchesPublishedGuidesByDefault(t *testing.T) {
	ctx := context.Background()
	f, ix, _ := openExisting(t, Config{})
	if _, _, err := ix.Search(ctx, planFor("社保")); err != nil {
		t.Fatal(err)
	}
	got := body[map[string]any](t, f.requestsTo("POST /indexes/guides/search")[0])
	if got["filter"] != `status IN ["published"]` || got["limit"] != 10.0 {
		t.Errorf("filter %v, limit %v", got["filter"], got["limit"])
	}
}

func testSearchMapsHitsToGuides(t *testing.T) {
	ctx := context.Background()
	_, ix, _ := openExisting(t, Config{})
	a := testGuide("G-1", "社会保障卡申领")
	a.Keywords, a.Conditions, a.Process, a.LegalBasis = []string{"社保卡"}, "参保人员", "受理、制卡", "《社会保险法》"
	a.TimeLimit, a.Fee, a.Location, a.Hours, a.Version = "即时办结", "免费", "社保大厅", "工作日", 3
	a.Materials = []knowledge.Material{{Name: "居民身份证", Copies: 1}}
	b := testGuide("G-2", "社会保障卡补领")
	if err := ix.Upsert(ctx, []knowledge.Guide{a, b}); err != nil {
		t.Fatal(err)
	}
	hits, total, err := ix.Search(ctx, planFor("社保卡"))
	if err != nil {
		t.Fatal(err)
	}
	wantA := a
	wantA.Materials = nil // kept in Meilisearch as text only
	if total != 2 || len(hits) != 2 {
		t.Fatalf("%d hits of %d, want 2 of 2", len(hits), total)
	}
	if !reflect.DeepEqual(hits[0].Guide, wantA) || hits[0].Score != 0.9 {
		t.Errorf("hit 0 = %+v\nwant guide %+v with score 0.9", hits[0], wantA)
	}
	if hits[1].Guide.Code != "G-2" || hits[1].Score != 0.8 {
		t.Errorf("hit 1 = %+v", hits[1])
	}
	p := planFor("社保卡")
	p.Limit, p.Offset = 1, 1
	hits, total, err = ix.Search(ctx, p)
	if err != nil || total != 2 || len(hits) != 1 || hits[0].Guide.Code != "G-2" {
		t.Errorf("second page: %+v of %d, %v", hits, total, err)
	}
}

func testSearchEmptyPlanAsksNothing(t *testing.T) {
	ctx := context.Background()
	f, ix, before := openExisting(t, Config{})
	hits, total, err := ix.Search(ctx, knowledge.Plan{Limit: 10})
	if err != nil || len(hits) != 0 || total != 0 {
		t.Errorf("Search = %v, %d, %v; want nothing", hits, total, err)
	}
	if n := len(f.recorded()); n != before {
		t.Errorf("%d requests for an empty plan", n-before)
	}
}

func testSearchMeilisearchRefusalIsInternal(t *testing.T) {
	ctx := context.Background()
	f, ix, _ := openExisting(t, Config{})
	f.set(func(f *fakeMeili) { delete(f.indexes, "guides") })
	_, _, err := ix.Search(ctx, planFor("社保"))
	if errs.CodeOf(err) != errs.Internal || !strings.Contains(err.Error(), "Index `guides` not found.") {
		t.Errorf("err = %v, want internal with Meilisearch's message", err)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"市人社局":        `"市人社局"`,
		`say "hi"`:    `"say \"hi\""`,
		`a\b`:         `"a\\b"`,
		`end\`:        `"end\\"`,
		`\"`:          `"\\\""`,
		"":            `""`,
		"x AND y = 1": `"x AND y = 1"`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
