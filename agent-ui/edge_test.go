package agentui_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	agentui "github.com/open12345/hotline/agent-ui"
)

// cookieCall sends a request with agent1's session cookie instead of the
// bearer token, with the given headers.
func (e *env) cookieCall(user, method, path string, body []byte, headers map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Cookie", agentui.SessionCookie+"="+e.tokens[user])
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

// A cookie-authenticated write must come from the console's own pages and
// carry a type no cross-site form can send (before, a cookie request with
// no Content-Type created a ticket, and imports accepted text/plain).
func TestCSRF_CookieWritesNeedOwnOriginAndJSON(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"kind":"help","channel":"phone","title":"t","content":"c"}`)
	own := e.srv.URL
	before := e.count()
	for _, c := range []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"NoContentType", map[string]string{"Origin": own}, 400},
		{"TextPlain", map[string]string{"Origin": own, "Content-Type": "text/plain"}, 400},
		{"FormEncoded", map[string]string{"Origin": own, "Content-Type": "application/x-www-form-urlencoded"}, 400},
		{"ForeignOrigin", map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, 403},
		{"NullOrigin", map[string]string{"Origin": "null", "Content-Type": "application/json"}, 403},
		{"CrossSiteFetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, 403},
		{"SameSiteSubdomain", map[string]string{"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}, 403},
		{"NeitherOriginNorFetchSite", map[string]string{"Content-Type": "application/json"}, 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			r := e.cookieCall("agent1", "POST", "/api/v1/tickets", body, c.headers)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			e.errorCode(r)
		})
	}
	e.t = t
	if n := e.count() - before; n != 0 {
		t.Fatalf("refused requests created %d tickets", n)
	}
	for _, h := range []map[string]string{
		{"Origin": own, "Content-Type": "application/json; charset=utf-8"},
		{"Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"},
	} {
		e.must(e.cookieCall("agent1", "POST", "/api/v1/tickets", body, h), 201, nil)
	}
	// Imports through the cookie need a declared CSV or JSON type.
	csv := []byte("code,name\n")
	if r := e.cookieCall("admin", "POST", "/api/v1/guides/import?format=csv", csv, map[string]string{"Origin": own, "Content-Type": "text/plain"}); r.Status != 400 {
		t.Fatalf("CSV import as text/plain: %d", r.Status)
	}
	// Scripts with a bearer token are not browsers: no Origin needed.
	e.must(e.callWith("agent1", "POST", "/api/v1/tickets", body, ""), 201, nil)
	// Nobody else's page may log a browser in.
	login := []byte(`{"username":"agent1","password":"` + testPassword + `"}`)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/login", bytes.NewReader(login))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Content-Type", "application/json")
	if r := e.do(req); r.Status != 403 {
		t.Fatalf("login from a foreign page: %d", r.Status)
	}
	// Reads are not writes.
	e.must(e.cookieCall("agent1", "GET", "/api/v1/me", nil, nil), 200, nil)
}

func loginFrom(e *env, user, pass string, headers map[string]string) response {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/login", strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

// Behind a trusted proxy the client's address comes from X-Forwarded-For
// (so staff behind one proxy do not share one throttle) and its scheme
// from X-Forwarded-Proto (so the cookie stays Secure behind a TLS proxy).
func TestEdge_TrustedProxy(t *testing.T) {
	e := newEnvWith(t, func(d *agentui.Deps) { d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	a := map[string]string{"X-Forwarded-For": "203.0.113.5"}
	for range 5 {
		if r := loginFrom(e, "agent2", "wrong", a); r.Status != 401 {
			t.Fatalf("wrong password: %d", r.Status)
		}
	}
	if r := loginFrom(e, "agent2", testPassword, a); r.Status != 429 {
		t.Fatalf("the throttled client: %d", r.Status)
	}
	// A second client behind the same proxy; a forged entry left of the
	// proxy's own does not count.
	b := map[string]string{"X-Forwarded-For": "203.0.113.5, 198.51.100.7", "X-Forwarded-Proto": "https"}
	r := loginFrom(e, "agent2", testPassword, b)
	if r.Status != 200 {
		t.Fatalf("another client behind the proxy: %d %s", r.Status, r.Body)
	}
	if c := r.Header.Get("Set-Cookie"); !strings.Contains(c, "Secure") {
		t.Fatalf("cookie behind a TLS proxy is not Secure: %s", c)
	}
	if r.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS behind a TLS proxy")
	}
	if r := loginFrom(e, "agent1", testPassword, nil); strings.Contains(r.Header.Get("Set-Cookie"), "Secure") || r.Header.Get("Strict-Transport-Security") != "" {
		t.Fatal("plain HTTP got a Secure cookie or HSTS")
	}
}

// Without trusted proxies, X-Forwarded-* from anyone is ignored.
func TestEdge_ForwardedHeadersIgnoredFromUntrustedPeers(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		h := map[string]string{"X-Forwarded-For": "203.0.113." + string(rune('1'+i))}
		if r := loginFrom(e, "agent2", "wrong", h); r.Status != 401 {
			t.Fatalf("wrong password: %d", r.Status)
		}
	}
	r := loginFrom(e, "agent2", testPassword, map[string]string{"X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https"})
	if r.Status != 429 {
		t.Fatalf("a forged X-Forwarded-For escaped the throttle: %d", r.Status)
	}
}

// An IPv6 subscriber's whole /64 counts as one client: a new address per
// request is no new allowance.
func TestEdge_IPv6NetworksShareLimits(t *testing.T) {
	e := newEnvWith(t, func(d *agentui.Deps) { d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	for i := range 5 {
		h := map[string]string{"X-Forwarded-For": fmt.Sprintf("2001:db8:1:2::%x", i+1)}
		if r := loginFrom(e, "agent2", "wrong", h); r.Status != 401 {
			t.Fatalf("wrong password: %d", r.Status)
		}
	}
	if r := loginFrom(e, "agent2", testPassword, map[string]string{"X-Forwarded-For": "2001:db8:1:2:abcd::99"}); r.Status != 429 {
		t.Fatalf("another address of the same /64: %d", r.Status)
	}
	if r := loginFrom(e, "agent2", testPassword, map[string]string{"X-Forwarded-For": "[2001:db8:1:3::1]:443"}); r.Status != 200 {
		t.Fatalf("another network (written with a port): %d %s", r.Status, r.Body)
	}
}
