package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
)

// serve listens for SIP: a phone whose SIP password an admin set through
// the API registers with digest authentication and is known to the
// registrar; after a restart the binding is still there.
func TestServe_PhoneRegistersThroughTheSIPEdge(t *testing.T) {
	m, _ := startMain(t, testenv.StartRedis(t).URL())
	ctx := context.Background()
	if _, err := m.Auth.AddUser(ctx, auth.NewUser{Username: "admin", Role: auth.RoleAdmin, Password: "admin-password-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Auth.AddUser(ctx, auth.NewUser{Username: "agent1", Role: auth.RoleAgent, Password: "agent-password-1"}); err != nil {
		t.Fatal(err)
	}
	tok, err := m.Auth.IssueToken(ctx, "admin", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("PUT", "http://"+m.HTTPAddr()+"/api/v1/users/agent1/sip-password", strings.NewReader(`{"password":"desk-phone-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 204 {
		t.Fatalf("set the SIP password: %d", resp.StatusCode)
	}

	if res := registerPhone(t, m.SIPAddr(), "agent1", "desk-phone-1"); res.StatusCode != 200 {
		t.Fatalf("REGISTER with the SIP password: %d %s", res.StatusCode, res.Reason)
	}
	if reg, ok := m.Registrar.Lookup("agent1"); !ok || !strings.Contains(reg.Contact, "agent1@127.0.0.1") {
		t.Fatalf("the registrar has %+v, %v for agent1", reg, ok)
	}
	if res := registerPhone(t, m.SIPAddr(), "agent1", "the-login-password"); res.StatusCode == 200 {
		t.Fatal("a wrong SIP password registered")
	}

	cfg := m.Config
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	again := startMainWith(t, cfg)
	if _, ok := again.Registrar.Lookup("agent1"); !ok {
		t.Fatal("the phone's registration was forgotten across a restart")
	}
}

// registerPhone registers sip:user@127.0.0.1 at addr as a phone would,
// answering the digest challenge with password.
func registerPhone(t *testing.T, addr, user, password string) *sip.Response {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ua.Close(); err != nil {
			t.Errorf("close the phone: %v", err)
		}
	}()
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	var target sip.Uri
	if err := sip.ParseUri("sip:"+addr, &target); err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.REGISTER, target)
	aor := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", "phone1")
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: 5999}})
	exp := sip.ExpiresHeader(600)
	req.AppendHeader(&exp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Do(ctx, req)
	if err != nil {
		t.Fatalf("REGISTER: %v", err)
	}
	if res.StatusCode != 401 {
		t.Fatalf("REGISTER without credentials: %d, want the 401 challenge", res.StatusCode)
	}
	if res, err = c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password}); err != nil {
		t.Fatalf("REGISTER with digest: %v", err)
	}
	return res
}
