package agentui_test

import (
	"strings"
	"testing"
)

// A published guide is a page citizens may open; its text is escaped,
// and drafts are as unknown as codes that never existed.
func TestGuidePage_PublishedOnlyAndEscaped(t *testing.T) {
	e := newEnv(t)
	body := guideBody("rsj-001", "失业登记<script>alert(1)</script>", "rsj", "published")
	body["scope"] = `失业人员<img src=x onerror=alert(1)>可以申请`
	body["online_url"] = "https://www.gd.gov.cn/zwfw/"
	e.createGuide("admin", body)
	e.createGuide("admin", guideBody("rsj-002", "草稿事项", "rsj", "draft"))

	r := e.call("", "GET", "/guides/rsj-001", nil)
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
		if r := e.call("", "GET", path, nil); r.Status != 404 && r.Status != 400 {
			t.Errorf("GET %s: %d, want 404", path, r.Status)
		}
	}
	if r := e.call("", "GET", "/chat", nil); r.Status != 200 || !strings.Contains(string(r.Body), "在线咨询") {
		t.Errorf("GET /chat: %d", r.Status)
	}
}
