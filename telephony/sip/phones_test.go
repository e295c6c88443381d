package sip_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/audio"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
	hsip "github.com/open12345/hotline/telephony/sip"
)

// Tones: the caller's is quiet and low, the agent's loud and high, so
// that each is told apart in the other's ear and in the recording.
const (
	callerHz, callerAmp = 400, 3000
	agentHz, agentAmp   = 1000, 12000
)

// bridgeEdge is a SIP edge with the call flow and the agent leg, on a
// fresh database with agent1 logged in, ready, for consultation.
type bridgeEdge struct {
	*callEdge
	recordings string
	cdr        *cdrLog
}

func startBridge(t *testing.T) *bridgeEdge {
	t.Helper()
	return startBridgeWith(t, bridgeOptions{})
}

// bridgeOptions vary startBridge: more agents (ready in this order after
// agent1, each with the SIP password password), the call flow's
// configuration (Recordings is set), the queue's ring time, more queues
// (without agents), the clock (nil: the system's) and the edge's INVITE
// limit per source (0: its default).
type bridgeOptions struct {
	agents      []string
	cfg         hsip.CallConfig
	ringSeconds int
	strategy    routing.Strategy
	queues      []string
	clock       clock.Clock
	inviteLimit int
	trunk       string // HOTLINE_SIP_TRUNK's value; "" for none
}

func startBridgeWith(t *testing.T, o bridgeOptions) *bridgeEdge {
	t.Helper()
	ctx := context.Background()
	var clk clock.Clock = clock.System{}
	if o.clock != nil {
		clk = o.clock
	}
	db := pgtest.NewDB(t)
	store := postgres.NewSIPStore(db)
	engine := routing.New(clk, routing.Config{})
	if err := engine.SetQueue(routing.QueueConfig{Name: "consultation", RingSeconds: o.ringSeconds, Strategy: o.strategy}); err != nil {
		t.Fatal(err)
	}
	for _, q := range o.queues {
		if err := engine.SetQueue(routing.QueueConfig{Name: q}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range append([]string{"agent1"}, o.agents...) {
		u := &auth.User{Username: name, DisplayName: name, Role: auth.RoleAgent, PasswordHash: "x", CreatedAt: t0}
		if err := postgres.NewUserStore(db).CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := telephony.NewCredentials(store, realm).SetPassword(ctx, name, password); err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Login(routing.Profile{ID: name, Name: name, Skills: map[string]int{"consultation": 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := engine.SetPresence(name, routing.Ready, routing.ReasonNone); err != nil {
			t.Fatal(err)
		}
	}
	e := &bridgeEdge{callEdge: &callEdge{engine: engine, sub: engine.Subscribe()}, recordings: t.TempDir(), cdr: &cdrLog{}}
	registrar := telephony.NewRegistrar(store, clk, nil, slog.Default())
	phones := hsip.NewPhones(registrar, engine, clk, slog.Default())
	cfg := o.cfg
	cfg.Recordings = e.recordings
	e.calls = hsip.NewCalls(cfg, engine, prompts.New("", slog.Default()), e.cdr, phones, clk, slog.Default())
	t.Cleanup(func() { // after the server has stopped
		e.sub.Close()
		registrar.Close()
	})
	trunk, err := hsip.ParseTrunk(o.trunk)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.stop = startServer(t, hsip.Config{Addr: "127.0.0.1:0", Realm: realm, Calls: e.calls, Open: true, InviteLimit: o.inviteLimit,
		Trunk: trunk}, registrar, store, clk)
	return e
}

// cdrLog is the call log the flow reports to; the phones that rang are
// kept apart (rings), so that the lists of events need not name them.
type cdrLog struct {
	telephony.NopCallLog
	mu     sync.Mutex
	events []string
	rang   []string
}

func (l *cdrLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, s)
}

// want fails the test unless the call log is want.
func (l *cdrLog) want(t *testing.T, want []string) {
	t.Helper()
	if got := l.list(); !slices.Equal(got, want) {
		t.Errorf("call log %q, want %q", got, want)
	}
}

func (l *cdrLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

func (l *cdrLog) Rang(_ context.Context, _, agent string, _ time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rang = append(l.rang, "rang "+agent)
	return nil
}

func (l *cdrLog) rings() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.rang)
}

func (l *cdrLog) Answered(_ context.Context, _, agent string, _ time.Time) error {
	l.add("answered " + agent)
	return nil
}

func (l *cdrLog) Recorded(_ context.Context, _, file string) error {
	l.add("recorded " + file)
	return nil
}

func (l *cdrLog) Joined(_ context.Context, _, party string, _ time.Time) error {
	l.add("joined " + party)
	return nil
}

func (l *cdrLog) CallbackTo(_ context.Context, _, phone string, _ time.Time) error {
	l.add("callback " + phone)
	return nil
}

func (l *cdrLog) Rated(_ context.Context, _ string, score int) error {
	l.add(fmt.Sprintf("rated %d", score))
	return nil
}

func (l *cdrLog) Ended(_ context.Context, _ string, outcome telephony.Outcome, by telephony.HangupBy, _ time.Time) error {
	l.add(fmt.Sprintf("ended %s by %s", outcome, by))
	return nil
}

// peer is a diago phone on loopback speaking PCMU, sending a tone and
// counting the packets it hears of the other party's tone.
type peer struct {
	dg      *diago.Diago
	heard   atomic.Int64 // packets of the other party's tone
	packets atomic.Int64 // packets of any audio
}

func newPeer(t *testing.T, name string, handle func(*diago.DialogServerSession)) *peer {
	t.Helper()
	return newPeerAt(t, name, "127.0.0.1", 0, handle)
}

// newPeerAt is newPeer listening on host:port (0: any free port).
func newPeerAt(t *testing.T, name, host string, port int, handle func(*diago.DialogServerSession)) *peer {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name))
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{dg: diago.NewDiago(ua, diago.WithTransport(diago.Transport{Transport: "udp", BindHost: host, BindPort: port}),
		diago.WithMediaConfig(diago.MediaConfig{Codecs: []media.Codec{media.CodecAudioUlaw, media.CodecTelephoneEvent8000}}))}
	ctx, cancel := context.WithCancel(context.Background())
	if handle == nil {
		handle = func(*diago.DialogServerSession) {}
	}
	if err := p.dg.ServeBackground(ctx, handle); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := ua.Close(); err != nil {
			t.Errorf("close %s: %v", name, err)
		}
	})
	return p
}

// talk sends a tone of hz and amp and counts the packets heard of the
// tone of wantHz, until ctx ends or the media closes.
func (p *peer) talk(ctx context.Context, t *testing.T, m *diago.DialogMedia, hz, amp, wantHz int) *sync.WaitGroup {
	return speak(ctx, t, m, hz, amp, func(pcm []byte) {
		p.packets.Add(1)
		if rms, crossings := measure(pcm); rms > 1000 && near(crossings, 2*wantHz/50) {
			p.heard.Add(1)
		}
	})
}

// speak sends a tone of hz and amp on m and gives heard every frame
// received, decoded, until ctx ends or the media closes.
func speak(ctx context.Context, t *testing.T, m *diago.DialogMedia, hz, amp int, heard func(pcm []byte)) *sync.WaitGroup {
	w, err := m.AudioWriter()
	if err != nil {
		t.Error(err)
		return &sync.WaitGroup{}
	}
	r, err := m.AudioReader()
	if err != nil {
		t.Error(err)
		return &sync.WaitGroup{}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		// The tones are whole periods in 20 ms, so one packet repeats.
		frame := make([]byte, 160)
		if _, err := audio.EncodeUlawTo(frame, testenv.Sine(160, hz, amp, 8000)); err != nil {
			return
		}
		for ctx.Err() == nil {
			if _, err := w.Write(frame); err != nil {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, media.RTPBufSize)
		pcm := make([]byte, 2*media.RTPBufSize)
		for {
			n, err := r.Read(buf)
			if err != nil {
				return
			}
			k, err := audio.DecodeUlawTo(pcm, buf[:n])
			if err != nil {
				continue
			}
			heard(pcm[:k])
		}
	}()
	return &wg
}

// measure gives the RMS and the zero crossings of 16-bit PCM.
func measure(pcm []byte) (rms float64, crossings int) {
	var sum float64
	var prev int16
	for i := 0; i+1 < len(pcm); i += 2 {
		v := int16(binary.LittleEndian.Uint16(pcm[i:]))
		sum += float64(v) * float64(v)
		if i > 0 && (v >= 0) != (prev >= 0) {
			crossings++
		}
		prev = v
	}
	return math.Sqrt(sum / float64(len(pcm)/2)), crossings
}

func near(got, want int) bool { return got >= want-3 && got <= want+3 }

// registerPhone registers p as agent1's phone with digest auth.
func registerPhone(t *testing.T, e *bridgeEdge, p *peer) {
	t.Helper()
	registerPhoneAs(t, e, p, "agent1")
}

// registerPhoneAs registers p as agent's phone with digest auth.
func registerPhoneAs(t *testing.T, e *bridgeEdge, p *peer, agent string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	uri := sip.Uri{Scheme: "sip", User: agent, Host: "127.0.0.1", Port: int(e.srv.Addr().Port())}
	tx, err := p.dg.RegisterTransaction(ctx, uri, diago.RegisterOptions{Username: agent, Password: password, Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.WhenBound(func() error { return tx.Register(ctx) }); err != nil {
		t.Fatalf("register %s's phone: %v", agent, err)
	}
}

// callIn dials 12345 from p, presses 1 by INFO and waits until the call
// waits in consultation.
func callIn(t *testing.T, e *bridgeEdge, p *peer) (*diago.DialogClientSession, *diago.DialogMedia, hsip.CallInfo) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	uri := sip.Uri{Scheme: "sip", User: "12345", Host: "127.0.0.1", Port: int(e.srv.Addr().Port())}
	var d *diago.DialogClientSession
	var m *diago.DialogMedia
	err := testenv.WhenBound(func() (err error) {
		d, m, err = p.dg.Invite(ctx, uri, diago.InviteOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	call := e.oneCall(t)
	if res := info(t, d, "Signal=1\r\nDuration=160\r\n"); res.StatusCode != 200 {
		t.Fatalf("INFO: %d", res.StatusCode)
	}
	return d, m, call
}

// wavRMS is the RMS of each channel of a 16-bit stereo WAV.
func wavRMS(t *testing.T, path string) (left, right float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[:4]) != "RIFF" || binary.LittleEndian.Uint16(b[22:]) != 2 {
		t.Fatalf("%s is not a stereo WAV", path)
	}
	data := b[44:]
	if n := int(binary.LittleEndian.Uint32(b[40:])); n != len(data) || n < 8000*4 {
		t.Fatalf("data size %d of %d bytes; want at least one second", n, len(data))
	}
	var l, r float64
	frames := len(data) / 4
	for i := range frames {
		lv := float64(int16(binary.LittleEndian.Uint16(data[4*i:])))
		rv := float64(int16(binary.LittleEndian.Uint16(data[4*i+2:])))
		l, r = l+lv*lv, r+rv*rv
	}
	return math.Sqrt(l / float64(frames)), math.Sqrt(r / float64(frames))
}

func TestPhones_AnswerBridgesRecordsAndAgentHangUpRates(t *testing.T) {
	e := startBridge(t)
	hangup := make(chan struct{})
	var phone *peer
	var phoneTalk sync.WaitGroup
	phone = newPeer(t, "agent1", func(d *diago.DialogServerSession) {
		if d.InviteRequest.From().Address.User != "13900139000" {
			t.Errorf("the phone shows %q, want the caller 13900139000", d.InviteRequest.From().Address.User)
		}
		if err := d.Ringing(); err != nil {
			t.Error(err)
			return
		}
		m, err := d.Answer(diago.AnswerOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		ctx, cancel := context.WithCancel(d.Context())
		phoneTalk.Add(1)
		wg := phone.talk(ctx, t, m, agentHz, agentAmp, callerHz)
		select {
		case <-hangup:
		case <-d.Context().Done():
		}
		cancel()
		hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer hcancel()
		if err := d.Hangup(hctx); err != nil {
			t.Errorf("phone hang up: %v", err)
		}
		wg.Wait()
		phoneTalk.Done()
	})
	registerPhone(t, e, phone)
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, m, call := callIn(t, e, caller)
	cctx, ccancel := context.WithCancel(context.Background())
	defer ccancel()
	callerTalk := caller.talk(cctx, t, m, callerHz, callerAmp, agentHz)
	e.connectedTo(t, call, "agent1")
	testenv.Eventually(t, "both sides hear each other", func() bool {
		return caller.heard.Load() > 50 && phone.heard.Load() > 50
	})
	close(hangup)
	if ev := e.event(t, routing.EventEnded); ev.Contact.Ref != call.ID || ev.Contact.AnsweredAt.IsZero() {
		t.Errorf("ended %+v, want the answered contact of the call", ev.Contact)
	}
	phoneTalk.Wait()
	// The survey: the caller rates the call 5.
	if res := info(t, d, "Signal=5\r\nDuration=160\r\n"); res.StatusCode != 200 {
		t.Fatalf("INFO: %d", res.StatusCode)
	}
	select {
	case <-d.Context().Done(): // goodbye, then BYE
	case <-time.After(testenv.EventuallyWithin):
		t.Fatal("the caller was not hung up after the survey")
	}
	ccancel()
	callerTalk.Wait()
	e.released(t, baseline, call.RTPPort)

	want := []string{"answered agent1", "recorded " + call.ID + ".wav", "rated 5", "ended answered by agent"}
	e.cdr.want(t, want)
	left, right := wavRMS(t, filepath.Join(e.recordings, call.ID+".wav"))
	// A sine's RMS is amp/√2; the first moments of the bridge are silent
	// on one side or the other.
	if left < callerAmp/math.Sqrt2*0.5 || left > callerAmp/math.Sqrt2*1.2 {
		t.Errorf("left channel RMS %.0f, want the caller's tone (%.0f)", left, callerAmp/math.Sqrt2)
	}
	if right < agentAmp/math.Sqrt2*0.5 || right > agentAmp/math.Sqrt2*1.2 {
		t.Errorf("right channel RMS %.0f, want the agent's tone (%.0f)", right, agentAmp/math.Sqrt2)
	}
	entries, err := os.ReadDir(e.recordings)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("%d files in the recordings directory, want the one recording", len(entries))
	}
}

func TestPhones_BusyPhoneDeclinesTheOffer(t *testing.T) {
	e := startBridge(t)
	phone := newPeer(t, "agent1", func(d *diago.DialogServerSession) {
		if err := d.Respond(sip.StatusBusyHere, "Busy Here", nil); err != nil {
			t.Error(err)
		}
	})
	registerPhone(t, e, phone)
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, _, call := callIn(t, e, caller)
	ev := e.event(t, routing.EventWithdrawn)
	if ev.Reason != routing.WithdrawnDeclined || ev.Offer.Agent != "agent1" || ev.Offer.Contact.Ref != call.ID {
		t.Errorf("withdrawn %q %+v, want agent1's offer of the call declined", ev.Reason, ev.Offer)
	}
	hangUp(t, d)
	e.released(t, baseline, call.RTPPort)
	e.cdr.want(t, []string{"ended abandoned by caller"})
}

func TestPhones_CallerHangUpWhileRingingCancels(t *testing.T) {
	e := startBridge(t)
	phone, ringing, cancelled := ringingPhone(t, "agent1")
	registerPhone(t, e, phone)
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, _, call := callIn(t, e, caller)
	select {
	case <-ringing:
	case <-time.After(testenv.EventuallyWithin):
		t.Fatal("the agent's phone did not ring")
	}
	hangUp(t, d)
	select {
	case <-cancelled:
	case <-time.After(testenv.EventuallyWithin):
		t.Fatal("the phone kept ringing after the caller hung up")
	}
	e.released(t, baseline, call.RTPPort)
	if n := len(e.engine.Contacts()); n != 0 {
		t.Errorf("%d contacts in routing, want none", n)
	}
	if got := e.cdr.rings(); !slices.Equal(got, []string{"rang agent1"}) {
		t.Errorf("phones rung %q, want agent1's", got)
	}
	e.cdr.want(t, []string{"ended abandoned by caller"})
	entries, err := os.ReadDir(e.recordings)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("%d files in the recordings directory, want none", len(entries))
	}
}
