package sip_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
	hsip "github.com/open12345/hotline/telephony/sip"
)

// callEdge is a SIP edge with the call flow on a routing engine holding
// the menu's queues; sub sees routing's events from the start.
type callEdge struct {
	srv    *hsip.Server
	calls  *hsip.Calls
	engine *routing.Engine
	sub    *routing.Subscription
	stop   context.CancelFunc
}

func startCalls(t *testing.T, cfg hsip.CallConfig, clk clock.Clock) *callEdge {
	t.Helper()
	return startCallsWith(t, cfg, hsip.Config{Open: true}, clk)
}

// startCallsWith is startCalls with the edge's settings of srv (its
// address, realm and call flow are the test's).
func startCallsWith(t *testing.T, cfg hsip.CallConfig, srv hsip.Config, clk clock.Clock) *callEdge {
	t.Helper()
	engine := routing.New(clk, routing.Config{})
	for _, q := range []string{"consultation", "complaint", "suggestion", "general"} {
		if err := engine.SetQueue(routing.QueueConfig{Name: q}); err != nil {
			t.Fatal(err)
		}
	}
	e := &callEdge{engine: engine, sub: engine.Subscribe()}
	e.calls = hsip.NewCalls(cfg, engine, prompts.New("", slog.Default()), nil, nil, clk, slog.Default())
	registrar := telephony.NewRegistrar(nil, clk, nil, slog.Default())
	t.Cleanup(func() { // after the server has stopped
		e.sub.Close()
		registrar.Close()
	})
	srv.Addr, srv.Realm, srv.Calls = "127.0.0.1:0", realm, e.calls
	e.srv, e.stop = startServer(t, srv, registrar, nil, clk)
	return e
}

// event waits for routing's next event of kind.
func (e *callEdge) event(t *testing.T, kind routing.EventKind) routing.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.EventuallyWithin)
	defer cancel()
	for {
		ev, err := e.sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", kind, err)
		}
		if ev.Kind == kind {
			return ev
		}
	}
}

// hangUp hangs up the caller's side of d.
func hangUp(t *testing.T, d interface{ Hangup(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// waiting waits until the call is a contact in routing and returns it.
func (e *callEdge) waiting(t *testing.T, call hsip.CallInfo) routing.ContactView {
	t.Helper()
	var contact routing.ContactView
	testenv.Eventually(t, "the call in routing", func() bool {
		i := slices.IndexFunc(e.engine.Contacts(), func(v routing.ContactView) bool { return v.Ref == call.ID })
		if i < 0 {
			return false
		}
		contact = e.engine.Contacts()[i]
		return true
	})
	return contact
}

// connectedTo waits until the call's contact is connected to agent.
func (e *callEdge) connectedTo(t *testing.T, call hsip.CallInfo, agent string) {
	t.Helper()
	testenv.Eventually(t, "the call connected to "+agent, func() bool {
		return slices.ContainsFunc(e.engine.Contacts(), func(c routing.ContactView) bool {
			return c.Ref == call.ID && c.Status == routing.Connected && c.Agent == agent
		})
	})
}

// oneCall waits until exactly one call is answered and returns it.
func (e *callEdge) oneCall(t *testing.T) hsip.CallInfo {
	t.Helper()
	var call hsip.CallInfo
	testenv.Eventually(t, "a call answered", func() bool {
		active := e.calls.Active()
		if len(active) != 1 || active[0].RTPPort == 0 {
			return false
		}
		call = active[0]
		return true
	})
	return call
}

// usage is what a call may leak: goroutines and open files (sockets
// included).
type usage struct{ goroutines, files int }

// inUse measures the process's usage now.
func inUse(t *testing.T) usage {
	t.Helper()
	return usage{goroutines: runtime.NumGoroutine(), files: openFiles(t)}
}

// openFiles counts the process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("count open files: %v", err)
	}
	return len(fds)
}

// released waits until the call flow holds no call, the goroutines and
// open files are back to baseline and port is free again.
func (e *callEdge) released(t *testing.T, baseline usage, port int) {
	t.Helper()
	testenv.Eventually(t, "no call in progress", func() bool { return len(e.calls.Active()) == 0 })
	testenv.Eventually(t, fmt.Sprintf("goroutines back to %d", baseline.goroutines), func() bool { return runtime.NumGoroutine() <= baseline.goroutines })
	testenv.Eventually(t, fmt.Sprintf("open files back to %d", baseline.files), func() bool { return openFiles(t) <= baseline.files })
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatalf("RTP port %d still taken: %v", port, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCalls_Sipp_MenuKeyQueuesThenHangUpAbandons(t *testing.T) {
	sipp := sippPath(t)
	e := startCalls(t, hsip.CallConfig{}, clock.System{})
	baseline := inUse(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, "-sf", "testdata/ivr_consultation.xml", "-s", "12345",
		"-i", "127.0.0.1", "-mi", "127.0.0.1", "-mp", strconv.Itoa(testenv.FreeUDPPort(t)), "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin",
		e.srv.Addr().String())
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = cmd.CombinedOutput()
		done <- err
	}()

	call := e.oneCall(t)
	contact := e.waiting(t, call)
	if contact.Queue != "consultation" || contact.Caller != "13800138000" || contact.Channel != routing.Voice {
		t.Errorf("contact %+v, want voice in consultation from 13800138000", contact)
	}
	ab := e.event(t, routing.EventAbandoned)
	if ab.Contact.ID != contact.ID {
		t.Errorf("abandoned %s, want %s", ab.Contact.ID, contact.ID)
	}
	if err := <-done; err != nil {
		t.Fatalf("sipp: %v\n%s", err, out)
	}
	e.released(t, baseline, call.RTPPort)
}

// caller is a diago phone on loopback calling from number.
type caller struct {
	dg *diago.Diago
}

func newCaller(t *testing.T, number string) *caller {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(number))
	if err != nil {
		t.Fatal(err)
	}
	dg := diago.NewDiago(ua, diago.WithTransport(diago.Transport{Transport: "udp", BindHost: "127.0.0.1", BindPort: 0}))
	ctx, cancel := context.WithCancel(context.Background())
	if err := dg.ServeBackground(ctx, func(*diago.DialogServerSession) {}); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := ua.Close(); err != nil {
			t.Errorf("close caller: %v", err)
		}
	})
	return &caller{dg: dg}
}

// dial calls user at the edge and waits for the answer.
func (c *caller) dial(t *testing.T, e *callEdge, user string) (*diago.DialogClientSession, error) {
	t.Helper()
	d, _, err := c.dialMedia(t, e, user)
	return d, err
}

// dialMedia is dial, with the call's media.
func (c *caller) dialMedia(t *testing.T, e *callEdge, user string) (*diago.DialogClientSession, *diago.DialogMedia, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	uri := sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: int(e.srv.Addr().Port())}
	var d *diago.DialogClientSession
	var m *diago.DialogMedia
	err := testenv.WhenBound(func() (err error) {
		d, m, err = c.dg.Invite(ctx, uri, diago.InviteOptions{})
		return err
	})
	return d, m, err
}

// info sends a key by SIP INFO within d.
func info(t *testing.T, d *diago.DialogClientSession, body string) *sip.Response {
	t.Helper()
	req := sip.NewRequest(sip.INFO, d.InviteRequest.Recipient)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte(body))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := d.Do(ctx, req)
	if err != nil {
		t.Fatalf("INFO: %v", err)
	}
	return res
}

func TestCalls_InfoKeyQueuesThenHangUpAbandons(t *testing.T) {
	e := startCalls(t, hsip.CallConfig{}, clock.System{})
	c := newCaller(t, "13900139000")
	baseline := inUse(t)
	d, err := c.dial(t, e, "12345")
	if err != nil {
		t.Fatal(err)
	}
	call := e.oneCall(t)
	if res := info(t, d, "Signal=2\r\nDuration=160\r\n"); res.StatusCode != 200 {
		t.Fatalf("INFO: %d", res.StatusCode)
	}
	contact := e.waiting(t, call)
	if contact.Queue != "complaint" {
		t.Errorf("queue %s, want complaint", contact.Queue)
	}
	hangUp(t, d)
	if ab := e.event(t, routing.EventAbandoned); ab.Contact.Ref != call.ID {
		t.Errorf("abandoned %+v, want the call %s", ab.Contact, call.ID)
	}
	e.released(t, baseline, call.RTPPort)
}

func TestCalls_HangUpDuringTheMenuFreesTheCall(t *testing.T) {
	e := startCalls(t, hsip.CallConfig{}, clock.System{})
	c := newCaller(t, "13900139000")
	baseline := inUse(t)
	d, err := c.dial(t, e, "12345")
	if err != nil {
		t.Fatal(err)
	}
	call := e.oneCall(t)
	hangUp(t, d)
	e.released(t, baseline, call.RTPPort)
	if n := len(e.engine.Contacts()); n != 0 {
		t.Errorf("%d contacts in routing, want none", n)
	}
}

func TestCalls_NoRTPEndsTheCall(t *testing.T) {
	clk := clock.NewFake(t0)
	e := startCalls(t, hsip.CallConfig{RTPTimeout: 30 * time.Second}, clk)
	c := newCaller(t, "13900139000")
	baseline := inUse(t)
	d, err := c.dial(t, e, "12345")
	if err != nil {
		t.Fatal(err)
	}
	call := e.oneCall(t)
	testenv.Eventually(t, "the RTP watchdog armed", func() bool { return len(clk.Timers()) > 0 })
	clk.Advance(31 * time.Second)
	select {
	case <-d.Context().Done():
	case <-time.After(testenv.EventuallyWithin):
		t.Fatal("the call was not hung up after 30 s without RTP")
	}
	e.released(t, baseline, call.RTPPort)
}

// Any user of our domain reaches the IVR, not only 12345: carriers
// present the dialled number in their own forms.
func TestCalls_AnyUserOfTheDomainReachesTheIVR(t *testing.T) {
	e := startCalls(t, hsip.CallConfig{}, clock.System{})
	c := newCaller(t, "13900139000")
	d, err := c.dial(t, e, "012345")
	if err != nil {
		t.Fatalf("dial 012345: %v", err)
	}
	e.oneCall(t)
	if err := d.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCalls_ShutdownHangsUpAndRefuses(t *testing.T) {
	e := startCalls(t, hsip.CallConfig{}, clock.System{})
	c := newCaller(t, "13900139000")
	d, err := c.dial(t, e, "12345")
	if err != nil {
		t.Fatal(err)
	}
	e.oneCall(t)
	e.stop()
	select {
	case <-d.Context().Done():
	case <-time.After(testenv.EventuallyWithin):
		t.Fatal("shutdown did not hang up the call")
	}
	if err := e.srv.Wait(); err != nil {
		t.Fatal(err)
	}
}
