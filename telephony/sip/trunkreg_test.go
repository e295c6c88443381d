package sip_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/telephony"
	hsip "github.com/open12345/hotline/telephony/sip"
)

// registrarPeer is sipp playing a carrier's registrar on 127.0.0.2.
type registrarPeer struct {
	port int
	done chan error
	out  *strings.Builder
}

// startRegistrar runs the sipp scenario over transport (udp or tcp) on a
// free port of 127.0.0.2 and waits until sipp listens there.
func startRegistrar(t *testing.T, scenario, transport string) *registrarPeer {
	t.Helper()
	sipp := sippPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	p := &registrarPeer{port: testenv.FreeUDPPort(t), done: make(chan error, 1), out: &strings.Builder{}}
	mode := map[string]string{"udp": "u1", "tcp": "t1"}[transport]
	cmd := exec.CommandContext(ctx, sipp, "-sf", scenario, "-t", mode, "-i", "127.0.0.2", "-p", strconv.Itoa(p.port),
		"-m", "1", "-timeout", "45s", "-timeout_error", "-nostdin")
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { p.done <- cmd.Wait(); close(exited) }()
	testenv.Eventually(t, "sipp listening on 127.0.0.2:"+strconv.Itoa(p.port), func() bool {
		select {
		case <-exited:
			t.Fatalf("sipp ended before listening: %v\n%s", <-p.done, p.out)
		default:
		}
		var c io.Closer
		var err error
		if transport == "tcp" {
			c, err = net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: p.port})
		} else {
			c, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: p.port})
		}
		if err == nil {
			_ = c.Close()
			return false
		}
		return errors.Is(err, syscall.EADDRINUSE)
	})
	return p
}

// finished waits for sipp to end and fails the test unless it passed.
func (p *registrarPeer) finished(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("sipp: %v\n%s", err, p.out)
		}
	case <-time.After(50 * time.Second):
		t.Fatalf("sipp still running\n%s", p.out)
	}
}

// startTrunkEdge starts the edge on listen with the registration trunk
// sip:acct:secret@127.0.0.2:<port>;transport=<transport> on the fake
// clock clk.
func startTrunkEdge(t *testing.T, listen string, port int, transport string, clk *clock.Fake) (*hsip.Server, context.CancelFunc) {
	t.Helper()
	trunk, err := hsip.ParseTrunk(fmt.Sprintf("sip:acct:secret@127.0.0.2:%d;transport=%s", port, transport))
	if err != nil {
		t.Fatal(err)
	}
	registrar := telephony.NewRegistrar(nil, clk, nil, slog.Default())
	t.Cleanup(registrar.Close)
	return startServer(t, hsip.Config{Addr: listen, Realm: realm, Trunk: trunk}, registrar, nil, clk)
}

// trunkStatus waits until the edge's trunk status satisfies ok and
// returns it.
func trunkStatus(t *testing.T, srv *hsip.Server, what string, ok func(hsip.TrunkStatus) bool) hsip.TrunkStatus {
	t.Helper()
	testenv.Eventually(t, what, func() bool { return ok(srv.TrunkStatus()) })
	return srv.TrunkStatus()
}

func TestTrunk_RegistersRefreshesAndUnregisters(t *testing.T) {
	for _, tc := range []struct{ name, transport, listen string }{
		{"udp", "udp", "127.0.0.1:0"},
		{"tcp", "tcp", "127.0.0.1:0"},
		// The Contact's host is the address routed to the registrar.
		{"udp on every address", "udp", "0.0.0.0:0"},
	} {
		t.Run(tc.name, func(t *testing.T) { registersRefreshesAndUnregisters(t, tc.transport, tc.listen) })
	}
}

func registersRefreshesAndUnregisters(t *testing.T, transport, listen string) {
	peer := startRegistrar(t, "testdata/trunk_registrar.xml", transport)
	clk := clock.NewFake(t0)
	srv, stop := startTrunkEdge(t, listen, peer.port, transport, clk)
	reg := metricsOf(t, srv)

	st := trunkStatus(t, srv, "registered", func(s hsip.TrunkStatus) bool { return s.Registered })
	if !st.Configured || st.LastError != "" || !st.ExpiresAt.Equal(t0.Add(120*time.Second)) || !st.NextAttempt.Equal(t0.Add(90*time.Second)) {
		t.Fatalf("after registering: %+v, want expiry at +120s (the contact's expires) and the refresh at +90s", st)
	}
	if got := scrape(t, reg); got["hotline_sip_trunk_registered"] != 1 || got[`hotline_sip_trunk_registrations_total{result="ok"}`] != 1 {
		t.Errorf("metrics after registering: %v", got)
	}

	clk.Advance(90 * time.Second)
	refreshed := t0.Add(90 * time.Second)
	st = trunkStatus(t, srv, "refreshed", func(s hsip.TrunkStatus) bool { return s.LastAttempt.Equal(refreshed) })
	if !st.Registered || st.LastError != "" || !st.ExpiresAt.Equal(refreshed.Add(120*time.Second)) {
		t.Fatalf("after the refresh: %+v, want registered until +120s more (the Expires header)", st)
	}
	if got := scrape(t, reg); got[`hotline_sip_trunk_registrations_total{result="ok"}`] != 2 || got[`hotline_sip_trunk_registrations_total{result="failed"}`] != 0 {
		t.Errorf("metrics after the refresh: %v", got)
	}

	stop()
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	if st := srv.TrunkStatus(); st.Registered || !st.ExpiresAt.IsZero() {
		t.Errorf("after the shutdown: %+v, want unregistered", st)
	}
	peer.finished(t) // the scenario ends with the unregistration
}

func TestTrunk_ForbiddenStaysDownAndRetries(t *testing.T) {
	peer := startRegistrar(t, "testdata/trunk_forbidden.xml", "udp")
	clk := clock.NewFake(t0)
	srv, _ := startTrunkEdge(t, "127.0.0.1:0", peer.port, "udp", clk)
	reg := metricsOf(t, srv)

	st := trunkStatus(t, srv, "the first attempt", func(s hsip.TrunkStatus) bool { return !s.LastAttempt.IsZero() })
	if st.Registered || !strings.Contains(st.LastError, "403") || !st.NextAttempt.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("after a 403: %+v, want down with the 403 and a retry in 5 s", st)
	}
	if strings.Contains(st.LastError, "secret") {
		t.Errorf("the error shows the password: %q", st.LastError)
	}
	if got := scrape(t, reg); got["hotline_sip_trunk_registered"] != 0 || got[`hotline_sip_trunk_registrations_total{result="failed"}`] != 1 {
		t.Errorf("metrics after a 403: %v", got)
	}

	clk.Advance(5 * time.Second)
	retried := t0.Add(5 * time.Second)
	st = trunkStatus(t, srv, "the retry", func(s hsip.TrunkStatus) bool { return s.LastAttempt.Equal(retried) })
	if st.Registered || !strings.Contains(st.LastError, "403") || !st.NextAttempt.Equal(retried.Add(10*time.Second)) {
		t.Fatalf("after the second 403: %+v, want still down and the next retry in 10 s", st)
	}
	if got := scrape(t, reg); got[`hotline_sip_trunk_registrations_total{result="failed"}`] != 2 {
		t.Errorf("metrics after the retry: %v", got)
	}
	peer.finished(t)
}

func TestTrunk_IntervalTooBriefAsksForMinExpires(t *testing.T) {
	peer := startRegistrar(t, "testdata/trunk_min_expires.xml", "udp")
	clk := clock.NewFake(t0)
	srv, stop := startTrunkEdge(t, "127.0.0.1:0", peer.port, "udp", clk)

	st := trunkStatus(t, srv, "registered", func(s hsip.TrunkStatus) bool { return s.Registered })
	// Refreshed at 80% of the two hours granted.
	if !st.ExpiresAt.Equal(t0.Add(2*time.Hour)) || !st.NextAttempt.Equal(t0.Add(96*time.Minute)) {
		t.Fatalf("after the 423 and the second REGISTER: %+v, want two hours, refreshed after 96 minutes", st)
	}
	stop()
	if err := srv.Wait(); err != nil {
		t.Fatal(err)
	}
	peer.finished(t)
}

func TestTrunk_StatusWithoutRegistrationTrunk(t *testing.T) {
	trunk, err := hsip.ParseTrunk("ip:127.0.0.9")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	registrar := telephony.NewRegistrar(nil, clk, nil, slog.Default())
	t.Cleanup(registrar.Close)
	srv, _ := startServer(t, hsip.Config{Addr: "127.0.0.1:0", Realm: realm, Trunk: trunk}, registrar, nil, clk)
	if st := srv.TrunkStatus(); st != (hsip.TrunkStatus{}) {
		t.Errorf("IP trunk status %+v, want zero", st)
	}
	if got := scrape(t, metricsOf(t, srv)); strings.Contains(fmt.Sprint(got), "trunk") {
		t.Errorf("trunk metrics without a registration trunk: %v", got)
	}
}
