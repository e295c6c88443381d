package routing_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open12345/hotline/routing"
)

// step runs f and returns the kinds of the events it caused, with the
// withdrawal reason after offer.withdrawn; agent and queue events, which
// come last, are counted rather than listed.
func (h *harness) step(f func()) (kinds []string, agents, queues int) {
	h.t.Helper()
	h.events = nil
	f()
	for i, ev := range h.events {
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

// TestEvents_InOrderUnderConcurrency has agents answer and end contacts from
// many goroutines; every listener must see each contact's events in the
// order they happened, one event at a time.
func TestEvents_InOrderUnderConcurrency(t *testing.T) {
	h := newHarness(t, routing.QueueConfig{Name: "q"})
	var inside atomic.Int32
	seen := map[string][]routing.EventKind{}
	var other []routing.Event
	h.e.Listen(func(ev routing.Event) {
		if inside.Add(1) != 1 {
			t.Error("listeners ran concurrently")
		}
		defer inside.Add(-1)
		other = append(other, ev)
		if ev.Contact != nil {
			seen[ev.Contact.ID] = append(seen[ev.Contact.ID], ev.Kind)
		}
	})
	h.events = nil // the queue's creation came before the second listener
	var wg sync.WaitGroup
	for i := range 8 {
		id := fmt.Sprintf("a%d", i)
		h.readyIn([]string{id}, "q")
		wg.Go(func() {
			for range 50 {
				c, _ := h.e.Enqueue(routing.Contact{Channel: routing.Chat, Queue: "q"})
				if v, _ := h.e.Agent(id); v.Offer != nil {
					h.e.Accept(id, v.Offer.ID)
				}
				h.e.End(c.ID)
			}
		})
	}
	wg.Wait()
	if len(other) != len(h.events) {
		t.Fatalf("listeners saw %d and %d events", len(other), len(h.events))
	}
	for i := range other {
		if other[i].Kind != h.events[i].Kind || other[i].At != h.events[i].At {
			t.Fatalf("listeners disagree at event %d", i)
		}
	}
	for id, kinds := range seen {
		switch {
		case slices.Equal(kinds, []routing.EventKind{routing.EventAssigned, routing.EventEnded}):
		case slices.Equal(kinds, []routing.EventKind{routing.EventAbandoned}):
		default:
			t.Fatalf("contact %s events %v", id, kinds)
		}
	}
}
