package sip_test

import (
	"context"
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emiago/diago"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
	hsip "github.com/open12345/hotline/telephony/sip"
)

// box is a voicemail box that keeps what it is given.
type box struct {
	mu    sync.Mutex
	filed []telephony.Voicemail
}

func (b *box) Leave(_ context.Context, v telephony.Voicemail) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.filed = append(b.filed, v)
	return "20261201000001", nil
}

func (b *box) list() []telephony.Voicemail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.filed)
}

// hours are fixed service hours.
type hours bool

func (h hours) OpenAt(context.Context, time.Time) (bool, error) { return bool(h), nil }

// messageEdge is a call flow that offers voicemail and callbacks, with
// its call log and voicemail box.
type messageEdge struct {
	*callEdge
	cdr        *cdrLog
	box        *box
	recordings string
}

func startMessages(t *testing.T, cfg hsip.CallConfig, maxWait int, clk clock.Clock) *messageEdge {
	t.Helper()
	engine := routing.New(clk, routing.Config{})
	for _, q := range []string{"consultation", "complaint", "suggestion", "general"} {
		if err := engine.SetQueue(routing.QueueConfig{Name: q, MaxWaitSeconds: maxWait}); err != nil {
			t.Fatal(err)
		}
	}
	e := &messageEdge{callEdge: &callEdge{engine: engine, sub: engine.Subscribe()}, cdr: &cdrLog{}, box: &box{}, recordings: t.TempDir()}
	cfg.Voicemail, cfg.Recordings = e.box, e.recordings
	e.calls = hsip.NewCalls(cfg, engine, prompts.New("", slog.Default()), e.cdr, nil, clk, slog.Default())
	registrar := telephony.NewRegistrar(nil, clk, nil, slog.Default())
	t.Cleanup(func() {
		e.sub.Close()
		registrar.Close()
	})
	e.srv, e.stop = startServer(t, hsip.Config{Addr: "127.0.0.1:0", Realm: realm, Calls: e.calls, Open: true}, registrar, nil, clk)
	return e
}

// ended waits until the call log has the call's end and returns it.
func (e *messageEdge) ended(t *testing.T) []string {
	t.Helper()
	var events []string
	testenv.Eventually(t, "the call's end in its log", func() bool {
		events = e.cdr.list()
		return len(events) > 0 && len(events[len(events)-1]) > 6 && events[len(events)-1][:6] == "ended "
	})
	return events
}

// speaking dials the edge from c and sends a 440 Hz tone until the
// returned stop (or the call's end); the test must end the call.
func speaking(t *testing.T, e *callEdge, c *caller) (*diago.DialogClientSession, func()) {
	t.Helper()
	d, m, err := c.dialMedia(t, e, "12345")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wg := (&peer{}).talk(ctx, t, m, 440, 8000, 1000)
	t.Cleanup(func() {
		cancel()
		wg.Wait() // its reader ends with the call
	})
	return d, cancel
}

// key sends a key by SIP INFO.
func key(t *testing.T, d *diago.DialogClientSession, k rune) {
	t.Helper()
	if res := info(t, d, "Signal="+string(k)+"\r\nDuration=160\r\n"); res.StatusCode != 200 {
		t.Fatalf("INFO %c: %d", k, res.StatusCode)
	}
}

// recordingStarted waits until the voicemail file of call holds a
// second of audio.
func (e *messageEdge) recordingStarted(t *testing.T, call hsip.CallInfo) string {
	t.Helper()
	path := filepath.Join(e.recordings, call.ID+"-voicemail.wav")
	testenv.Eventually(t, "a second of voicemail", func() bool {
		fi, err := os.Stat(path)
		return err == nil && fi.Size() > 44+16000
	})
	return path
}

// toneLevel is the mean absolute level of a mono WAV's samples.
func toneLevel(t *testing.T, path string) (level int, seconds float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[:4]) != "RIFF" || binary.LittleEndian.Uint16(b[22:]) != 1 || binary.LittleEndian.Uint32(b[24:]) != 8000 ||
		int(binary.LittleEndian.Uint32(b[40:])) != len(b)-44 {
		t.Fatalf("%s is not an 8 kHz mono WAV with its size in the header", path)
	}
	var sum int
	for i := 44; i+1 < len(b); i += 2 {
		v := int(int16(binary.LittleEndian.Uint16(b[i:])))
		sum += max(v, -v)
	}
	n := (len(b) - 44) / 2
	return sum / max(n, 1), float64(n) / 8000
}

// A waiting caller presses 1, speaks after the beep and ends with #: the
// voicemail is filed with the queue and the caller, its recording holds
// the caller's voice, and the call ends as a voicemail with the
// recording named.
func TestVoicemail_WaitingCallerLeavesAMessageEndedByHash(t *testing.T) {
	e := startMessages(t, hsip.CallConfig{}, 0, clock.System{})
	c := newCaller(t, "13900139000")
	baseline := inUse(t)
	d, stop := speaking(t, e.callEdge, c)
	call := e.oneCall(t)
	key(t, d, '2') // complaint
	e.waiting(t, call)
	key(t, d, '1') // voicemail
	path := e.recordingStarted(t, call)
	if n := len(e.engine.Contacts()); n != 0 {
		t.Errorf("%d contacts in routing while recording, want none", n)
	}
	key(t, d, '#')
	events := e.ended(t)
	want := []string{"recorded " + call.ID + "-voicemail.wav", "ended voicemail by system"}
	if !slices.Equal(events, want) {
		t.Errorf("call log %q, want %q", events, want)
	}
	filed := e.box.list()
	if len(filed) != 1 || filed[0].Queue != "complaint" || filed[0].Caller != "13900139000" || filed[0].CallID != call.ID ||
		filed[0].Path != path || filed[0].Seconds < 1 || filed[0].AfterHours {
		t.Fatalf("filed %+v", filed)
	}
	if level, seconds := toneLevel(t, path); level < 2000 || seconds < 1 || seconds > 30 {
		t.Errorf("voicemail level %d over %.1f s, want the caller's tone", level, seconds)
	}
	stop()
	e.released(t, baseline, call.RTPPort)
}

// Most callers end a message by hanging up: what they said is kept.
func TestVoicemail_HangingUpKeepsTheMessage(t *testing.T) {
	e := startMessages(t, hsip.CallConfig{}, 0, clock.System{})
	d, _ := speaking(t, e.callEdge, newCaller(t, "13900139000"))
	call := e.oneCall(t)
	key(t, d, '1')
	e.waiting(t, call)
	key(t, d, '1')
	e.recordingStarted(t, call)
	hangUp(t, d)
	if events := e.ended(t); events[len(events)-1] != "ended voicemail by caller" {
		t.Errorf("call log %q, want a voicemail hung up by the caller", events)
	}
	if filed := e.box.list(); len(filed) != 1 || filed[0].Queue != "consultation" {
		t.Errorf("filed %+v, want the consultation's voicemail", filed)
	}
}

// A caller who says nothing after the beep leaves no message: after the
// silence time the call ends, nothing is filed and no file stays; one
// who speaks and then falls silent has the message filed at the silence.
func TestVoicemail_SilenceEndsTheMessage(t *testing.T) {
	clk := clock.NewFake(t0)
	e := startMessages(t, hsip.CallConfig{VoicemailSilence: 5 * time.Second}, 0, clk)

	silent, err := newCaller(t, "13900139000").dial(t, e.callEdge, "12345")
	if err != nil {
		t.Fatal(err)
	}
	call := e.oneCall(t)
	key(t, silent, '1')
	e.waiting(t, call)
	key(t, silent, '1')
	path := filepath.Join(e.recordings, call.ID+"-voicemail.wav")
	testenv.Eventually(t, "the voicemail recording", func() bool { _, err := os.Stat(path); return err == nil })
	clk.Advance(5 * time.Second)
	if events := e.ended(t); events[len(events)-1] != "ended abandoned by system" {
		t.Errorf("call log %q, want the silent voicemail abandoned", events)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) || len(e.box.list()) != 0 {
		t.Errorf("a silent voicemail left a file (%v) or was filed (%+v)", err, e.box.list())
	}

	d, stop := speaking(t, e.callEdge, newCaller(t, "13900139001"))
	call = e.oneCall(t)
	key(t, d, '1')
	e.waiting(t, call)
	key(t, d, '1')
	e.recordingStarted(t, call)
	stop()
	clk.Advance(5 * time.Second)
	testenv.Eventually(t, "the voicemail filed", func() bool { return len(e.box.list()) == 1 })
	hangUp(t, d)
}

// queuedThen dials from number, chooses 1 in the menu, waits in the
// queue and keys s.
func (e *messageEdge) queuedThen(t *testing.T, number, s string) *diago.DialogClientSession {
	t.Helper()
	d, err := newCaller(t, number).dial(t, e.callEdge, "12345")
	if err != nil {
		t.Fatal(err)
	}
	call := e.oneCall(t)
	key(t, d, '1')
	e.waiting(t, call)
	keys(t, d, s)
	return d
}

// A waiting caller presses 2 and keys another number: the call ends as a
// callback request to that number, out of routing.
func TestCallback_RequestedToAnotherNumber(t *testing.T) {
	e := startMessages(t, hsip.CallConfig{}, 0, clock.System{})
	e.queuedThen(t, "13900139000", "213912345678#")
	want := []string{"callback 13912345678", "ended callback_requested by system"}
	if events := e.ended(t); !slices.Equal(events, want) {
		t.Errorf("call log %q, want %q", events, want)
	}
	if n := len(e.engine.Contacts()); n != 0 {
		t.Errorf("%d contacts in routing, want none", n)
	}
}

// # alone is the calling number; a star starts the number again.
func TestCallback_HashAloneIsTheCallingNumber(t *testing.T) {
	e := startMessages(t, hsip.CallConfig{}, 0, clock.System{})
	e.queuedThen(t, "13900139000", "2#")
	if events := e.ended(t); !slices.Equal(events, []string{"callback 13900139000", "ended callback_requested by system"}) {
		t.Errorf("call log %q", events)
	}
	e2 := startMessages(t, hsip.CallConfig{}, 0, clock.System{})
	e2.queuedThen(t, "13900139000", "2555*13912345678#")
	if events := e2.ended(t); !slices.Equal(events, []string{"callback 13912345678", "ended callback_requested by system"}) {
		t.Errorf("call log %q after a star", events)
	}
}

// Three numbers that are not phone numbers (a withheld caller's lone #
// among them) end the call without a callback.
func TestCallback_ThreeBadNumbersEndTheCall(t *testing.T) {
	e := startMessages(t, hsip.CallConfig{}, 0, clock.System{})
	e.queuedThen(t, "anonymous", "2#12#123456789012345678901")
	if events := e.ended(t); !slices.Equal(events, []string{"ended ivr by system"}) {
		t.Errorf("call log %q, want the call ended without a callback", events)
	}
}

// At the queue's maximum wait the caller is offered the same choice.
func TestQueue_MaximumWaitOffersACallback(t *testing.T) {
	clk := clock.NewFake(t0)
	e := startMessages(t, hsip.CallConfig{AnnounceEvery: time.Hour, RTPTimeout: time.Hour}, 60, clk)
	d, err := newCaller(t, "13900139000").dial(t, e.callEdge, "12345")
	if err != nil {
		t.Fatal(err)
	}
	call := e.oneCall(t)
	key(t, d, '1')
	e.waiting(t, call)
	clk.Advance(61 * time.Second)
	e.engine.Expire() // routing's timers run on its own loop in serve
	e.event(t, routing.EventTimedOut)
	keys(t, d, "2#")
	if events := e.ended(t); !slices.Equal(events, []string{"callback 13900139000", "ended callback_requested by system"}) {
		t.Errorf("call log %q", events)
	}
}

// Outside the service hours the caller hears so after the welcome and
// goes straight to voicemail, filed under the menu's fallback queue.
func TestVoicemail_AfterHoursGoesStraightToVoicemail(t *testing.T) {
	e := startMessages(t, hsip.CallConfig{Hours: hours(false)}, 0, clock.System{})
	d, _ := speaking(t, e.callEdge, newCaller(t, "13900139000"))
	call := e.oneCall(t)
	e.recordingStarted(t, call)
	if n := len(e.engine.Contacts()); n != 0 {
		t.Errorf("%d contacts in routing after hours, want none", n)
	}
	key(t, d, '#')
	if events := e.ended(t); events[len(events)-1] != "ended voicemail by system" {
		t.Errorf("call log %q", events)
	}
	if filed := e.box.list(); len(filed) != 1 || !filed[0].AfterHours || filed[0].Queue != "general" {
		t.Errorf("filed %+v, want the after-hours voicemail under general", filed)
	}
}
