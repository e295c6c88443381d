package citizenweb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/open12345/hotline/knowledge"
)

// A published guide is a page citizens may open; its text is escaped,
// and drafts are as unknown as codes that never existed.
func TestGuidePage_PublishedOnlyAndEscaped(t *testing.T) {
	e := newEnv(t)
	g := guide("rsj-001", "失业登记<script>alert(1)</script>", knowledge.StatusPublished)
	g.Scope = `失业人员<img src=x onerror=alert(1)>可以申请`
	g.OnlineURL = "https://www.gd.gov.cn/zwfw/"
	e.createGuide(g)
	e.createGuide(guide("rsj-002", "草稿事项", knowledge.StatusDraft))

	r := e.call("GET", "/guides/rsj-001", nil)
	page := string(r.Body)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /guides/rsj-001: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img") ||
		!strings.Contains(page, "&lt;script&gt;") || !strings.Contains(page, "https://www.gd.gov.cn/zwfw/") {
		t.Errorf("the page does not escape the guide's text or lacks its link:\n%s", page)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for _, path := range []string{"/guides/rsj-002", "/guides/nope", "/guides/..%2Fetc", "/guides/" + strings.Repeat("a", 200)} {
		if r := e.call("GET", path, nil); r.Status != 404 && r.Status != 400 {
			t.Errorf("GET %s: %d, want 404", path, r.Status)
		}
	}
	if r := e.call("GET", "/chat", nil); r.Status != 200 || !strings.Contains(string(r.Body), "在线咨询") {
		t.Errorf("GET /chat: %d", r.Status)
	}
}

// guide is a complete guide of the department rsj.
func guide(code, name string, status knowledge.Status) knowledge.Guide {
	return knowledge.Guide{Code: code, Name: name, Department: "rsj", Category: "社会保障", Scope: "本市参保人员" + name,
		Conditions: "符合条件", Process: "1.申请；2.受理；3.办结", Materials: []knowledge.Material{{Name: "居民身份证", Form: "原件", Copies: 1}},
		TimeLimit: "5个工作日", Fee: "不收费", Location: "政务服务中心", Hours: "工作日9:00-17:00", Phone: "020-12345",
		LegalBasis: "《中华人民共和国社会保险法》", OnlineURL: "https://zwfw.example.gov.cn/g/" + code, Keywords: []string{"社保"}, Status: status, ReviewBy: "2027-06-30"}
}

// createGuide saves a guide as the admin.
func (e *env) createGuide(g knowledge.Guide) {
	e.t.Helper()
	if _, err := e.guides.Create(context.Background(), e.actors["admin"], g); err != nil {
		e.t.Fatal(err)
	}
}
