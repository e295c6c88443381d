package sip_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
)

// agent1 transfers a bridged call to the queue (a blind transfer,
// routing.Transfer): agent1's phone is hung up, the caller waits and is
// bridged to agent2, whose phone rings next; the caller's audio reaches
// both agents in turn, the record lists each leg and one recording
// holds them both.
func TestTransfer_BlindToAQueueBridgesTheNextAgent(t *testing.T) {
	e := startBridgeWith(t, bridgeOptions{agents: []string{"agent2"}})
	if _, err := e.engine.SetPresence("agent2", routing.NotReady, routing.ReasonBreak); err != nil {
		t.Fatal(err)
	}
	first, firstHungUp := answeringPhone(t, "agent1")
	second, secondHungUp := answeringPhone(t, "agent2")
	registerPhoneAs(t, e, first, "agent1")
	registerPhoneAs(t, e, second, "agent2")
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, m, call := callIn(t, e, caller)
	cctx, ccancel := context.WithCancel(context.Background())
	talk := caller.talk(cctx, t, m, callerHz, callerAmp, agentHz)
	e.connectedTo(t, call, "agent1")
	testenv.Eventually(t, "agent1 hears the caller", func() bool { return first.heard.Load() > 25 })

	contact := e.waiting(t, call)
	if _, err := e.engine.SetPresence("agent2", routing.Ready, routing.ReasonNone); err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.Transfer(contact.ID, "consultation"); err != nil {
		t.Fatal(err)
	}
	within(t, firstHungUp, "agent1's phone was not hung up after the transfer")
	e.connectedTo(t, call, "agent2")
	testenv.Eventually(t, "agent2 hears the caller, and the caller agent2", func() bool {
		return second.heard.Load() > 25 && caller.heard.Load() > 50
	})

	hangUp(t, d)
	ccancel()
	talk.Wait()
	within(t, secondHungUp, "agent2's phone was not hung up after the caller left")
	e.released(t, baseline, call.RTPPort)
	e.cdr.want(t, []string{"answered agent1", "answered agent2", "recorded " + call.ID + ".wav", "ended answered by caller"})
	if left, right := wavRMS(t, filepath.Join(e.recordings, call.ID+".wav")); left == 0 || right == 0 {
		t.Errorf("recording RMS left %.0f right %.0f, want the caller and the agents", left, right)
	}
}

// A transferred caller who hangs up while waiting again abandons: the
// recording of the first leg is kept and named.
func TestTransfer_CallerHangsUpWhileWaitingAgain(t *testing.T) {
	e := startBridge(t)
	phone, hungUp := answeringPhone(t, "agent1")
	registerPhone(t, e, phone)
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, _, call := callIn(t, e, caller)
	e.connectedTo(t, call, "agent1")
	contact := e.waiting(t, call)
	if _, err := e.engine.Transfer(contact.ID, "consultation"); err != nil { // nobody else: it waits
		t.Fatal(err)
	}
	within(t, hungUp, "agent1's phone was not hung up after the transfer")
	testenv.Eventually(t, "the call waiting again", func() bool {
		v, ok := e.engine.Contact(contact.ID)
		return ok && v.Status == routing.Waiting
	})
	hangUp(t, d)
	e.released(t, baseline, call.RTPPort)
	e.cdr.want(t, []string{"answered agent1", "recorded " + call.ID + ".wav", "ended abandoned by caller"})
}

// The agent puts the call on hold: the caller hears music, not the
// agent, and the agent hears nothing of the caller, until the agent
// resumes and both hear each other again; the phone stays up.
func TestHold_CallerHearsMusicUntilResumed(t *testing.T) {
	e := startBridge(t)
	phone, hungUp := answeringPhone(t, "agent1")
	registerPhone(t, e, phone)
	caller := newPeer(t, "13900139000", nil)
	baseline := inUse(t)

	d, m, call := callIn(t, e, caller)
	cctx, ccancel := context.WithCancel(context.Background())
	talk := caller.talk(cctx, t, m, callerHz, callerAmp, agentHz)
	e.connectedTo(t, call, "agent1")
	testenv.Eventually(t, "both sides hear each other", func() bool { return caller.heard.Load() > 25 && phone.heard.Load() > 25 })
	contact := e.waiting(t, call)
	ctx := context.Background()
	if err := e.calls.Hold(ctx, contact.ID, true); err != nil {
		t.Fatal(err)
	}
	// Measured over the next 2 s of audio the caller receives: a few
	// packets in flight at the hold, then only music.
	heard, agentHeard, packets := caller.heard.Load(), phone.heard.Load(), caller.packets.Load()
	testenv.Eventually(t, "the caller hears 2 s of music", func() bool { return caller.packets.Load() > packets+100 })
	if n := caller.heard.Load() - heard; n > 10 {
		t.Errorf("the caller heard %d packets of the agent while on hold", n)
	}
	if n := phone.heard.Load() - agentHeard; n > 10 {
		t.Errorf("the agent heard %d packets of the caller while on hold", n)
	}
	if err := e.calls.Hold(ctx, contact.ID, false); err != nil {
		t.Fatal(err)
	}
	heard, agentHeard = caller.heard.Load(), phone.heard.Load()
	testenv.Eventually(t, "both hear each other again", func() bool {
		return caller.heard.Load() > heard+25 && phone.heard.Load() > agentHeard+25
	})
	if err := e.calls.Hold(ctx, "no-such-contact", true); err == nil {
		t.Error("hold of an unknown contact accepted")
	}

	hangUp(t, d)
	ccancel()
	talk.Wait()
	within(t, hungUp, "the agent's phone was not hung up after the caller left")
	e.released(t, baseline, call.RTPPort)
	e.cdr.want(t, []string{"answered agent1", "recorded " + call.ID + ".wav", "ended answered by caller"})
}
