package agentui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	agentui "github.com/open12345/hotline/agent-ui"
)

// Made-up methods and paths are counted under one label value each, so
// unauthenticated requests cannot grow /metrics (3,000 random methods grew
// it from 115 KB to 6.9 MB before).
func TestMetrics_UnknownMethodsAndPathsShareOneSeries(t *testing.T) {
	e := newEnv(t)
	before := len(e.call("", "GET", "/metrics", nil).Body)
	for i := range 300 {
		method := fmt.Sprintf("X%059d", i)
		req, err := http.NewRequest(method, e.srv.URL+fmt.Sprintf("/api/v1/made-up/%d", i), nil)
		if err != nil {
			t.Fatal(err)
		}
		e.do(req)
		e.call("", "GET", fmt.Sprintf("/nowhere/%d", i), nil)
	}
	r := e.call("", "GET", "/metrics", nil)
	body := string(r.Body)
	if strings.Contains(body, "X000") {
		t.Fatal("a made-up method became a label value")
	}
	if !strings.Contains(body, `method="other"`) {
		t.Fatal(`made-up methods are not counted as method="other"`)
	}
	if grown := len(r.Body) - before; grown > 20_000 {
		t.Fatalf("600 junk requests grew /metrics by %d bytes", grown)
	}
	if !strings.Contains(body, `hotline_tickets{status="accepted"}`) || strings.Contains(body, `hotline_tickets{status="closed"}`) {
		t.Fatal("hotline_tickets should count the open statuses only")
	}
}

func TestMetrics_TokenWhenConfigured(t *testing.T) {
	e := newEnvWith(t, func(d *agentui.Deps) { d.MetricsToken = "s3cret-metrics-token" })
	for _, auth := range []string{"", "Bearer wrong", "Bearer s3cret-metrics-token-x", "s3cret-metrics-token"} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if r := e.do(req); r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("Authorization %q: status %d", auth, r.Status)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret-metrics-token")
	if r := e.do(req); r.Status != 200 || !strings.Contains(string(r.Body), "hotline_http_requests_total") {
		t.Fatalf("with the token: %d", r.Status)
	}
}
