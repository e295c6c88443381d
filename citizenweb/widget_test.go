package citizenweb_test

import (
	"strings"
	"testing"

	"github.com/open12345/hotline/citizenweb"
)

// The chat page may be framed by the portals of HOTLINE_CHAT_ORIGINS and
// by nobody else; the other citizens' pages by nobody at all. The widget
// script is served to any site that loads it, as script.
func TestWidget_FramingAndScript(t *testing.T) {
	e := newEnv(t, func(d *citizenweb.Deps) {
		d.ChatOrigins = []string{"https://www.gz.gov.cn", "https://evil.example;script-src *"}
	})
	r := e.call("GET", "/chat", nil)
	csp := r.Header.Get("Content-Security-Policy")
	if r.Status != 200 || !strings.Contains(csp, "frame-ancestors 'self' https://www.gz.gov.cn;") {
		t.Errorf("GET /chat: %d, CSP %q", r.Status, csp)
	}
	if strings.Contains(csp, "evil") || strings.Count(csp, "script-src") > 0 {
		t.Errorf("an origin that is not one reached the CSP: %q", csp)
	}
	if xfo := r.Header.Get("X-Frame-Options"); xfo != "" {
		t.Errorf("the chat page says X-Frame-Options %q, which would keep every portal out", xfo)
	}
	for _, page := range []string{"/submit", "/progress"} {
		r := e.call("GET", page, nil)
		if !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || r.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s may be framed: CSP %q, XFO %q", page, r.Header.Get("Content-Security-Policy"), r.Header.Get("X-Frame-Options"))
		}
	}
	w := e.call("GET", "/chat/widget.js", nil)
	if w.Status != 200 || !strings.HasPrefix(w.Header.Get("Content-Type"), "text/javascript") ||
		w.Header.Get("Cross-Origin-Resource-Policy") != "cross-origin" || !strings.Contains(string(w.Body), "attachShadow") {
		t.Errorf("GET /chat/widget.js: %d %q CORP %q", w.Status, w.Header.Get("Content-Type"), w.Header.Get("Cross-Origin-Resource-Policy"))
	}
	if r := e.call("POST", "/chat/widget.js", nil); r.Status != 405 {
		t.Errorf("POST /chat/widget.js: %d", r.Status)
	}
}
