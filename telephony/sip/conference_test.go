package sip_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emiago/diago"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
)

// The three parties' tones, told apart in a mix by their power.
const (
	toneCaller, toneAgent, toneThird = 400, 1000, 700
	toneAmp                          = 6000
)

// tonePower is the amplitude of hz in 16-bit PCM at 8 kHz (Goertzel).
func tonePower(pcm []byte, hz float64) float64 {
	n := len(pcm) / 2
	coeff := 2 * math.Cos(2*math.Pi*hz/8000)
	var s1, s2 float64
	for i := range n {
		s := float64(int16(binary.LittleEndian.Uint16(pcm[2*i:]))) + coeff*s1 - s2
		s2, s1 = s1, s
	}
	return 2 * math.Sqrt(max(0, s1*s1+s2*s2-coeff*s1*s2)) / float64(n)
}

// ears counts the 20 ms frames in which a party heard each tone.
type ears struct {
	mu    sync.Mutex
	heard map[int]int
}

func (e *ears) of(hz int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.heard[hz]
}

// voice sends hz on m and counts what it hears of the tones in listen,
// until ctx ends or the media closes.
func voice(ctx context.Context, t *testing.T, m *diago.DialogMedia, hz int, listen ...int) (*ears, *sync.WaitGroup) {
	e := &ears{heard: map[int]int{}}
	wg := speak(ctx, t, m, hz, toneAmp, func(pcm []byte) {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, f := range listen {
			if tonePower(pcm, float64(f)) > toneAmp/4 {
				e.heard[f]++
			}
		}
	})
	return e, wg
}

// tonePhone is a phone that answers, speaks hz and listens for listen,
// and hangs up when told (leave) or when the call ends.
type tonePhone struct {
	*peer
	ears   atomic.Pointer[ears]
	leave  chan struct{}
	hungUp chan struct{}
}

func newTonePhone(t *testing.T, name string, hz int, listen ...int) *tonePhone {
	t.Helper()
	return newTonePhoneAt(t, name, "127.0.0.1", 0, hz, listen...)
}

// newTonePhoneAt is newTonePhone listening on host:port.
func newTonePhoneAt(t *testing.T, name, host string, port, hz int, listen ...int) *tonePhone {
	t.Helper()
	p := &tonePhone{leave: make(chan struct{}), hungUp: make(chan struct{})}
	p.peer = newPeerAt(t, name, host, port, func(d *diago.DialogServerSession) {
		m, err := d.Answer(diago.AnswerOptions{})
		if err != nil {
			t.Errorf("%s answers: %v", name, err)
			return
		}
		ctx, cancel := context.WithCancel(d.Context())
		e, wg := voice(ctx, t, m, hz, listen...)
		p.ears.Store(e)
		select {
		case <-d.Context().Done():
		case <-p.leave:
			hangUp(t, d)
		}
		cancel()
		wg.Wait()
		close(p.hungUp)
	})
	return p
}

func (p *tonePhone) heard(hz int) int {
	if e := p.ears.Load(); e != nil {
		return e.of(hz)
	}
	return 0
}

// wavTone is the amplitude of hz in one channel (0 left, 1 right) of a
// stereo WAV, over the whole file.
func wavTone(t *testing.T, path string, channel int, hz float64) float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mono []byte
	for i := 44 + 2*channel; i+1 < len(b); i += 4 {
		mono = append(mono, b[i], b[i+1])
	}
	// Frame by frame, so that the waits between legs do not blur it.
	var best float64
	for i := 0; i+320 <= len(mono); i += 320 {
		best = max(best, tonePower(mono[i:i+320], hz))
	}
	return best
}

// The agent brings agent2 (another registered phone: a department's
// staff would be the same) into the call: the caller, the agent and the
// third party each hear the other two; the agent leaves and the caller
// and the third party go on talking; the caller hangs up and the third
// party's phone is hung up. The record lists the third party, and the
// recording holds all three (the caller left, agent and third right).
func TestConference_ThreeHearEachOtherAndTheAgentMayLeave(t *testing.T) {
	e := startBridgeWith(t, bridgeOptions{agents: []string{"agent2"}})
	if _, err := e.engine.SetPresence("agent2", routing.NotReady, routing.ReasonBreak); err != nil {
		t.Fatal(err)
	}
	agent := newTonePhone(t, "agent1", toneAgent, toneCaller, toneThird)
	third := newTonePhone(t, "agent2", toneThird, toneCaller, toneAgent)
	registerPhoneAs(t, e, agent.peer, "agent1")
	registerPhoneAs(t, e, third.peer, "agent2")
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, m, call := callIn(t, e, caller)
	cctx, ccancel := context.WithCancel(context.Background())
	callerEars, talk := voice(cctx, t, m, toneCaller, toneAgent, toneThird)
	e.connectedTo(t, call, "agent1")
	contact := e.waiting(t, call)
	testenv.Eventually(t, "the call bridged", func() bool { return agent.heard(toneCaller) > 5 })
	ctx := context.Background()
	if err := e.calls.Conference(ctx, contact.ID, "nobody"); err == nil {
		t.Error("a three-way call with a user without a phone was accepted")
	}
	if err := e.calls.Conference(ctx, contact.ID, "agent2"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "each of the three hears the other two", func() bool {
		return callerEars.of(toneAgent) > 25 && callerEars.of(toneThird) > 25 &&
			agent.heard(toneCaller) > 25 && agent.heard(toneThird) > 25 &&
			third.heard(toneCaller) > 25 && third.heard(toneAgent) > 25
	})
	if err := e.calls.Hold(ctx, contact.ID, true); err == nil {
		t.Error("a three-way call was put on hold")
	}

	close(agent.leave)
	within(t, agent.hungUp, "the agent's phone did not leave")
	testenv.Eventually(t, "the agent freed in routing", func() bool {
		v, _ := e.engine.Agent("agent1")
		return len(v.Contacts) == 0
	})
	fromThird, fromCaller := callerEars.of(toneThird), third.heard(toneCaller)
	testenv.Eventually(t, "the caller and the third party talk on", func() bool {
		return callerEars.of(toneThird) > fromThird+25 && third.heard(toneCaller) > fromCaller+25
	})

	hangUp(t, d)
	ccancel()
	talk.Wait()
	within(t, third.hungUp, "the third party's phone was not hung up after the caller left")
	e.released(t, baseline, call.RTPPort)
	e.cdr.want(t, []string{"answered agent1", "joined agent2", "recorded " + call.ID + ".wav", "ended answered by caller"})
	rec := filepath.Join(e.recordings, call.ID+".wav")
	for _, c := range []struct {
		channel int
		hz      float64
	}{{0, toneCaller}, {1, toneAgent}, {1, toneThird}} {
		if a := wavTone(t, rec, c.channel, c.hz); a < toneAmp/4 {
			t.Errorf("recording channel %d: %v Hz at %.0f, want the party's tone", c.channel, c.hz, a)
		}
	}
}

// The agent brings a department's duty phone in through the trunk (a
// phone behind the carrier on 127.0.0.2): the three hear each other, the
// record names the department and its number, the recording holds all
// three; the department hangs up and the caller and the agent go on.
func TestConference_DepartmentThroughTheTrunk(t *testing.T) {
	port := testenv.FreeUDPPort(t)
	e := startBridgeWith(t, bridgeOptions{trunk: fmt.Sprintf("ip:127.0.0.2:%d", port)})
	agent := newTonePhone(t, "agent1", toneAgent, toneCaller, toneThird)
	dept := newTonePhoneAt(t, "cgj-duty", "127.0.0.2", port, toneThird, toneCaller, toneAgent)
	registerPhoneAs(t, e, agent.peer, "agent1")
	caller := newPeer(t, "13900139000", nil)

	d, m, call := callIn(t, e, caller)
	cctx, ccancel := context.WithCancel(context.Background())
	defer ccancel()
	callerEars, talk := voice(cctx, t, m, toneCaller, toneAgent, toneThird)
	e.connectedTo(t, call, "agent1")
	contact := e.waiting(t, call)
	testenv.Eventually(t, "the call bridged", func() bool { return agent.heard(toneCaller) > 5 })
	ctx := context.Background()
	for _, bad := range []string{"", "12", "0208888x666", strings.Repeat("1", 21)} {
		if err := e.calls.ConferenceNumber(ctx, contact.ID, bad, "department cgj"); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("ConferenceNumber(%q): %v, want invalid", bad, err)
		}
	}
	if err := e.calls.ConferenceNumber(ctx, contact.ID, "02088886666", "department cgj"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "each of the three hears the other two", func() bool {
		return callerEars.of(toneAgent) > 25 && callerEars.of(toneThird) > 25 &&
			agent.heard(toneCaller) > 25 && agent.heard(toneThird) > 25 &&
			dept.heard(toneCaller) > 25 && dept.heard(toneAgent) > 25
	})
	close(dept.leave)
	within(t, dept.hungUp, "the department's phone did not hang up")
	fromAgent := callerEars.of(toneAgent)
	testenv.Eventually(t, "the caller and the agent talk on", func() bool { return callerEars.of(toneAgent) > fromAgent+25 })
	hangUp(t, d)
	ccancel()
	talk.Wait()
	testenv.Eventually(t, "the call ended", func() bool { return len(e.calls.Active()) == 0 })
	e.cdr.want(t, []string{"answered agent1", "joined department cgj 02088886666", "recorded " + call.ID + ".wav", "ended answered by caller"})
	rec := filepath.Join(e.recordings, call.ID+".wav")
	for _, c := range []struct {
		channel int
		hz      float64
	}{{0, toneCaller}, {1, toneAgent}, {1, toneThird}} {
		if a := wavTone(t, rec, c.channel, c.hz); a < toneAmp/4 {
			t.Errorf("recording channel %d: %v Hz at %.0f, want the party's tone", c.channel, c.hz, a)
		}
	}
}
