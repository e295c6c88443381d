package agentui_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/open12345/hotline/knowledge"
)

// guideBody is a complete guide for the API.
func guideBody(code, name, dept, status string) map[string]any {
	return map[string]any{"code": code, "name": name, "department": dept, "category": "社会保障",
		"scope": "本市参保人员" + name, "conditions": "符合条件", "process": "1.申请；2.受理；3.办结",
		"materials":  []map[string]any{{"name": "居民身份证", "form": "原件", "copies": 1}},
		"time_limit": "5个工作日", "fee": "不收费", "location": "政务服务中心", "hours": "工作日9:00-17:00",
		"phone": "020-12345", "legal_basis": "《中华人民共和国社会保险法》", "online_url": "https://zwfw.example.gov.cn/g/" + code,
		"keywords": []string{"社保"}, "status": status, "review_by": "2027-06-30"}
}

func (e *env) createGuide(user string, body map[string]any) knowledge.Guide {
	e.t.Helper()
	var g knowledge.Guide
	e.must(e.call(user, "POST", "/api/v1/guides", body), 201, &g)
	return g
}

// searchCodes searches as user ("" for the public endpoint) and returns the codes found.
func (e *env) searchCodes(user, query string) []string {
	e.t.Helper()
	path := "/api/v1/guides/search?"
	if user == "" {
		path = "/api/v1/public/guides/search?"
	}
	var res knowledge.SearchResult
	e.must(e.call(user, "GET", path+query, nil), 200, &res)
	var codes []string
	for _, h := range res.Hits {
		codes = append(codes, h.Code)
	}
	slices.Sort(codes)
	return codes
}

func TestGuides_CreateUpdateDeleteKeepHistory(t *testing.T) {
	e := newEnv(t)
	body := guideBody("rsj-001", "社会保障卡申领", "rsj", "")
	delete(body, "status")
	g := e.createGuide("admin", body)
	if g.Status != knowledge.StatusDraft || g.Version != 1 || g.UpdatedBy != "admin" {
		t.Fatalf("created %+v, want a draft at version 1 by admin", g)
	}
	e.must(e.call("admin", "POST", "/api/v1/guides", body), 409, nil)

	body["status"], body["fee"], body["version"] = "published", "工本费20元", 1
	var saved knowledge.Guide
	e.must(e.call("supervisor", "PUT", "/api/v1/guides/rsj-001", body), 200, &saved)
	if saved.Version != 2 || saved.Fee != "工本费20元" || saved.UpdatedBy != "supervisor" {
		t.Fatalf("updated %+v, want version 2 with the new fee by supervisor", saved)
	}
	// An editor still on version 1 is refused rather than overwriting.
	body["fee"] = "不收费"
	if r := e.call("admin", "PUT", "/api/v1/guides/rsj-001", body); r.Status != 409 {
		t.Fatalf("stale update: %d %s, want 409", r.Status, r.Body)
	}
	e.must(e.call("admin", "DELETE", "/api/v1/guides/rsj-001", nil), 204, nil)
	e.must(e.call("admin", "GET", "/api/v1/guides/rsj-001", nil), 404, nil)

	var history struct{ Items []knowledge.Version }
	e.must(e.call("admin", "GET", "/api/v1/guides/rsj-001/versions", nil), 200, &history)
	var actions []string
	for _, v := range history.Items {
		actions = append(actions, v.Action)
	}
	if !slices.Equal(actions, []string{"deleted", "updated", "created"}) {
		t.Fatalf("history actions %v, want deleted, updated, created", actions)
	}
	if changed := history.Items[1].Changed; !slices.Contains(changed, "fee") || !slices.Contains(changed, "status") {
		t.Errorf("update changed %v, want fee and status", changed)
	}
	e.must(e.call("admin", "GET", "/api/v1/guides/nope/versions", nil), 404, nil)
}

func TestGuides_RolesDecideWhoEdits(t *testing.T) {
	e := newEnv(t)
	e.must(e.call("agent1", "POST", "/api/v1/guides", guideBody("rsj-001", "失业登记", "rsj", "published")), 403, nil)
	e.must(e.call("dept-cgj", "POST", "/api/v1/guides", guideBody("rsj-001", "失业登记", "rsj", "published")), 403, nil)
	e.createGuide("dept-rsj", guideBody("rsj-001", "失业登记", "rsj", "published"))
	e.createGuide("dept-rsj", guideBody("rsj-002", "失业金草稿", "rsj", "draft"))

	// A department may not move its guide to another department.
	e.must(e.call("dept-rsj", "PUT", "/api/v1/guides/rsj-001", guideBody("rsj-001", "失业登记", "cgj", "published")), 403, nil)
	// Other departments read published guides only.
	e.must(e.call("dept-cgj", "GET", "/api/v1/guides/rsj-001", nil), 200, nil)
	e.must(e.call("dept-cgj", "GET", "/api/v1/guides/rsj-002", nil), 404, nil)
	e.must(e.call("dept-cgj", "DELETE", "/api/v1/guides/rsj-001", nil), 403, nil)
	e.must(e.call("agent1", "GET", "/api/v1/guides/rsj-002", nil), 200, nil)

	for _, c := range []struct{ user, method, path string }{
		{"agent1", "POST", "/api/v1/guides/import"}, {"dept-rsj", "GET", "/api/v1/guides/export"},
		{"agent1", "PUT", "/api/v1/synonyms"}, {"supervisor", "POST", "/api/v1/admin/search/verify"},
	} {
		if r := e.call(c.user, c.method, c.path, map[string]any{}); r.Status != 403 {
			t.Errorf("%s %s %s: %d, want 403", c.user, c.method, c.path, r.Status)
		}
	}
	e.must(e.call("", "GET", "/api/v1/guides/rsj-001", nil), 401, nil)
}

func TestGuides_DraftAndArchivedNeverReachThePublic(t *testing.T) {
	e := newEnv(t)
	e.createGuide("admin", guideBody("rsj-pub", "护照办理", "rsj", "published"))
	e.createGuide("admin", guideBody("rsj-draft", "护照办理新版", "rsj", "draft"))
	e.createGuide("admin", guideBody("rsj-old", "护照办理旧版", "rsj", "archived"))

	for _, user := range []string{"", "agent1", "dept-cgj"} {
		if got := e.searchCodes(user, "q=护照"); !slices.Equal(got, []string{"rsj-pub"}) {
			t.Errorf("search by %q = %v, want only the published guide", user, got)
		}
	}
	// Asking for unpublished guides is for editors only, and never public.
	e.must(e.call("agent1", "GET", "/api/v1/guides/search?q=护照&status=draft", nil), 403, nil)
	if got := e.searchCodes("", "q=护照&status=draft,archived"); !slices.Equal(got, []string{"rsj-pub"}) {
		t.Errorf("public search asking for drafts = %v, want only the published guide", got)
	}
	if got := e.searchCodes("admin", "q=护照&status=draft,archived"); !slices.Equal(got, []string{"rsj-draft", "rsj-old"}) {
		t.Errorf("admin search of drafts and archived = %v", got)
	}

	// Publishing and archiving move guides in and out of the public search at once.
	e.must(e.call("admin", "PUT", "/api/v1/guides/rsj-draft", guideBody("rsj-draft", "护照办理新版", "rsj", "published")), 200, nil)
	e.must(e.call("admin", "PUT", "/api/v1/guides/rsj-pub", guideBody("rsj-pub", "护照办理", "rsj", "archived")), 200, nil)
	if got := e.searchCodes("", "q=护照"); !slices.Equal(got, []string{"rsj-draft"}) {
		t.Errorf("public search after publishing and archiving = %v, want [rsj-draft]", got)
	}
}

func TestGuides_SearchBadInputNeverFails(t *testing.T) {
	e := newEnv(t)
	e.createGuide("admin", guideBody("rsj-001", "失业登记", "rsj", "published"))
	for _, path := range []string{"/api/v1/guides/search", "/api/v1/public/guides/search"} {
		for _, q := range []string{"", "q=", "q=" + url.QueryEscape("？！。，、；……"), "q=" + url.QueryEscape("😀🎉🙏"),
			"q=" + url.QueryEscape("' OR 1=1 --"), "department=" + url.QueryEscape("x' OR '1'='1") + "&q=失业"} {
			var res knowledge.SearchResult
			e.must(e.call("agent1", "GET", path+"?"+q, nil), 200, &res)
			if len(res.Hits) != 0 || res.Hits == nil {
				t.Errorf("%s?%s = %+v, want an empty list of hits", path, q, res)
			}
		}
		for _, q := range []string{"q=" + strings.Repeat("社", 10000), "q=%E5%A4", "q=a&limit=0", "q=a&limit=abc", "q=a&offset=-1", "q=a&limit=101"} {
			r := e.call("agent1", "GET", path+"?"+q, nil)
			if r.Status != 400 || e.errorCode(r) != "invalid" {
				t.Errorf("%s?%.40s: %d %s, want 400 invalid", path, q, r.Status, r.Body)
			}
		}
	}
	var res knowledge.SearchResult
	e.must(e.call("agent1", "GET", "/api/v1/guides/search?q=失业", nil), 200, &res)
	if len(res.Hits) != 1 || !strings.Contains(res.Hits[0].Snippet, "<em>失业</em>") || res.TookMS < 0 {
		t.Errorf("search 失业 = %+v, want one hit with 失业 marked", res)
	}
}

func TestGuides_SnippetShowsMarkupAsText(t *testing.T) {
	e := newEnv(t)
	body := guideBody("rsj-001", "失业登记", "rsj", "published")
	body["scope"] = `失业人员<img src=x onerror=alert(1)>可以申请`
	e.createGuide("admin", body)
	var res knowledge.SearchResult
	e.must(e.call("", "GET", "/api/v1/public/guides/search?q=失业人员", nil), 200, &res)
	if len(res.Hits) != 1 {
		t.Fatalf("hits %+v", res.Hits)
	}
	s := res.Hits[0].Snippet
	if strings.Contains(s, "<img") || !strings.Contains(s, "&lt;img src=x onerror=alert(1)&gt;") || !strings.Contains(s, "<em>失业人员</em>") {
		t.Errorf("snippet %q must escape the markup and mark the match", s)
	}
}

func TestGuides_ImportIsAllOrNothing(t *testing.T) {
	e := newEnv(t)
	header := "code,name,department,category,scope,materials,keywords,status\n"
	good := "\ufeff" + header +
		"rsj-001,失业登记,rsj,就业,失业人员,\"居民身份证|原件|1\n劳动合同|复印件|2\",失业、登记,published\n" +
		"cgj-001,占道施工许可,cgj,城市管理,施工单位,申请书|原件|1,占道,published\n"
	var res knowledge.ImportResult
	e.must(e.callWith("admin", "POST", "/api/v1/guides/import", []byte(good), "text/csv"), 200, &res)
	if res.Created != 2 {
		t.Fatalf("import = %+v, want 2 created", res)
	}
	before := e.exported("json")

	for name, c := range map[string]struct{ body, contentType, line string }{
		"csv broken row":     {header + "rsj-002,失业金,rsj,就业,x,y|原件|many,z,published\n", "text/csv", "line 2"},
		"csv wrong fields":   {header + "rsj-002,失业金,rsj\n", "text/csv", "line 2"},
		"csv unknown dept":   {header + "rsj-002,失业金,rsj,a,b,c|原件|1,d,published\nx-1,某事项,nowhere,a,b,c|原件|1,d,published\n", "text/csv", "line 3"},
		"csv bad quote":      {header + "rsj-002,\"失业金,rsj\n", "text/csv", "line 2"},
		"json missing code":  {"[\n  {\"code\": \"rsj-002\", \"name\": \"失业金\", \"department\": \"rsj\"},\n  {\"name\": \"无编码\", \"department\": \"rsj\"}\n]", "application/json", "line 3"},
		"json not array":     {`{"code":"rsj-002"}`, "application/json", "line 1"},
		"json unknown field": {`[{"code":"rsj-002","name":"x","department":"rsj","secret":1}]`, "application/json", "line 1"},
		"json bad status":    {`[{"code":"rsj-001","name":"改名","department":"rsj","status":"live"}]`, "application/json", "line 1"},
	} {
		r := e.callWith("admin", "POST", "/api/v1/guides/import", []byte(c.body), c.contentType)
		if r.Status != 400 || e.errorCode(r) != "invalid" || !strings.Contains(string(r.Body), c.line) {
			t.Errorf("%s: %d %s, want 400 invalid naming %s", name, r.Status, r.Body, c.line)
		}
	}
	if r := e.callWith("admin", "POST", "/api/v1/guides/import", []byte(good), "text/plain"); r.Status != 400 {
		t.Errorf("import as text/plain: %d, want 400", r.Status)
	}
	if after := e.exported("json"); after != before {
		t.Fatalf("refused imports changed the guides:\nbefore %s\nafter  %s", before, after)
	}

	// Exports round-trip: importing one changes nothing.
	for _, format := range []string{"json", "csv"} {
		body, contentType := e.exported(format), "application/json"
		if format == "csv" {
			contentType = "text/csv"
			if !strings.HasPrefix(body, "\ufeff") {
				t.Errorf("the CSV export starts without a byte order mark")
			}
		}
		e.must(e.callWith("supervisor", "POST", "/api/v1/guides/import", []byte(body), contentType), 200, &res)
		if res != (knowledge.ImportResult{Unchanged: 2}) {
			t.Errorf("importing the %s export = %+v, want 2 unchanged", format, res)
		}
	}
	var g knowledge.Guide
	e.must(e.call("admin", "GET", "/api/v1/guides/rsj-001", nil), 200, &g)
	if len(g.Materials) != 2 || g.Materials[1] != (knowledge.Material{Name: "劳动合同", Form: "复印件", Copies: 2}) ||
		!slices.Equal(g.Keywords, []string{"失业", "登记"}) || g.Version != 1 {
		t.Errorf("imported guide %+v", g)
	}
}

func (e *env) exported(format string) string {
	e.t.Helper()
	r := e.call("admin", "GET", "/api/v1/guides/export?format="+format, nil)
	if r.Status != 200 {
		e.t.Fatalf("export %s: %d %s", format, r.Status, r.Body)
	}
	return string(r.Body)
}

func TestGuides_SynonymsFindGuidesByOtherNames(t *testing.T) {
	e := newEnv(t)
	e.createGuide("admin", guideBody("rsj-001", "普通护照签发", "rsj", "published"))
	var syn knowledge.Synonyms
	e.must(e.call("agent1", "GET", "/api/v1/synonyms", nil), 200, &syn)
	if !slices.Contains(syn["社保"], "社会保险") {
		t.Fatalf("default synonyms %v lack 社保 → 社会保险", syn["社保"])
	}
	if got := e.searchCodes("agent1", "q=出国证件"); len(got) != 0 {
		t.Fatalf("before the synonym: %v", got)
	}
	e.must(e.call("supervisor", "PUT", "/api/v1/synonyms", map[string][]string{"出国证件": {"护照"}}), 200, nil)
	if got := e.searchCodes("agent1", "q=出国证件"); !slices.Equal(got, []string{"rsj-001"}) {
		t.Errorf("after the synonym: %v, want [rsj-001]", got)
	}
	for _, bad := range []any{map[string][]string{"空": {}}, map[string][]string{"a b": {"c"}}, []string{"x"}} {
		if r := e.call("supervisor", "PUT", "/api/v1/synonyms", bad); r.Status != 400 {
			t.Errorf("PUT synonyms %v: %d, want 400", bad, r.Status)
		}
	}
}

func TestGuides_NeedsReviewList(t *testing.T) {
	e := newEnv(t)
	due := guideBody("rsj-001", "失业登记", "rsj", "published")
	due["review_by"] = "2026-09-01"
	e.createGuide("admin", due)
	e.createGuide("admin", guideBody("rsj-002", "就业登记", "rsj", "published")) // due 2027
	overdueDraft := guideBody("cgj-001", "占道许可", "cgj", "draft")
	overdueDraft["review_by"] = "2026-01-01"
	e.createGuide("admin", overdueDraft)
	var list struct{ Items []knowledge.Guide }
	e.must(e.call("supervisor", "GET", "/api/v1/guides/review", nil), 200, &list)
	if len(list.Items) != 1 || list.Items[0].Code != "rsj-001" {
		t.Errorf("needs review: %+v, want only rsj-001", list.Items)
	}
	e.must(e.call("dept-cgj", "GET", "/api/v1/guides/review", nil), 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("cgj's review list shows %+v", list.Items)
	}
}

func TestGuides_ConsultationClosedWithTheGuideUsed(t *testing.T) {
	e := newEnv(t)
	e.createGuide("admin", guideBody("rsj-001", "失业登记", "rsj", "published"))
	e.createGuide("admin", guideBody("rsj-002", "失业金草稿", "rsj", "draft"))
	tk := e.newTicket("consultation", nil)
	for _, code := range []string{"rsj-002", "nope", strings.Repeat("x", 65)} {
		r := e.act("agent1", tk.ID, "close_directly", map[string]any{"reply": "请携带身份证办理", "guide_code": code})
		if r.Status != 400 {
			t.Errorf("close with guide %q: %d %s, want 400", code, r.Status, r.Body)
		}
	}
	if got := e.get("agent1", tk.ID); got.Status != "accepted" {
		t.Fatalf("refused closes left the ticket %s", got.Status)
	}
	r := e.act("agent1", tk.ID, "close_directly", map[string]any{"reply": "请携带身份证办理", "guide_code": "rsj-001"})
	var closed struct {
		Status    string
		GuideCode string `json:"guide_code"`
	}
	e.must(r, 200, &closed)
	if closed.Status != "closed" || closed.GuideCode != "rsj-001" {
		t.Errorf("closed ticket %+v, want closed with guide rsj-001", closed)
	}
	evs := e.events(tk.ID)
	last, err := json.Marshal(evs[len(evs)-1])
	if err != nil || !strings.Contains(string(last), "rsj-001") {
		t.Errorf("the close event %s does not name the guide", last)
	}
}

func TestGuides_PublicSearchIsRateLimited(t *testing.T) {
	e := newEnv(t)
	for i := range citizenBurst {
		if r := e.call("", "GET", "/api/v1/public/guides/search?q=社保", nil); r.Status != 200 {
			t.Fatalf("request %d: %d", i+1, r.Status)
		}
	}
	r := e.call("", "GET", "/api/v1/public/guides/search?q=社保", nil)
	if r.Status != 429 || e.errorCode(r) != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Errorf("request %d: %d %s (Retry-After %q), want 429 with Retry-After", citizenBurst+1, r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// Staff search is not limited this way.
	e.must(e.call("agent1", "GET", "/api/v1/guides/search?q=社保", nil), 200, nil)
}

func TestGuides_VerifyReportsIndexAgreesWithDatabase(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		e.createGuide("admin", guideBody(fmt.Sprintf("rsj-%03d", i), fmt.Sprintf("事项%d", i), "rsj", "published"))
	}
	var rep map[string]knowledge.VerifyReport
	e.must(e.call("admin", "POST", "/api/v1/admin/search/verify", nil), 200, &rep)
	r := rep["embedded"]
	if r.Database.Count != 3 || r.Database != r.Index || r.Repaired != 0 {
		t.Errorf("verify = %+v, want 3 guides in agreement", rep)
	}
}
