package sip_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/open12345/hotline/internal/testenv"
)

func TestRegister_GoodPassword(t *testing.T) {
	e := startEdge(t)
	c := newClient(t)
	req := e.register(t, "agent1", "<sip:agent1@127.0.0.1:5099>", 600)
	res := do(t, c, req)
	if res.StatusCode != 401 {
		t.Fatalf("first REGISTER: %d, want 401", res.StatusCode)
	}
	chal := res.GetHeader("WWW-Authenticate").Value()
	if !strings.Contains(chal, `realm="hotline"`) || !strings.Contains(chal, `qop="auth"`) {
		t.Fatalf("challenge %q", chal)
	}
	res = doAuth(t, c, req, res, password)
	if res.StatusCode != 200 {
		t.Fatalf("REGISTER with digest: %d %s, want 200", res.StatusCode, res.Reason)
	}
	if got := res.GetHeader("Contact").Value(); got != "<sip:agent1@127.0.0.1:5099>;expires=600" {
		t.Fatalf("200 lists %q", got)
	}
	got, ok := e.registrar.Lookup("agent1")
	if !ok || got.Contact != "sip:agent1@127.0.0.1:5099" || !got.Expires.Equal(t0.Add(600*time.Second)) || got.Transport != "udp" {
		t.Fatalf("Lookup = %+v, %v", got, ok)
	}
	if got, want := e.eventList(), []string{"agent1:true"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestRegister_WrongPasswordThenForbiddenThenBlocked(t *testing.T) {
	e := startEdge(t)
	c := newClient(t)
	var codes []int
	for range 10 {
		req := e.register(t, "agent1", "<sip:agent1@127.0.0.1:5099>", 600)
		res := doAuth(t, c, req, do(t, c, req), "wrong-password")
		codes = append(codes, res.StatusCode)
	}
	if want := []int{401, 401, 403, 403, 403, 403, 403, 403, 403, 403}; !slices.Equal(codes, want) {
		t.Fatalf("wrong passwords answered %v, want %v", codes, want)
	}
	// The source is blocked now: even the right password is refused, unchallenged.
	if res := do(t, c, e.register(t, "agent1", "<sip:agent1@127.0.0.1:5099>", 600)); res.StatusCode != 403 {
		t.Fatalf("blocked source: %d, want 403", res.StatusCode)
	}
	// Another source is not blocked, and the block ends.
	other := newRawPeer(t, e, "127.0.0.2")
	if res := other.request(t, "REGISTER"); res.StatusCode != 401 {
		t.Fatalf("other source: %d, want 401", res.StatusCode)
	}
	e.clock.Advance(16 * time.Minute)
	req := e.register(t, "agent1", "<sip:agent1@127.0.0.1:5099>", 600)
	if res := doAuth(t, c, req, do(t, c, req), password); res.StatusCode != 200 {
		t.Fatalf("after the block: %d, want 200", res.StatusCode)
	}
	if _, ok := e.registrar.Lookup("agent1"); !ok {
		t.Fatal("not registered after the block")
	}
}

func TestRegister_UnknownUserLooksLikeWrongPassword(t *testing.T) {
	e := startEdge(t)
	c := newClient(t)
	req := e.register(t, "nobody", "<sip:nobody@127.0.0.1:5099>", 600)
	res := do(t, c, req)
	res, err := c.DoDigestAuth(t.Context(), req, res, sipgoAuth("nobody", password))
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("unknown user: %v %v, want 401 as for a wrong password", res, err)
	}
}

func TestRegister_ReplayedNonceIsRefused(t *testing.T) {
	e := startEdge(t)
	peer := newRawPeer(t, e, "127.0.0.1")
	res := peer.request(t, "REGISTER", "Expires: 600")
	if res.StatusCode != 401 {
		t.Fatalf("first: %d", res.StatusCode)
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		t.Fatal(err)
	}
	uri := "sip:" + peer.to.String()
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: uri, Username: "agent1", Password: password, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	authz := "Authorization: " + cred.String()
	if res := peer.request(t, "REGISTER", "Expires: 600", authz); res.StatusCode != 200 {
		t.Fatalf("authorized: %d, want 200", res.StatusCode)
	}
	if res := peer.request(t, "REGISTER", "Expires: 600", authz); res.StatusCode != 403 {
		t.Fatalf("replayed nonce and nc: %d, want 403", res.StatusCode)
	}
	// The nonce expires after five minutes: the next count is stale then.
	e.clock.Advance(5 * time.Minute)
	cred, err = digest.Digest(chal, digest.Options{Method: "REGISTER", URI: uri, Username: "agent1", Password: password, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	res = peer.request(t, "REGISTER", "Expires: 600", "Authorization: "+cred.String())
	if res.StatusCode != 401 || !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale=true") {
		t.Fatalf("expired nonce: %d %v, want 401 stale=true", res.StatusCode, res.GetHeader("WWW-Authenticate"))
	}
}

func TestRegister_UnregisterAndExpiry(t *testing.T) {
	e := startEdge(t)
	c := newClient(t)
	registerOK := func(contact string, expires uint32) *sip.Response {
		t.Helper()
		req := e.register(t, "agent1", contact, expires)
		res := doAuth(t, c, req, do(t, c, req), password)
		if res.StatusCode != 200 {
			t.Fatalf("REGISTER %s expires %d: %d", contact, expires, res.StatusCode)
		}
		return res
	}
	registerOK("<sip:agent1@127.0.0.1:5099>", 10) // clamped up to 60 s
	registerOK("<sip:agent1@127.0.0.1:5098>;expires=7200", 600)
	desk, _ := e.registrar.Lookup("agent1")
	if !desk.Expires.Equal(t0.Add(time.Hour)) {
		t.Fatalf("7200 s was not clamped to an hour: %v", desk.Expires)
	}
	if n := len(e.registrar.Contacts("agent1")); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
	if first := e.registrar.Contacts("agent1")[0]; !first.Expires.Equal(t0.Add(time.Minute)) {
		t.Fatalf("10 s was not clamped to a minute: %v", first.Expires)
	}
	registerOK("<sip:agent1@127.0.0.1:5098>", 0) // unregisters one
	if n := len(e.registrar.Contacts("agent1")); n != 1 {
		t.Fatalf("%d contacts after Expires: 0, want 1", n)
	}
	e.clock.Advance(time.Minute)
	testenv.Eventually(t, "the last binding to expire", func() bool { return len(e.eventList()) == 2 })
	if got, want := e.eventList(), []string{"agent1:true", "agent1:false"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}

	registerOK("<sip:agent1@127.0.0.1:5099>", 600)
	registerOK("<sip:agent1@127.0.0.1:5098>", 600)
	res := registerOK("*", 0)
	if res.GetHeader("Contact") != nil {
		t.Fatalf("Contact: * left %v", res.GetHeader("Contact"))
	}
	if got, want := e.eventList(), []string{"agent1:true", "agent1:false", "agent1:true", "agent1:false"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	regs, err := e.store.Registrations(t.Context())
	if err != nil || len(regs) != 0 {
		t.Fatalf("stored after Contact: * = %v, %v", regs, err)
	}
}

func TestRegister_FloodFromOneSourceIsLimited(t *testing.T) {
	e := startEdge(t)
	flood := newRawPeer(t, e, "127.0.0.2")
	var limited *sip.Response
	for i := 0; i < 30 && limited == nil; i++ {
		if res := flood.request(t, "REGISTER"); res.StatusCode == 503 {
			limited = res
		}
	}
	if limited == nil {
		t.Fatal("30 REGISTERs in a row were never limited")
	}
	if ra, err := strconv.Atoi(limited.GetHeader("Retry-After").Value()); err != nil || ra < 1 || ra > 11 {
		t.Fatalf("Retry-After %v", limited.GetHeader("Retry-After"))
	}
	// Meanwhile a phone on another address registers.
	c := newClient(t)
	req := e.register(t, "agent1", "<sip:agent1@127.0.0.1:5099>", 600)
	if res := doAuth(t, c, req, do(t, c, req), password); res.StatusCode != 200 {
		t.Fatalf("other source during the flood: %d, want 200", res.StatusCode)
	}
}
