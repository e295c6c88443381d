package sip_test

import (
	"context"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
)

// consultEdge is a call bridged to agent1, with agent2's phone
// registered (agent2 not ready, so that routing offers it nothing).
type consultEdge struct {
	*bridgeEdge
	agent, other *tonePhone
	callerEars   *ears
	contact      routing.ContactView
	hangUpCaller func()
	callID       string
}

func startConsult(t *testing.T) *consultEdge {
	t.Helper()
	e := startBridgeWith(t, bridgeOptions{agents: []string{"agent2"}})
	if _, err := e.engine.SetPresence("agent2", routing.NotReady, routing.ReasonBreak); err != nil {
		t.Fatal(err)
	}
	k := &consultEdge{bridgeEdge: e,
		agent: newTonePhone(t, "agent1", toneAgent, toneCaller, toneThird),
		other: newTonePhone(t, "agent2", toneThird, toneCaller, toneAgent)}
	registerPhoneAs(t, e, k.agent.peer, "agent1")
	registerPhoneAs(t, e, k.other.peer, "agent2")
	d, m, call := callIn(t, e, newPeer(t, "13900139000", nil))
	cctx, ccancel := context.WithCancel(context.Background())
	ears, talk := voice(cctx, t, m, toneCaller, toneAgent, toneThird)
	k.callerEars, k.callID = ears, call.ID
	k.hangUpCaller = func() {
		hangUp(t, d)
		ccancel()
		talk.Wait()
	}
	t.Cleanup(ccancel)
	e.connectedTo(t, call, "agent1")
	k.contact = e.waiting(t, call)
	testenv.Eventually(t, "the call bridged", func() bool { return k.agent.heard(toneCaller) > 5 })
	return k
}

// consult starts the consultation and waits until the two agents talk;
// the caller, on hold, hears neither meanwhile, and neither hears the
// caller.
func (k *consultEdge) consult(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := k.calls.ConsultComplete(ctx, k.contact.ID); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("complete before any consultation: %v, want conflict", err)
	}
	if err := k.calls.ConsultStart(ctx, k.contact.ID, "nobody"); errs.CodeOf(err) != errs.Unavailable {
		t.Errorf("consult a user without a phone: %v, want unavailable", err)
	}
	if err := k.calls.ConsultStart(ctx, k.contact.ID, "agent2"); err != nil {
		t.Fatal(err)
	}
	if err := k.calls.Conference(ctx, k.contact.ID, "agent2"); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("a three-way call during a consultation: %v, want conflict", err)
	}
	testenv.Eventually(t, "agent2 reserved in routing", func() bool {
		v, _ := k.engine.Agent("agent2")
		return v.State == routing.Busy
	})
	testenv.Eventually(t, "the two agents hear each other", func() bool {
		return k.agent.heard(toneThird) > 25 && k.other.heard(toneAgent) > 25
	})
	callerHeard, agentHeard := k.callerEars.of(toneAgent)+k.callerEars.of(toneThird), k.agent.heard(toneCaller)
	testenv.Eventually(t, "the agents talk on", func() bool {
		return k.agent.heard(toneThird) > 75 && k.other.heard(toneAgent) > 75
	})
	if got := k.callerEars.of(toneAgent) + k.callerEars.of(toneThird); got > callerHeard+3 {
		t.Errorf("the held caller heard the agents: %d frames more", got-callerHeard)
	}
	if got := k.agent.heard(toneCaller); got > agentHeard+3 || k.other.heard(toneCaller) > 3 {
		t.Errorf("the agents heard the held caller: agent1 %d more, agent2 %d", got-agentHeard, k.other.heard(toneCaller))
	}
}

// Consult agent2, then complete: agent2 has the call (in routing too),
// agent1's phone is hung up and free, the caller and agent2 talk; the
// record lists both agents.
func TestConsult_CompleteHandsTheCallOver(t *testing.T) {
	k := startConsult(t)
	k.consult(t)
	if err := k.calls.ConsultComplete(context.Background(), k.contact.ID); err != nil {
		t.Fatal(err)
	}
	within(t, k.agent.hungUp, "agent1's phone was not hung up")
	testenv.Eventually(t, "agent2 has the call in routing", func() bool {
		v, ok := k.engine.Contact(k.contact.ID)
		a1, _ := k.engine.Agent("agent1")
		return ok && v.Agent == "agent2" && len(a1.Contacts) == 0
	})
	fromThird, fromCaller := k.callerEars.of(toneThird), k.other.heard(toneCaller)
	testenv.Eventually(t, "the caller and agent2 talk", func() bool {
		return k.callerEars.of(toneThird) > fromThird+25 && k.other.heard(toneCaller) > fromCaller+25
	})
	if err := k.calls.End(context.Background(), k.contact.ID); err != nil { // agent2's console hangs up
		t.Fatal(err)
	}
	within(t, k.other.hungUp, "agent2's phone was not hung up")
	k.hangUpCaller()
	testenv.Eventually(t, "the call ended", func() bool { return len(k.calls.Active()) == 0 })
	k.cdr.want(t, []string{"answered agent1", "joined agent2", "answered agent2", "recorded " + k.callID + ".wav", "ended answered by agent"})
}

// Consult agent2, then cancel: agent2's phone is hung up and free in
// routing, and the caller talks to agent1 again.
func TestConsult_CancelGivesTheCallerBack(t *testing.T) {
	k := startConsult(t)
	k.consult(t)
	if err := k.calls.ConsultCancel(context.Background(), k.contact.ID); err != nil {
		t.Fatal(err)
	}
	within(t, k.other.hungUp, "agent2's phone was not hung up")
	testenv.Eventually(t, "agent2 free in routing", func() bool {
		v, _ := k.engine.Agent("agent2")
		return len(v.Contacts) == 0
	})
	fromAgent, fromCaller := k.callerEars.of(toneAgent), k.agent.heard(toneCaller)
	testenv.Eventually(t, "the caller and agent1 talk again", func() bool {
		return k.callerEars.of(toneAgent) > fromAgent+25 && k.agent.heard(toneCaller) > fromCaller+25
	})
	if v, _ := k.engine.Contact(k.contact.ID); v.Agent != "agent1" {
		t.Errorf("the contact is %s's, want agent1's", v.Agent)
	}
	k.hangUpCaller()
	testenv.Eventually(t, "the call ended", func() bool { return len(k.calls.Active()) == 0 })
	k.cdr.want(t, []string{"answered agent1", "joined agent2", "recorded " + k.callID + ".wav", "ended answered by caller"})
}
