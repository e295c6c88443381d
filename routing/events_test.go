package routing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/open12345/hotline/routing"
)

// step runs f and returns the kinds of the events it caused, with the
// withdrawal reason after offer.withdrawn; agent and queue events, which
// come last, are counted rather than listed.
func (h *harness) step(f func()) (kinds []string, agents, queues int) {
	h.t.Helper()
	h.forget()
	f()
	for i, ev := range h.drained() {
		switch ev.Kind {
		case routing.EventAgent:
			agents++
		case routing.EventQueue:
			queues++
		default:
			if agents+queues > 0 {
				h.t.Fatalf("event %d (%s) after the agent and queue events: %+v", i, ev.Kind, h.events)
			}
			k := string(ev.Kind)
			if ev.Kind == routing.EventWithdrawn {
				k += ":" + ev.Reason
			}
			kinds = append(kinds, k)
		}
		if !ev.At.Equal(h.clk.Now()) {
			h.t.Fatalf("event %s at %v, clock at %v", ev.Kind, ev.At, h.clk.Now())
		}
	}
	return kinds, agents, queues
}

func (h *harness) wantKinds(f func(), want ...string) {
	h.t.Helper()
	got, agents, queues := h.step(f)
	if !slices.Equal(got, want) || agents == 0 || queues == 0 {
		h.t.Fatalf("events %v (+%d agent, %d queue), want %v", got, agents, queues, want)
	}
}

func TestEvents(t *testing.T) {
	setup := func(t *testing.T) *harness {
		h := newHarness(t, routing.QueueConfig{Name: "q", RingSeconds: 10, MaxWaitSeconds: 100})
		h.readyIn([]string{"a1", "a2"}, "q")
		return h
	}
	t.Run("OfferAcceptEnd", func(t *testing.T) {
		h := setup(t)
		var c string
		h.wantKinds(func() { c = h.call("q") }, "offer")
		h.wantKinds(func() { h.answer("a1") }, "offer.withdrawn:accepted", "contact.assigned")
		h.wantKinds(func() { h.end(c) }, "contact.ended")
	})
	t.Run("RingOutThenNextAgent", func(t *testing.T) {
		h := setup(t)
		h.call("q")
		h.wantKinds(func() { h.advance(10 * time.Second) }, "offer.withdrawn:timeout", "offer")
		if ev := h.kinds(routing.EventOffer)[0]; ev.Offer.Agent != "a2" {
			t.Fatalf("offer to %s", ev.Offer.Agent)
		}
	})
	t.Run("DeclineThenNextAgent", func(t *testing.T) {
		h := setup(t)
		h.call("q")
		h.wantKinds(func() { h.decline("a1") }, "offer.withdrawn:declined", "offer")
	})
	t.Run("HangUpWhileRinging", func(t *testing.T) {
		h := setup(t)
		c := h.call("q")
		h.wantKinds(func() { h.end(c) }, "offer.withdrawn:gone", "contact.abandoned")
	})
	t.Run("LogoutWhileRinging", func(t *testing.T) {
		h := setup(t)
		h.call("q")
		h.wantKinds(func() { h.e.Logout("a1") }, "offer.withdrawn:offline", "offer")
	})
	t.Run("MaxWaitWhileRinging", func(t *testing.T) {
		h := setup(t)
		h.presence("a1", routing.NotReady, routing.ReasonBreak)
		h.presence("a2", routing.NotReady, routing.ReasonBreak)
		h.call("q")
		h.advance(95 * time.Second)
		h.presence("a1", routing.Ready, routing.ReasonNone)
		h.wantKinds(func() { h.advance(5 * time.Second) }, "offer.withdrawn:max_wait", "contact.timed_out")
	})
	t.Run("AgentEventsCarryTheView", func(t *testing.T) {
		h := setup(t)
		h.step(func() { h.presence("a1", routing.NotReady, routing.ReasonTraining) })
		ev := h.kinds(routing.EventAgent)
		if len(ev) != 1 || ev[0].Agent.ID != "a1" || ev[0].Agent.Reason != routing.ReasonTraining {
			t.Fatalf("agent events %+v", ev)
		}
	})
}
