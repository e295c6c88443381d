package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
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
	return registerFor(t, addr, user, password, 600)
}

// unregisterPhone removes the phone's binding (Expires: 0).
func unregisterPhone(t *testing.T, addr, user, password string) *sip.Response {
	t.Helper()
	return registerFor(t, addr, user, password, 0)
}

// registerFor registers the test phone's contact for expires seconds,
// answering the digest challenge.
func registerFor(t *testing.T, addr, user, password string, expires uint32) *sip.Response {
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
	exp := sip.ExpiresHeader(expires)
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

// A call to 12345 on a running server: the IVR takes 1 (SIP INFO), routing
// offers it to the one agent whose phone is registered (not to the one
// ready longer without a phone), the phone rings
// with the caller's number and answers, the caller hangs up, and the call
// record says answered by agent1, in consultation, with its recording.
func TestServe_CallReachesTheRegisteredPhone(t *testing.T) {
	m, _ := startMain(t, testenv.StartRedis(t).URL())
	ctx := context.Background()
	// agent2, ready longest, has no phone: the call must pass it by.
	for _, u := range []string{"agent2", "agent1"} {
		if _, err := m.Auth.AddUser(ctx, auth.NewUser{Username: u, Role: auth.RoleAgent, Password: "agent-password-1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Routing.Login(routing.Profile{ID: u, Name: u, Skills: map[string]int{"consultation": 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Routing.SetPresence(u, routing.Ready, routing.ReasonNone); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.SIPPasswords.SetPassword(ctx, "agent1", "desk-phone-1"); err != nil {
		t.Fatal(err)
	}
	rang := make(chan string, 1)
	phone := newDiagoPeer(t, "agent1-phone", func(d *diago.DialogServerSession) {
		rang <- d.FromUser()
		if _, err := d.Answer(diago.AnswerOptions{}); err != nil {
			t.Errorf("the phone answers: %v", err)
			return
		}
		<-d.Context().Done()
	})
	sipAddr := m.sip.Addr()
	regCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tx, err := phone.RegisterTransaction(regCtx, sip.Uri{Scheme: "sip", User: "agent1", Host: "127.0.0.1", Port: int(sipAddr.Port())},
		diago.RegisterOptions{Username: "agent1", Password: "desk-phone-1", Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.WhenBound(func() error { return tx.Register(regCtx) }); err != nil {
		t.Fatalf("the phone registers: %v", err)
	}

	events := m.Routing.Subscribe()
	defer events.Close()
	caller := newDiagoPeer(t, "13800138000", nil) // the user agent's name is the From user
	var d *diago.DialogClientSession
	err = testenv.WhenBound(func() (err error) {
		d, _, err = caller.Invite(regCtx, sip.Uri{Scheme: "sip", User: "12345", Host: "127.0.0.1", Port: int(sipAddr.Port())}, diago.InviteOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("call 12345: %v", err)
	}
	body := []byte("Signal=1\r\nDuration=160\r\n")
	info := sip.NewRequest(sip.INFO, d.InviteRequest.Recipient)
	info.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	info.SetBody(body)
	if res, err := d.Do(regCtx, info); err != nil || res.StatusCode != 200 {
		t.Fatalf("press 1 by INFO: %v %v", res, err)
	}
	select {
	case from := <-rang:
		if from != "13800138000" {
			t.Errorf("the phone shows %q calling, want the citizen's number", from)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("agent1's phone never rang")
	}
	testenv.Eventually(t, "the call connected to agent1", func() bool {
		for _, c := range m.Routing.Contacts() {
			if c.Agent == "agent1" && c.Status == routing.Connected {
				return true
			}
		}
		return false
	})
	if err := d.Hangup(ctx); err != nil {
		t.Fatalf("the citizen hangs up: %v", err)
	}
	var rec telephony.Call
	testenv.Eventually(t, "the call record", func() bool {
		cs, _, err := m.Calls.List(ctx, auth.Actor{Username: "system", Role: auth.RoleAdmin}, telephony.CallFilter{})
		if err != nil || len(cs) != 1 || cs[0].EndedAt == nil {
			return false
		}
		rec = cs[0]
		return true
	})
	if rec.Outcome != telephony.OutcomeAnswered || rec.Agent != "agent1" || rec.Queue != "consultation" || rec.IVRPath != "1" ||
		rec.Caller != "13800138000" || rec.HangupBy != telephony.HangupCaller || rec.Recording == "" {
		t.Fatalf("call record %+v", rec)
	}
	if _, err := os.Stat(filepath.Join(m.Config.DataDir, "recordings", rec.Recording)); err != nil {
		t.Fatalf("the recording: %v", err)
	}
	// The whole history of the call, now that it is over: no offer ever
	// went to the agent without a phone.
	for ev, ok := events.TryNext(); ok; ev, ok = events.TryNext() {
		if ev.Offer != nil && ev.Offer.Agent == "agent2" {
			t.Fatalf("agent2, without a phone, was offered the call: %+v", ev)
		}
	}
}

// newDiagoPeer is a SIP phone on loopback that handles incoming calls
// with handle (nil: none).
func newDiagoPeer(t *testing.T, name string, handle func(*diago.DialogServerSession)) *diago.Diago {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name))
	if err != nil {
		t.Fatal(err)
	}
	dg := diago.NewDiago(ua, diago.WithTransport(diago.Transport{Transport: "udp", BindHost: "127.0.0.1", BindPort: 0}))
	ctx, cancel := context.WithCancel(context.Background())
	if handle == nil {
		handle = func(*diago.DialogServerSession) {}
	}
	if err := dg.ServeBackground(ctx, handle); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := ua.Close(); err != nil {
			t.Errorf("close %s: %v", name, err)
		}
	})
	return dg
}
