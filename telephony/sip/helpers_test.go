package sip_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/telephony"
	hsip "github.com/open12345/hotline/telephony/sip"
)

const (
	realm    = "hotline"
	password = "agent1-sip-pass"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// edge is a running SIP edge on a fresh database with the user agent1,
// whose SIP password is password.
type edge struct {
	srv       *hsip.Server
	clock     *clock.Fake
	registrar *telephony.Registrar
	store     *postgres.SIPStore
	stop      context.CancelFunc
	mu        sync.Mutex
	events    []string
}

func (e *edge) record(agent string, reachable bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, fmt.Sprintf("%s:%v", agent, reachable))
}

func (e *edge) eventList() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.events)
}

func startEdge(t testing.TB) *edge {
	t.Helper()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	u := &auth.User{Username: "agent1", DisplayName: "Agent 1", Role: auth.RoleAgent, PasswordHash: "x", CreatedAt: t0}
	if err := postgres.NewUserStore(db).CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	e := &edge{clock: clock.NewFake(t0), store: postgres.NewSIPStore(db)}
	if err := telephony.NewCredentials(e.store, realm).SetPassword(ctx, "agent1", password); err != nil {
		t.Fatal(err)
	}
	e.registrar = telephony.NewRegistrar(e.store, e.clock, e.record, slog.Default())
	t.Cleanup(e.registrar.Close) // after the server has stopped
	e.srv, e.stop = startServer(t, hsip.Config{Addr: "127.0.0.1:0", Realm: realm, Open: true}, e.registrar, e.store, e.clock)
	return e
}

// startServer starts the SIP edge on a free loopback port; the test's end
// (or the returned stop) stops it, and the test waits for it to be down.
func startServer(t testing.TB, cfg hsip.Config, registrar *telephony.Registrar, store telephony.Store, clk clock.Clock) (*hsip.Server, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := hsip.Start(ctx, cfg, registrar, store, clk, slog.Default())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := srv.Wait(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return srv, cancel
}

// client is a sipgo user agent on loopback.
func newClient(t testing.TB) *sipgo.Client {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ua.Close(); err != nil {
			t.Errorf("close client: %v", err)
		}
	})
	return c
}

// register builds a REGISTER of user with one contact and an Expires.
func (e *edge) register(t testing.TB, user, contact string, expires uint32) *sip.Request {
	t.Helper()
	port := int(e.srv.Addr().Port())
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: port})
	aor := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", randHex(4))
	req.AppendHeader(&from)
	if contact != "" {
		var c sip.ContactHeader
		if _, err := sip.ParseAddressValue(contact, &c.Address, &c.Params); err != nil {
			t.Fatal(err)
		}
		req.AppendHeader(&c)
	}
	ex := sip.ExpiresHeader(expires)
	req.AppendHeader(&ex)
	return req
}

func do(t testing.TB, c *sipgo.Client, req *sip.Request) *sip.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", req.Method, err)
	}
	return res
}

func doAuth(t testing.TB, c *sipgo.Client, req *sip.Request, res *sip.Response, pass string) *sip.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "agent1", Password: pass})
	if err != nil {
		t.Fatalf("%s with digest: %v", req.Method, err)
	}
	return res
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// rawPeer sends hand-written SIP over UDP from a chosen loopback address.
type rawPeer struct {
	conn *net.UDPConn
	to   *net.UDPAddr
}

func newRawPeer(t testing.TB, e *edge, ip string) *rawPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := conn.Close(); err != nil {
			t.Errorf("close raw peer: %v", err)
		}
	})
	return &rawPeer{conn: conn, to: net.UDPAddrFromAddrPort(e.srv.Addr())}
}

// request sends method with a fresh transaction and returns the status
// of the final response and the response.
func (p *rawPeer) request(t testing.TB, method string, headers ...string) *sip.Response {
	t.Helper()
	if err := p.send(p.message(method, headers...)); err != nil {
		t.Fatal(err)
	}
	return p.read(t)
}

func (p *rawPeer) message(method string, headers ...string) []byte {
	local := p.conn.LocalAddr().String()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s sip:%s SIP/2.0\r\n", method, p.to)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s\r\n", local, randHex(8))
	fmt.Fprintf(&b, "From: <sip:agent1@127.0.0.1>;tag=%s\r\nTo: <sip:agent1@127.0.0.1>\r\n", randHex(4))
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\n", randHex(8), method)
	fmt.Fprintf(&b, "Contact: <sip:agent1@%s>\r\n", local)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

func (p *rawPeer) send(msg []byte) error {
	_, err := p.conn.WriteToUDP(msg, p.to)
	return err
}

// read returns the next final response.
func (p *rawPeer) read(t testing.TB) *sip.Response {
	t.Helper()
	return p.readMatching(t, false, func(*sip.Response) bool { return true })
}

// readMatching returns the next final response that match accepts; with
// lenient, messages that do not parse are skipped (sipgo echoes a broken
// Via into its 400 to a broken request).
func (p *rawPeer) readMatching(t testing.TB, lenient bool, match func(*sip.Response) bool) *sip.Response {
	t.Helper()
	buf := make([]byte, 65535)
	for {
		if err := p.conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := p.conn.Read(buf)
		if err != nil {
			t.Fatalf("read response: %v", err)
		}
		msg, err := sip.NewParser().ParseSIP(buf[:n])
		if err != nil && lenient {
			continue
		}
		if err != nil {
			t.Fatalf("parse response %q: %v", buf[:n], err)
		}
		res, ok := msg.(*sip.Response)
		if !ok {
			t.Fatalf("got a request, not a response: %s", strings.SplitN(string(buf[:n]), "\r\n", 2)[0])
		}
		if !res.IsProvisional() && match(res) {
			return res
		}
	}
}

func sipgoAuth(user, pass string) sipgo.DigestAuth {
	return sipgo.DigestAuth{Username: user, Password: pass}
}

// callID is the Call-ID of a message written by rawPeer.message.
func callID(msg []byte) string {
	for _, line := range strings.Split(string(msg), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Call-ID: "); ok {
			return v
		}
	}
	return ""
}

// sippPath is sipp's path; the test fails without it, unless -short.
func sippPath(t testing.TB) string {
	t.Helper()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		if testing.Short() {
			t.Skip("sipp missing; skipped under -short")
		}
		t.Fatal("sipp missing: install sip-tester (bash deploy/local/services.sh test-tools)")
	}
	return sipp
}
