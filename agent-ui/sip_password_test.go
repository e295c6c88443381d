package agentui_test

import (
	"context"
	"strings"
	"testing"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/telephony"
)

// An admin sets any staff user's SIP password, a user their own; the
// stored digest is the phone's HA1, never the password.
func TestSIPPassword_AdminAndSelf(t *testing.T) {
	creds := &lateCredentials{}
	e := newEnvWith(t, func(d *agentui.Deps) { d.SIPPasswords = creds })
	store := postgres.NewSIPStore(e.db)
	creds.Credentials = telephony.NewCredentials(store, "hotline")
	path := func(user string) string { return "/api/v1/users/" + user + "/sip-password" }
	ha1 := func(user string) string {
		c, err := store.SIPCredential(context.Background(), user)
		if err != nil {
			return ""
		}
		return c.HA1
	}

	if r := e.call("admin", "PUT", path("agent1"), map[string]string{"password": "desk-phone-1"}); r.Status != 204 {
		t.Fatalf("admin sets agent1's SIP password: %d %s", r.Status, r.Body)
	}
	if got, want := ha1("agent1"), telephony.HA1("agent1", "hotline", "desk-phone-1"); got != want {
		t.Fatalf("stored HA1 %q, want %q", got, want)
	}
	if r := e.call("agent2", "PUT", path("agent2"), map[string]string{"password": "soft-phone-2"}); r.Status != 204 {
		t.Fatalf("agent2 sets its own SIP password: %d %s", r.Status, r.Body)
	}
	for _, c := range []struct {
		user, target string
		body         any
		status       int
	}{
		{"agent2", "agent1", map[string]string{"password": "takeover-1"}, 403}, // not one's own
		{"dept-rsj", "dept-rsj", map[string]string{"password": "dept-phone-1"}, 403},
		{"", "agent1", map[string]string{"password": "nobody-123"}, 401},
		{"admin", "agent1", map[string]string{"password": "short"}, 400},
		{"admin", "agent1", map[string]string{"password": strings.Repeat("x", 200)}, 400},
		{"admin", "agent1", map[string]string{"password": "bad\x00password"}, 400},
		{"admin", "agent1", map[string]any{"password": "ok-password-1", "extra": 1}, 400},
		{"admin", "agent1", []byte("{"), 400},
		{"admin", "nobody", map[string]string{"password": "ghost-phone-1"}, 404},
	} {
		if r := e.call(c.user, "PUT", path(c.target), c.body); r.Status != c.status {
			t.Errorf("%q sets %q's SIP password with %v: %d %s, want %d", c.user, c.target, c.body, r.Status, r.Body, c.status)
		}
	}
	if got, want := ha1("agent1"), telephony.HA1("agent1", "hotline", "desk-phone-1"); got != want {
		t.Fatal("a refused request changed agent1's SIP password")
	}
}

// lateCredentials are set once the test's database exists, after the
// server that uses them was built.
type lateCredentials struct{ *telephony.Credentials }

// Without telephony the endpoint says so instead of pretending.
func TestSIPPassword_UnavailableWithoutTelephony(t *testing.T) {
	e := newEnv(t)
	r := e.call("admin", "PUT", "/api/v1/users/agent1/sip-password", map[string]string{"password": "desk-phone-1"})
	if r.Status != 503 || e.errorCode(r) != "unavailable" {
		t.Fatalf("%d %s, want 503 unavailable", r.Status, r.Body)
	}
}
