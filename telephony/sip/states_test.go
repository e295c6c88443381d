package sip_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
	hsip "github.com/open12345/hotline/telephony/sip"
)

// answeringPhone is an agent's phone that answers at once, sends its tone
// and stays until the call ends; hungUp is closed when it has.
func answeringPhone(t *testing.T, name string) (*peer, <-chan struct{}) {
	t.Helper()
	hungUp := make(chan struct{})
	var p *peer
	p = newPeer(t, name, func(d *diago.DialogServerSession) {
		m, err := d.Answer(diago.AnswerOptions{})
		if err != nil {
			t.Errorf("%s answers: %v", name, err)
			return
		}
		ctx, cancel := context.WithCancel(d.Context())
		wg := p.talk(ctx, t, m, agentHz, agentAmp, callerHz)
		<-d.Context().Done()
		cancel()
		wg.Wait()
		close(hungUp)
	})
	return p, hungUp
}

// within waits for ch to close, or fails the test saying what.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(testenv.EventuallyWithin):
		t.Fatal(what)
	}
}

// ringingPhone is an agent's phone that rings and never answers; rang
// is closed when it rings, cancelled when the ring is called off.
func ringingPhone(t *testing.T, name string) (p *peer, rang, cancelled <-chan struct{}) {
	t.Helper()
	r, c := make(chan struct{}), make(chan struct{})
	p = newPeer(t, name, func(d *diago.DialogServerSession) {
		if err := d.Ringing(); err != nil {
			t.Error(err)
			return
		}
		close(r)
		<-d.Context().Done() // CANCEL ends it
		close(c)
	})
	return p, r, c
}

// The first agent's phone rings out: the offer times out, the phone gets
// CANCEL, that agent goes not-ready (missed) and the call rings the next
// agent, whose phone answers.
func TestPhones_RingTimeoutMovesToTheNextAgent(t *testing.T) {
	e := startBridgeWith(t, bridgeOptions{agents: []string{"agent2"}, ringSeconds: 1})
	first, rang, cancelled := ringingPhone(t, "agent1")
	second, hungUp := answeringPhone(t, "agent2")
	registerPhoneAs(t, e, first, "agent1")
	registerPhoneAs(t, e, second, "agent2")
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, _, call := callIn(t, e, caller)
	within(t, rang, "agent1's phone never rang")
	ev := e.event(t, routing.EventWithdrawn)
	if ev.Offer.Agent != "agent1" || ev.Reason != routing.WithdrawnTimeout {
		t.Fatalf("withdrawn %s from %s, want agent1's offer timed out", ev.Reason, ev.Offer.Agent)
	}
	within(t, cancelled, "agent1's phone kept ringing after the offer timed out")
	if v, _ := e.engine.Agent("agent1"); v.State != routing.NotReady || v.Reason != routing.ReasonMissed {
		t.Errorf("agent1 is %s (%s) after missing the call, want not_ready (missed)", v.State, v.Reason)
	}
	e.connectedTo(t, call, "agent2")

	hangUp(t, d)
	within(t, hungUp, "agent2's phone was not hung up after the caller left")
	e.released(t, baseline, call.RTPPort)
	want := []string{"answered agent2", "recorded " + call.ID + ".wav", "ended answered by caller"}
	e.cdr.want(t, want)
}

// The caller hangs up while bridged: the agent's phone is hung up, the
// recording is complete, the contact ends (the agent's wrap-up) and
// nothing of the call stays behind.
func TestPhones_CallerHangUpWhileBridgedFreesEverything(t *testing.T) {
	e := startBridge(t)
	phone, hungUp := answeringPhone(t, "agent1")
	registerPhone(t, e, phone)
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, m, call := callIn(t, e, caller)
	cctx, ccancel := context.WithCancel(context.Background())
	talk := caller.talk(cctx, t, m, callerHz, callerAmp, agentHz)
	e.connectedTo(t, call, "agent1")
	testenv.Eventually(t, "both sides hear each other", func() bool {
		return caller.heard.Load() > 50 && phone.heard.Load() > 50
	})
	hangUp(t, d)
	ccancel()
	talk.Wait()
	within(t, hungUp, "the agent's phone was not hung up after the caller left")
	if ev := e.event(t, routing.EventEnded); ev.Contact.Ref != call.ID {
		t.Errorf("ended %+v, want the call's contact", ev.Contact)
	}
	e.released(t, baseline, call.RTPPort)
	if v, _ := e.engine.Agent("agent1"); v.State != routing.Ready || len(v.Contacts) != 0 { // no wrap-up time configured
		t.Errorf("agent1 is %s with %d contacts after the call, want ready with none", v.State, len(v.Contacts))
	}
	want := []string{"answered agent1", "recorded " + call.ID + ".wav", "ended answered by caller"}
	e.cdr.want(t, want)
	left, right := wavRMS(t, filepath.Join(e.recordings, call.ID+".wav"))
	if left == 0 || right == 0 {
		t.Errorf("recording RMS left %.0f right %.0f, want both parties", left, right)
	}
}

// agentHangsUpFirst bridges a call and has the agent hang up, so that the
// survey starts; it returns the caller's dialog, the call and the usage
// measured once both phones were up, before the call.
func agentHangsUpFirst(t *testing.T, e *bridgeEdge) (*diago.DialogClientSession, hsip.CallInfo, usage) {
	t.Helper()
	hangup := make(chan struct{})
	done := make(chan struct{})
	phone := newPeer(t, "agent1", func(d *diago.DialogServerSession) {
		defer close(done)
		if _, err := d.Answer(diago.AnswerOptions{}); err != nil {
			t.Errorf("the phone answers: %v", err)
			return
		}
		select {
		case <-hangup:
		case <-d.Context().Done():
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Hangup(ctx); err != nil {
			t.Errorf("the phone hangs up: %v", err)
		}
	})
	registerPhone(t, e, phone)
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)
	d, _, call := callIn(t, e, caller)
	e.connectedTo(t, call, "agent1")
	close(hangup)
	within(t, done, "the agent's phone did not hang up")
	if ev := e.event(t, routing.EventEnded); ev.Contact.Ref != call.ID {
		t.Fatalf("ended %+v, want the call's contact", ev.Contact)
	}
	return d, call, baseline
}

// The caller hangs up during the survey instead of rating: no rating,
// nothing left behind.
func TestPhones_CallerHangUpDuringTheSurveyFreesEverything(t *testing.T) {
	e := startBridgeWith(t, bridgeOptions{cfg: hsip.CallConfig{SurveyTimeout: time.Minute}})
	d, call, baseline := agentHangsUpFirst(t, e)
	hangUp(t, d)
	e.released(t, baseline, call.RTPPort)
	want := []string{"answered agent1", "recorded " + call.ID + ".wav", "ended answered by agent"}
	e.cdr.want(t, want)
	if _, err := os.Stat(filepath.Join(e.recordings, call.ID+".wav")); err != nil {
		t.Errorf("the recording: %v", err)
	}
}

// No key within the survey's time: the caller hears goodbye and is hung
// up, unrated.
func TestPhones_NoRatingWithinTheSurveyTimeEndsUnrated(t *testing.T) {
	e := startBridgeWith(t, bridgeOptions{cfg: hsip.CallConfig{SurveyTimeout: time.Second}})
	d, call, baseline := agentHangsUpFirst(t, e)
	within(t, d.Context().Done(), "the caller was not hung up after the survey's time")
	e.released(t, baseline, call.RTPPort)
	want := []string{"answered agent1", "recorded " + call.ID + ".wav", "ended answered by agent"}
	e.cdr.want(t, want)
}

// A call the hotline cannot answer (no codec in common) gets a final
// answer, and its record ends as failed.
func TestCalls_UnanswerableCallEndsItsRecord(t *testing.T) {
	e := startBridge(t)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("13900139000"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ua.Close(); err != nil {
			t.Error(err)
		}
	}()
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "12345", Host: "127.0.0.1", Port: int(e.srv.Addr().Port())})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "13900139000", Host: "127.0.0.1", Port: 5999}})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var res *sip.Response
	err = testenv.WhenBound(func() (err error) {
		res, err = client.Do(ctx, req)
		return err
	})
	if err != nil {
		t.Fatalf("INVITE: %v", err)
	}
	if res.StatusCode < 400 {
		t.Fatalf("an INVITE offering only G.722 answered %d, want a refusal", res.StatusCode)
	}
	testenv.Eventually(t, "the record ended", func() bool { return len(e.cdr.list()) == 1 })
	if got := e.cdr.list(); got[0] != "ended failed by system" {
		t.Fatalf("call log %q, want the call failed", got)
	}
}

// A ring-all queue rings every ready agent's phone at once: the first to
// answer takes the call and the other phone stops ringing.
func TestPhones_RingAllRingsEveryPhone(t *testing.T) {
	e := startBridgeWith(t, bridgeOptions{agents: []string{"agent2"}, strategy: routing.RingAll, ringSeconds: 60})
	first, rang, cancelled := ringingPhone(t, "agent1")
	second, hungUp := answeringPhone(t, "agent2")
	registerPhoneAs(t, e, first, "agent1")
	registerPhoneAs(t, e, second, "agent2")
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, _, call := callIn(t, e, caller)
	within(t, rang, "agent1's phone did not ring")
	e.connectedTo(t, call, "agent2")
	within(t, cancelled, "agent1's phone kept ringing after agent2 answered")
	hangUp(t, d)
	within(t, hungUp, "agent2's phone was not hung up after the caller left")
	e.released(t, baseline, call.RTPPort)
	if got := e.cdr.rings(); len(got) != 2 {
		t.Errorf("rings %q, want both agents'", got)
	}
}

// An agent's phone that goes silent while bridged (gone from the
// network) is hung up after the RTP timeout, and so is the caller: the
// system ended the call.
func TestPhones_SilentAgentPhoneEndsTheCall(t *testing.T) {
	e := startBridgeWith(t, bridgeOptions{cfg: hsip.CallConfig{RTPTimeout: 2 * time.Second}})
	hungUp := make(chan struct{})
	phone := newPeer(t, "agent1", func(d *diago.DialogServerSession) {
		defer close(hungUp)
		if _, err := d.Answer(diago.AnswerOptions{}); err != nil {
			t.Errorf("the phone answers: %v", err)
			return
		}
		<-d.Context().Done() // sends nothing
	})
	registerPhone(t, e, phone)
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)
	d, m, call := callIn(t, e, caller)
	cctx, ccancel := context.WithCancel(context.Background())
	defer ccancel()
	talk := caller.talk(cctx, t, m, callerHz, callerAmp, agentHz)
	e.connectedTo(t, call, "agent1")
	within(t, hungUp, "the silent phone was not hung up")
	within(t, d.Context().Done(), "the caller was not hung up after the agent's phone went silent")
	ccancel()
	talk.Wait()
	e.released(t, baseline, call.RTPPort)
	want := []string{"answered agent1", "recorded " + call.ID + ".wav", "ended answered by system"}
	e.cdr.want(t, want)
}
