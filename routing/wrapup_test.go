package routing_test

import (
	"testing"
	"time"

	"github.com/open12345/hotline/routing"
)

// wrapUpHarness has queue a (wrap-up 30 s) and b (wrap-up 10 s) and agent
// a1 ready in both.
func wrapUpHarness(t *testing.T) *harness {
	h := newHarness(t,
		routing.QueueConfig{Name: "a", WrapUpSeconds: 30},
		routing.QueueConfig{Name: "b", WrapUpSeconds: 10})
	h.readyIn([]string{"a1"}, "a", "b")
	return h
}

func (h *harness) wantWrapUntil(agent string, at time.Time) {
	h.t.Helper()
	v := h.view(agent)
	if v.State != routing.WrapUp || !v.WrapUpUntil.Equal(at) {
		h.t.Fatalf("agent %s is %s until %v, want wrap_up until %v", agent, v.State, v.WrapUpUntil, at)
	}
}

func TestWrapUp(t *testing.T) {
	t.Run("NoOfferOneTickBeforeItEnds", func(t *testing.T) {
		h := wrapUpHarness(t)
		h.call("a")
		h.end(h.answer("a1"))
		h.wantWrapUntil("a1", t0.Add(30*time.Second))
		h.advance(29 * time.Second)
		c := h.call("a")
		h.wantOffer("a1", "")
		h.advance(time.Second)
		h.wantOffer("a1", c)
	})
	t.Run("ReadyByItselfAtExactlyTheTime", func(t *testing.T) {
		h := wrapUpHarness(t)
		h.call("a")
		h.end(h.answer("a1"))
		h.forget()
		h.advance(30 * time.Second)
		h.wantState("a1", routing.Ready, routing.ReasonNone)
		var seen bool
		for _, ev := range h.drained() {
			seen = seen || ev.Kind == routing.EventAgent && ev.Agent.State == routing.Ready
		}
		if !seen || !h.view("a1").Since.Equal(t0.Add(30*time.Second)) {
			t.Fatalf("no agent event at the end of wrap-up: %+v", h.events)
		}
	})
	t.Run("BelongsToTheAgentAcrossQueues", func(t *testing.T) {
		h := wrapUpHarness(t)
		h.call("a")
		h.end(h.answer("a1"))
		c := h.call("b") // b's wrap-up is shorter; a's still holds
		h.advance(29 * time.Second)
		h.wantOffer("a1", "")
		h.advance(time.Second)
		h.wantOffer("a1", c)
	})
	t.Run("TheLongerAppliesWhenAShorterOneEndsLater", func(t *testing.T) {
		h := wrapUpHarness(t)
		long, short := h.chat("a"), h.chat("b")
		h.answer("a1")
		h.answer("a1")
		h.end(long) // wrap-up until t0+30, a chat still open
		h.advance(5 * time.Second)
		h.end(short) // would end at t0+15: it does not shorten t0+30
		h.wantWrapUntil("a1", t0.Add(30*time.Second))
	})
	t.Run("TheLongerAppliesWhenItEndsLater", func(t *testing.T) {
		h := wrapUpHarness(t)
		short, long := h.chat("b"), h.chat("a")
		h.answer("a1")
		h.answer("a1")
		h.end(short)
		h.advance(5 * time.Second)
		h.end(long)
		h.wantWrapUntil("a1", t0.Add(35*time.Second))
		h.advance(10 * time.Second) // the short one's timer fires: no effect
		h.wantWrapUntil("a1", t0.Add(35*time.Second))
	})
	t.Run("ZeroWrapUpIsReadyAtOnce", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q"})
		h.readyIn([]string{"a1"}, "q")
		h.call("q")
		h.serve("a1")
		h.wantState("a1", routing.Ready, routing.ReasonNone)
	})
	t.Run("ReturnsToTheAgentsOwnChoice", func(t *testing.T) {
		h := wrapUpHarness(t)
		h.call("a")
		c := h.answer("a1")
		h.presence("a1", routing.NotReady, routing.ReasonMeal) // while busy
		h.end(c)
		h.advance(30 * time.Second)
		h.wantState("a1", routing.NotReady, routing.ReasonMeal)
	})
}

func TestWrapUp_Held(t *testing.T) {
	t.Run("PresenceWrapUpHoldsUntilTheAgentChoosesReady", func(t *testing.T) {
		h := wrapUpHarness(t)
		h.presence("a1", routing.WrapUp, routing.ReasonNone)
		c := h.call("a")
		h.advance(time.Hour)
		h.wantWrapUntil("a1", time.Time{})
		h.wantOffer("a1", "")
		h.presence("a1", routing.Ready, routing.ReasonNone)
		h.wantOffer("a1", c)
	})
	t.Run("OutlastsTheTimedWrapUp", func(t *testing.T) {
		h := wrapUpHarness(t)
		h.call("a")
		h.end(h.answer("a1"))
		h.presence("a1", routing.WrapUp, routing.ReasonNone)
		h.advance(31 * time.Second)
		h.wantState("a1", routing.WrapUp, routing.ReasonNone)
		c := h.call("b")
		h.wantOffer("a1", "")
		h.presence("a1", routing.Ready, routing.ReasonNone)
		h.wantOffer("a1", c)
	})
	t.Run("WithdrawsARingingOffer", func(t *testing.T) {
		h := wrapUpHarness(t)
		h.readyIn([]string{"a2"}, "a")
		c := h.call("a")
		h.presence("a1", routing.WrapUp, routing.ReasonNone)
		h.wantOffer("a2", c)
	})
}

// A chat agent is offered a second chat; the first ends while it rings.
// Wrap-up starts, so the offer goes to someone else, as when the agent
// chooses wrap-up.
func TestWrapUp_StartingWithdrawsARingingOffer(t *testing.T) {
	for _, how := range []string{"End", "Transfer"} {
		t.Run("On"+how, func(t *testing.T) {
			h := wrapUpHarness(t)
			first := h.chat("a")
			h.answer("a1")
			second := h.chat("a")
			h.wantOffer("a1", second)
			if how == "End" {
				h.end(first)
			} else if _, err := h.e.Transfer(first, "b"); err != nil {
				t.Fatal(err)
			}
			h.wantWrapUntil("a1", t0.Add(30*time.Second))
			h.wantOffer("a1", "")
			h.readyIn([]string{"a2"}, "a")
			h.wantOffer("a2", second)
		})
	}
}

func TestWrapUp_ChoosingReadyEndsIt(t *testing.T) {
	h := wrapUpHarness(t)
	h.call("a")
	h.end(h.answer("a1"))
	c := h.call("a")
	h.advance(5 * time.Second)
	h.wantOffer("a1", "")
	h.presence("a1", routing.Ready, routing.ReasonNone)
	h.wantOffer("a1", c)
}

// TestWrapUp_EndingWithinOneExpire: timers fire together when Expire runs
// late (or the clock jumps). b's wrap-up ends at +10; a's offer of a newer
// call rang out at +7. b is owed the older call that waited for it, not
// the newer one the ring-out put back in line.
func TestWrapUp_EndingWithinOneExpireGetsTheOldestContact(t *testing.T) {
	h := newHarness(t, routing.QueueConfig{Name: "q1", WrapUpSeconds: 10},
		routing.QueueConfig{Name: "q2", RingSeconds: 5})
	h.readyIn([]string{"b"}, "q1", "q2")
	h.call("q1")
	h.end(h.answer("b"))
	h.readyIn([]string{"a"}, "q2")
	h.advance(time.Second)
	older := h.call("q1")
	h.advance(time.Second)
	newer := h.call("q2")
	h.wantOffer("a", newer)
	h.advance(8 * time.Second)
	h.wantOffer("b", older)
	h.wantState("a", routing.NotReady, routing.ReasonMissed)
}
