package sip_test

import (
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	hsip "github.com/open12345/hotline/telephony/sip"
)

func TestServer_OptionsAnswered(t *testing.T) {
	e := startEdge(t)
	res := newRawPeer(t, e, "127.0.0.1").request(t, "OPTIONS")
	if res.StatusCode != 200 {
		t.Fatalf("OPTIONS: %d", res.StatusCode)
	}
	allow := res.GetHeader("Allow")
	if allow == nil || !strings.Contains(allow.Value(), "REGISTER") || !strings.Contains(allow.Value(), "INVITE") {
		t.Fatalf("Allow: %v", allow)
	}
	if res.GetHeader("Accept") == nil {
		t.Fatal("no Accept header")
	}
}

func TestServer_OptionsOverTCPOnTheSamePort(t *testing.T) {
	e := startEdge(t)
	conn, err := net.Dial("tcp", e.srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := "OPTIONS sip:" + e.srv.Addr().String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP " + local + ";branch=z9hG4bKtcp1\r\n" +
		"From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:hotline@127.0.0.1>\r\n" +
		"Call-ID: tcp-options\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		t.Fatalf("TCP OPTIONS answered %q", strings.SplitN(string(buf[:n]), "\r\n", 2)[0])
	}
}

func TestServer_UnknownMethodIs405(t *testing.T) {
	e := startEdge(t)
	if res := newRawPeer(t, e, "127.0.0.1").request(t, "PUBLISH"); res.StatusCode != 405 {
		t.Fatalf("PUBLISH: %d, want 405", res.StatusCode)
	}
}

func TestServer_InviteRefusedUntilTheCallFlow(t *testing.T) {
	e := startEdge(t)
	peer := newRawPeer(t, e, "127.0.0.1")
	if res := peer.request(t, "INVITE"); res.StatusCode != 480 {
		t.Fatalf("INVITE: %d, want 480", res.StatusCode)
	}
}

func TestServer_MalformedThenStillServes(t *testing.T) {
	e := startEdge(t)
	peer := newRawPeer(t, e, "127.0.0.1")
	for _, junk := range []string{"\x00\x01garbage", "REGISTER\r\n\r\n", "SIP/2.0 200 OK\r\nVia: x\r\n\r\n",
		"REGISTER sip:x SIP/2.0\r\nContent-Length: 99999\r\n\r\n"} {
		if err := peer.send([]byte(junk)); err != nil {
			t.Fatal(err)
		}
	}
	if res := peer.request(t, "OPTIONS"); res.StatusCode != 200 {
		t.Fatalf("OPTIONS after junk: %d", res.StatusCode)
	}
}

func TestServer_StopsWithTheContext(t *testing.T) {
	e := startEdge(t)
	addr := e.srv.Addr().String()
	if _, err := net.ListenPacket("udp", addr); err == nil {
		t.Fatal("the UDP port was free while the server runs")
	}
	e.stop()
	if err := e.srv.Wait(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	udp, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("UDP port still taken after the stop: %v", err)
	}
	tcp, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("TCP port still taken after the stop: %v", err)
	}
	if err := errors.Join(udp.Close(), tcp.Close()); err != nil {
		t.Fatal(err)
	}
}

// A source sending more new calls than the limit gets 503 with
// Retry-After before any call is set up, while a call from another
// source still gets through (here: 480, the edge has no call flow).
func TestServer_InviteFloodIsLimitedPerSource(t *testing.T) {
	e := startEdge(t)
	statuses, retryAfter := sendInvites(t, newRawPeer(t, e, "127.0.0.3"), 30)
	if statuses[480] != 20 || statuses[503] != 10 || retryAfter == "" {
		t.Fatalf("30 INVITEs from one source: %v (Retry-After %q), want 20 let through (480) and 10 limited (503 with Retry-After)", statuses, retryAfter)
	}
	legit := newRawPeer(t, e, "127.0.0.1")
	if res := legit.request(t, "INVITE"); res.StatusCode != 480 {
		t.Fatalf("an INVITE from another source during the flood: %d, want it handled (480)", res.StatusCode)
	}
}

// Config.InviteLimit raises the limit for a source that sends every call,
// as a carrier trunk or a load test does; the limit still holds beyond it.
func TestServer_InviteLimitIsConfigurable(t *testing.T) {
	e := startEdge(t)
	srv, _ := startServer(t, hsip.Config{Addr: "127.0.0.1:0", Realm: realm, InviteLimit: 25, Open: true}, e.registrar, e.store, e.clock)
	statuses, _ := sendInvites(t, newRawPeer(t, &edge{srv: srv}, "127.0.0.4"), 30)
	if statuses[480] != 25 || statuses[503] != 5 {
		t.Fatalf("30 INVITEs from one source with a limit of 25: %v, want 25 let through (480) and 5 limited (503)", statuses)
	}
}

// sendInvites sends n new INVITEs from peer, one at a time, and counts the
// final statuses; retryAfter is the last 503's Retry-After.
func sendInvites(t *testing.T, peer *rawPeer, n int) (statuses map[int]int, retryAfter string) {
	t.Helper()
	statuses = map[int]int{}
	for range n {
		msg := peer.message("INVITE")
		callID := regexp.MustCompile(`Call-ID: (\S+)`).FindSubmatch(msg)[1]
		if err := peer.send(msg); err != nil {
			t.Fatal(err)
		}
		res := peer.readMatching(t, false, func(r *sip.Response) bool { return r.CallID().Value() == string(callID) })
		statuses[res.StatusCode]++
		if h := res.GetHeader("Retry-After"); res.StatusCode == 503 && h != nil {
			retryAfter = h.Value()
		}
	}
	return statuses, retryAfter
}
