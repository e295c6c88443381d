package meili

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

const testKey = "test-master-key"

// open returns an Index on the fake, failing the test on error.
func open(t *testing.T, f *fakeMeili, cfg Config) *Index {
	t.Helper()
	cfg.URL, cfg.APIKey = f.srv.URL, testKey
	ix, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := ix.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return ix
}

// openExisting returns an Index on a fake whose index exists, and the
// number of requests New made.
func openExisting(t *testing.T, cfg Config) (*fakeMeili, *Index, int) {
	t.Helper()
	f := newFake(t, testKey)
	f.set(func(f *fakeMeili) { f.indexes[cfg.withDefaults().IndexUID] = "code" })
	ix := open(t, f, cfg)
	return f, ix, len(f.recorded())
}

func testGuide(code, name string) knowledge.Guide {
	return knowledge.Guide{Code: code, Name: name, Department: "市人社局", Category: "社会保障",
		Status: knowledge.StatusPublished, Version: 1, Scope: "本市参保人员"}
}

// body decodes a recorded JSON body.
func body[T any](t *testing.T, r recorded) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("%s: body %s: %v", r.route(), r.Body, err)
	}
	return v
}

func TestNew(t *testing.T) {
	t.Run("CreatesTheIndexAndAppliesSettings", testNewCreatesTheIndexAndAppliesSettings)
	t.Run("KeepsAnExistingIndex", testNewKeepsAnExistingIndex)
	t.Run("AcceptsAnIndexAnotherNodeCreated", testNewAcceptsAnIndexAnotherNodeCreated)
	t.Run("RefusesAnIndexWithAnotherPrimaryKey", testNewRefusesAnIndexWithAnotherPrimaryKey)
	t.Run("WrongKeyIsInternalWithMeilisearchsMessage", testNewWrongKeyIsInternalWithMeilisearchsMessage)
	t.Run("RefusesABadConfig", testNewRefusesABadConfig)
}

func testNewCreatesTheIndexAndAppliesSettings(t *testing.T) {
	f := newFake(t, testKey)
	open(t, f, Config{})
	want := []string{
		"GET /indexes/guides",
		"POST /indexes", "GET /tasks/1", "GET /tasks/1",
		"PATCH /indexes/guides/settings", "GET /tasks/2", "GET /tasks/2",
	}
	if got := f.routes(); !slices.Equal(got, want) {
		t.Fatalf("requests:\n got %q\nwant %q", got, want)
	}
	for _, r := range f.recorded() {
		if r.Auth != "Bearer "+testKey {
			t.Errorf("%s: Authorization %q", r.route(), r.Auth)
		}
	}
	create := body[map[string]string](t, f.requestsTo("POST /indexes")[0])
	if create["uid"] != "guides" || create["primaryKey"] != "code" {
		t.Errorf("create index body %v", create)
	}
	checkSettings(t, f.requestsTo("PATCH /indexes/guides/settings")[0])
}

func testNewKeepsAnExistingIndex(t *testing.T) {
	f, _, _ := openExisting(t, Config{IndexUID: "guides_a"})
	want := []string{"GET /indexes/guides_a", "PATCH /indexes/guides_a/settings", "GET /tasks/1", "GET /tasks/1"}
	if got := f.routes(); !slices.Equal(got, want) {
		t.Fatalf("requests:\n got %q\nwant %q", got, want)
	}
}

func testNewAcceptsAnIndexAnotherNodeCreated(t *testing.T) {
	f := newFake(t, testKey)
	f.set(func(f *fakeMeili) {
		f.failNext = newAPIError("index_already_exists", "invalid_request", "Index `guides` already exists.")
	})
	open(t, f, Config{})
}

func testNewRefusesAnIndexWithAnotherPrimaryKey(t *testing.T) {
	f := newFake(t, testKey)
	f.set(func(f *fakeMeili) { f.indexes["guides"] = "id" })
	_, err := New(context.Background(), Config{URL: f.srv.URL, APIKey: testKey}, nil)
	if errs.CodeOf(err) != errs.Internal || !strings.Contains(err.Error(), `primary key "id"`) {
		t.Fatalf("err = %v, want internal about the primary key", err)
	}
}

func testNewWrongKeyIsInternalWithMeilisearchsMessage(t *testing.T) {
	f := newFake(t, testKey)
	_, err := New(context.Background(), Config{URL: f.srv.URL, APIKey: "wrong"}, nil)
	if errs.CodeOf(err) != errs.Internal || !strings.Contains(err.Error(), "The provided API key is invalid.") {
		t.Fatalf("err = %v, want internal with Meilisearch's message", err)
	}
}

func testNewRefusesABadConfig(t *testing.T) {
	for _, cfg := range []Config{{}, {URL: "http://127.0.0.1:1", IndexUID: "../keys"}} {
		if _, err := New(context.Background(), cfg, nil); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("New(%+v) = %v, want invalid", cfg, err)
		}
	}
}

// settingsBody is the part of a settings update the tests check.
type settingsBody struct {
	RankingRules         []string        `json:"rankingRules"`
	SearchableAttributes []string        `json:"searchableAttributes"`
	FilterableAttributes []string        `json:"filterableAttributes"`
	DisplayedAttributes  []string        `json:"displayedAttributes"`
	Synonyms             json.RawMessage `json:"synonyms"`
	TypoTolerance        struct {
		Enabled             bool `json:"enabled"`
		MinWordSizeForTypos struct {
			OneTypo  int `json:"oneTypo"`
			TwoTypos int `json:"twoTypos"`
		} `json:"minWordSizeForTypos"`
	} `json:"typoTolerance"`
}

// checkSettings checks the index settings New sends.
func checkSettings(t *testing.T, r recorded) {
	t.Helper()
	s := body[settingsBody](t, r)
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"rankingRules", s.RankingRules, []string{"words", "exactness", "typo", "proximity", "attribute", "sort"}},
		{"searchableAttributes", s.SearchableAttributes,
			[]string{"name", "keywords", "grams", "scope", "conditions", "materials", "process", "legal_basis"}},
		{"filterableAttributes", s.FilterableAttributes, []string{"department", "category", "status"}},
		{"displayedAttributes", s.DisplayedAttributes, []string{"*"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if tt := s.TypoTolerance; !tt.Enabled || tt.MinWordSizeForTypos.OneTypo != 4 || tt.MinWordSizeForTypos.TwoTypos != 8 {
		t.Errorf("typoTolerance = %+v, want enabled with 4 and 8", tt)
	}
	if s.Synonyms != nil {
		t.Errorf("settings carry synonyms %s; SetSynonyms keeps them", s.Synonyms)
	}
}

func TestSetSynonyms_WritesEachEquivalenceBothWays(t *testing.T) {
	f, ix, _ := openExisting(t, Config{})
	err := ix.SetSynonyms(context.Background(), knowledge.Synonyms{"社保": {"社会保险"}, "医保": {"医疗保险", "医疗保障"}, "补办": {"补领"}, "丢了": {"补领"}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.requestsTo("PUT /indexes/guides/settings/synonyms")
	if len(reqs) != 1 {
		t.Fatalf("%d synonym updates, want 1", len(reqs))
	}
	want := map[string][]string{
		"社保": {"社会保险"}, "社会保险": {"社保"},
		"医保": {"医疗保险", "医疗保障"}, "医疗保险": {"医保", "医疗保障"}, "医疗保障": {"医保", "医疗保险"},
		"补办": {"补领"}, "丢了": {"补领"}, "补领": {"丢了", "补办"},
	}
	if got := body[map[string][]string](t, reqs[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("synonyms\n got %v\nwant %v", got, want)
	}
	f.set(func(f *fakeMeili) {
		if !reflect.DeepEqual(f.synonyms, want) {
			t.Errorf("SetSynonyms returned before its task succeeded")
		}
	})
}

func TestUpsert(t *testing.T) {
	t.Run("SendsOneDocumentPerGuideWithGrams", testUpsertSendsOneDocumentPerGuideWithGrams)
	t.Run("SendsBatchesAndWaitsForEach", testUpsertSendsBatchesAndWaitsForEach)
	t.Run("FailedTaskSurfacesMeilisearchsMessage", testUpsertFailedTaskSurfacesMeilisearchsMessage)
	t.Run("NothingToSendAsksNothing", testUpsertNothingToSendAsksNothing)
}

func testUpsertSendsOneDocumentPerGuideWithGrams(t *testing.T) {
	f, ix, _ := openExisting(t, Config{})
	g := testGuide("G-1", "中国农业发展银行贷款")
	g.Keywords = []string{"农发行", "ADBC"}
	g.Materials = []knowledge.Material{{Name: "居民身份证", Form: "原件", Copies: 1}, {Name: "申请表", Copies: 2}}
	g.Conditions, g.Process, g.LegalBasis = "信用良好", "受理、审核", "《贷款通则》"
	g.TimeLimit, g.Fee, g.Location, g.Hours = "5个工作日", "不收费", "一号窗口", "工作日9:00-17:00"
	if err := ix.Upsert(context.Background(), []knowledge.Guide{g}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requestsTo("POST /indexes/guides/documents")
	if len(reqs) != 1 || reqs[0].Query != "primaryKey=code" {
		t.Fatalf("document requests %+v, want one with primaryKey=code", reqs)
	}
	docs := body[[]map[string]any](t, reqs[0])
	want := map[string]any{
		"code": "G-1", "name": g.Name, "department": "市人社局", "category": "社会保障", "status": "published",
		"version": 1.0, "scope": "本市参保人员", "conditions": "信用良好", "materials": "居民身份证（原件）×1\n申请表×2",
		"process": "受理、审核", "time_limit": "5个工作日", "fee": "不收费", "location": "一号窗口",
		"hours": "工作日9:00-17:00", "legal_basis": "《贷款通则》", "keywords": []any{"农发行", "ADBC"},
		"grams": "中国 国农 农业 业发 发展 展银 银行 行贷 贷款 农发 发行 ADBC 本市 市参 参保 保人 人员",
	}
	if len(docs) != 1 || !reflect.DeepEqual(docs[0], want) {
		t.Errorf("document\n got %v\nwant %v", docs, want)
	}
	checkAllTasksWaited(t, f)
}

func testUpsertSendsBatchesAndWaitsForEach(t *testing.T) {
	f, ix, _ := openExisting(t, Config{BatchSize: 1000})
	if err := ix.Upsert(context.Background(), manyGuides(2500)); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range f.requestsTo("POST /indexes/guides/documents") {
		sizes = append(sizes, len(body[[]map[string]any](t, r)))
	}
	if !slices.Equal(sizes, []int{1000, 1000, 500}) {
		t.Errorf("batch sizes %v, want 1000, 1000, 500", sizes)
	}
	checkAllTasksWaited(t, f)
	if n := f.docCount(); n != 2500 {
		t.Errorf("%d documents indexed, want 2500", n)
	}
}

func testUpsertFailedTaskSurfacesMeilisearchsMessage(t *testing.T) {
	f, ix, _ := openExisting(t, Config{})
	f.set(func(f *fakeMeili) {
		f.failNext = newAPIError("max_fields_limit_exceeded", "invalid_request", "A document cannot contain more than 65,535 fields.")
	})
	err := ix.Upsert(context.Background(), []knowledge.Guide{testGuide("G-1", "社保卡申领")})
	if errs.CodeOf(err) != errs.Internal || !strings.Contains(err.Error(), "A document cannot contain more than 65,535 fields.") {
		t.Fatalf("err = %v, want internal with Meilisearch's message", err)
	}
}

func testUpsertNothingToSendAsksNothing(t *testing.T) {
	f, ix, before := openExisting(t, Config{})
	if err := ix.Upsert(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(f.recorded()); n != before {
		t.Errorf("%d requests for nothing", n-before)
	}
}

// checkAllTasksWaited checks that every task was polled until it finished
// (the fake answers "processing" on the first poll).
func checkAllTasksWaited(t *testing.T, f *fakeMeili) {
	t.Helper()
	for uid, polls := range f.pollsOf() {
		if polls != 2 {
			t.Errorf("task %d polled %d times, want 2 (processing, then succeeded)", uid, polls)
		}
	}
}

func manyGuides(n int) []knowledge.Guide {
	out := make([]knowledge.Guide, n)
	for i := range out {
		out[i] = testGuide(fmt.Sprintf("G%05d", i), fmt.Sprintf("事项%d", i))
		out[i].Version = i%3 + 1
	}
	return out
}

func TestDelete_SendsBatchesAndWaits(t *testing.T) {
	f, ix, _ := openExisting(t, Config{BatchSize: 1000})
	ctx := context.Background()
	guides := manyGuides(2500)
	if err := ix.Upsert(ctx, guides); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, g := range guides {
		codes = append(codes, g.Code)
	}
	if err := ix.Delete(ctx, append(codes, "unknown")); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range f.requestsTo("POST /indexes/guides/documents/delete-batch") {
		sizes = append(sizes, len(body[[]string](t, r)))
	}
	if !slices.Equal(sizes, []int{1000, 1000, 501}) {
		t.Errorf("batch sizes %v, want 1000, 1000, 501", sizes)
	}
	checkAllTasksWaited(t, f)
	if n := f.docCount(); n != 0 {
		t.Errorf("%d documents left", n)
	}
}

func TestVersions_PagesThroughCodesAndVersions(t *testing.T) {
	f, ix, _ := openExisting(t, Config{})
	ctx := context.Background()
	guides := manyGuides(2500)
	if err := ix.Upsert(ctx, guides); err != nil {
		t.Fatal(err)
	}
	got, err := ix.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, g := range guides {
		want[g.Code] = g.Version
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Versions returned %d entries, want %d", len(got), len(want))
	}
	type fetch struct {
		Offset int      `json:"offset"`
		Limit  int      `json:"limit"`
		Fields []string `json:"fields"`
	}
	var pages []fetch
	for _, r := range f.requestsTo("POST /indexes/guides/documents/fetch") {
		pages = append(pages, body[fetch](t, r))
	}
	wantPages := []fetch{{0, 1000, []string{"code", "version"}}, {1000, 1000, []string{"code", "version"}},
		{2000, 1000, []string{"code", "version"}}}
	if !reflect.DeepEqual(pages, wantPages) {
		t.Errorf("fetches %+v, want %+v", pages, wantPages)
	}
}

func TestDottedCodesRoundTrip(t *testing.T) {
	// Meilisearch refuses '.' in document ids; guide codes may have one.
	_, ix, _ := openExisting(t, Config{})
	ctx := context.Background()
	guides := []knowledge.Guide{testGuide("11.0001", "社保卡申领"), testGuide("11_0001", "社保卡补领")}
	if err := ix.Upsert(ctx, guides); err != nil {
		t.Fatal(err)
	}
	versions, err := ix.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"11.0001": 1, "11_0001": 1}; !reflect.DeepEqual(versions, want) {
		t.Errorf("Versions = %v, want %v", versions, want)
	}
	hits, _, err := ix.Search(ctx, planFor("社保卡"))
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, h := range hits {
		codes = append(codes, h.Guide.Code)
	}
	if slices.Sort(codes); !slices.Equal(codes, []string{"11.0001", "11_0001"}) {
		t.Errorf("hit codes %q", codes)
	}
	if err := ix.Delete(ctx, []string{"11.0001"}); err != nil {
		t.Fatal(err)
	}
	if versions, err = ix.Versions(ctx); err != nil || len(versions) != 1 || versions["11_0001"] != 1 {
		t.Errorf("after Delete: Versions = %v, %v", versions, err)
	}
}

func planFor(words ...string) knowledge.Plan {
	p := knowledge.Plan{Text: strings.Join(words, " "), Limit: 10}
	for _, w := range words {
		p.Terms = append(p.Terms, knowledge.Term{Alternatives: []string{w}})
	}
	return p
}

func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(ix *Index) error{
		"Search": func(ix *Index) error { _, _, err := ix.Search(ctx, planFor("社保")); return err },
		"Upsert": func(ix *Index) error { return ix.Upsert(ctx, []knowledge.Guide{testGuide("G-1", "社保")}) },
		"Delete": func(ix *Index) error { return ix.Delete(ctx, []string{"G-1"}) },
		"Versions": func(ix *Index) error {
			_, err := ix.Versions(ctx)
			return err
		},
		"SetSynonyms": func(ix *Index) error { return ix.SetSynonyms(ctx, knowledge.DefaultSynonyms()) },
	}
	check := func(t *testing.T, ix *Index) {
		t.Helper()
		for name, call := range calls {
			err := call(ix)
			if errs.CodeOf(err) != errs.Unavailable || !strings.HasPrefix(errs.Message(err), "search service unavailable: ") {
				t.Errorf("%s: err = %v, want unavailable", name, err)
			}
		}
	}
	t.Run("ServerGone", func(t *testing.T) {
		f, ix, _ := openExisting(t, Config{})
		f.srv.Close()
		check(t, ix)
		if _, err := New(ctx, Config{URL: f.srv.URL}, nil); errs.CodeOf(err) != errs.Unavailable {
			t.Errorf("New: err = %v, want unavailable", err)
		}
	})
	t.Run("ServerAnswers503", func(t *testing.T) {
		f, ix, _ := openExisting(t, Config{})
		f.set(func(f *fakeMeili) { f.unavailable = true })
		check(t, ix)
	})
	t.Run("ServerTooSlow", func(t *testing.T) {
		f, ix, _ := openExisting(t, Config{Timeout: 50 * time.Millisecond})
		f.set(func(f *fakeMeili) { f.hang = true })
		check(t, ix)
	})
	t.Run("TaskNotFinishedInTime", func(t *testing.T) {
		f, ix, _ := openExisting(t, Config{TaskWait: 100 * time.Millisecond})
		f.set(func(f *fakeMeili) { f.stuck = true })
		err := ix.Upsert(ctx, []knowledge.Guide{testGuide("G-1", "社保")})
		if errs.CodeOf(err) != errs.Unavailable || !strings.Contains(err.Error(), "not finished after 100ms") {
			t.Errorf("err = %v, want unavailable", err)
		}
	})
}
