package routing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/open12345/hotline/routing"
)

// overflowHarness: main overflows to backup after 60 s; m1 (main) is busy,
// b1 (backup) is ready, and contact c waits in main since t0.
func overflowHarness(t *testing.T) (h *harness, busy, c string) {
	h = newHarness(t,
		routing.QueueConfig{Name: "main", RingSeconds: 15, OverflowAfterSeconds: 60, OverflowTo: "backup"},
		routing.QueueConfig{Name: "backup", RingSeconds: 5})
	h.readyIn([]string{"m1"}, "main")
	busy = h.call("main")
	h.answer("m1")
	h.readyIn([]string{"b1"}, "backup")
	return h, busy, h.call("main")
}

func (h *harness) kinds(kind routing.EventKind) []routing.Event {
	var out []routing.Event
	for _, ev := range h.drained() {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func TestOverflow(t *testing.T) {
	t.Run("AfterNSecondsEligibleInTheOtherQueue", func(t *testing.T) {
		h, _, c := overflowHarness(t)
		h.advance(59 * time.Second)
		h.wantOffer("b1", "")
		h.advance(time.Second)
		h.wantOffer("b1", c)
		o := h.view("b1").Offer
		if !o.Contact.Overflowed || o.Contact.Queue != "main" {
			t.Fatalf("offered contact %+v", o.Contact)
		}
		if evs := h.kinds(routing.EventOverflow); len(evs) != 1 || evs[0].Queue != "backup" {
			t.Fatalf("overflow events %+v", evs)
		}
	})
	t.Run("StillEligibleInItsOwnQueue", func(t *testing.T) {
		h, busy, c := overflowHarness(t)
		h.presence("b1", routing.NotReady, routing.ReasonBreak)
		h.advance(60 * time.Second)
		h.end(busy)
		h.wantOffer("m1", c)
	})
	t.Run("AnAgentInBothQueuesIsOfferedItFromItsOwn", func(t *testing.T) {
		h, _, c := overflowHarness(t)
		h.presence("b1", routing.NotReady, routing.ReasonBreak)
		h.e.Login(routing.Profile{ID: "x", Skills: skills("main", "backup")})
		h.advance(60 * time.Second)
		for range 100 { // the agent's queues are a map: try its orders
			h.presence("x", routing.Ready, routing.ReasonNone)
			h.wantOffer("x", c)
			if exp := h.view("x").Offer.ExpiresAt; !exp.Equal(h.clk.Now().Add(15 * time.Second)) {
				t.Fatalf("offer rings until %v: not main's ring time", exp)
			}
			h.presence("x", routing.NotReady, routing.ReasonBreak)
		}
	})
	t.Run("RingingAtOverflowTimeGoesToTheOtherQueueAfter", func(t *testing.T) {
		h, busy, c := overflowHarness(t)
		h.presence("b1", routing.NotReady, routing.ReasonBreak)
		h.advance(50 * time.Second)
		h.end(busy)
		h.wantOffer("m1", c) // rings until t0+65
		h.presence("b1", routing.Ready, routing.ReasonNone)
		h.advance(10 * time.Second)
		h.wantOffer("m1", c)
		h.advance(5 * time.Second) // m1 rings out
		h.wantOffer("b1", c)
	})
}

func TestMaxWait(t *testing.T) {
	setup := func(t *testing.T) *harness {
		return newHarness(t, routing.QueueConfig{Name: "q", RingSeconds: 15, MaxWaitSeconds: 60})
	}
	t.Run("EndsTheWaitWithTimedOut", func(t *testing.T) {
		h := setup(t)
		c := h.call("q")
		h.advance(59 * time.Second)
		if h.contactStatus(c) != routing.Waiting {
			t.Fatal(h.contactStatus(c))
		}
		h.advance(time.Second)
		evs := h.kinds(routing.EventTimedOut)
		if len(evs) != 1 || evs[0].Contact.ID != c || evs[0].Contact.Status != routing.TimedOut {
			t.Fatalf("timed-out events %+v", evs)
		}
		if s := h.stats("q"); s.TimedOut != 1 || s.Waiting != 0 || h.contactStatus(c) != "" {
			t.Fatalf("stats %+v", s)
		}
	})
	t.Run("WithdrawsARingingOfferWithoutMissingTheAgent", func(t *testing.T) {
		h := setup(t)
		c := h.call("q")
		h.advance(55 * time.Second)
		h.readyIn([]string{"a1"}, "q")
		h.wantOffer("a1", c)
		h.advance(5 * time.Second)
		h.wantOffer("a1", "")
		h.wantState("a1", routing.Ready, routing.ReasonNone)
		if got := h.withdrawn("a1", c); !slices.Equal(got, []string{routing.WithdrawnMaxWait}) {
			t.Fatalf("withdrawn %v", got)
		}
	})
	t.Run("DeclinedAfterTheDeadlineTimesOut", func(t *testing.T) {
		h := setup(t)
		c := h.call("q")
		h.advance(50 * time.Second)
		h.readyIn([]string{"a1", "a2"}, "q")
		h.clk.Advance(10 * time.Second) // the deadline passes, no Expire yet
		h.decline("a1")
		if h.contactStatus(c) != "" || len(h.kinds(routing.EventTimedOut)) != 1 {
			t.Fatalf("contact %s after the deadline", h.contactStatus(c))
		}
		h.wantOffer("a2", "")
	})
}

func TestPriority(t *testing.T) {
	// a1 is in q1 and q2 and busy; contacts wait; then a1 frees up.
	setup := func(t *testing.T) (*harness, string) {
		h := newHarness(t, routing.QueueConfig{Name: "q1"}, routing.QueueConfig{Name: "q2"})
		h.readyIn([]string{"a1"}, "q1", "q2")
		busy := h.call("q1")
		h.answer("a1")
		return h, busy
	}
	// drain frees a1 and checks the order it is offered contacts in.
	drain := func(h *harness, busy string, want ...string) {
		h.t.Helper()
		h.end(busy)
		for _, c := range want {
			h.wantOffer("a1", c)
			h.serve("a1")
		}
	}
	t.Run("HigherPriorityFirst", func(t *testing.T) {
		h, busy := setup(t)
		low := h.call("q1")
		h.advance(time.Second)
		high := h.enqueue(routing.Contact{Channel: routing.Voice, Queue: "q1", Priority: 5}).ID
		drain(h, busy, high, low)
	})
	t.Run("OldestFirstAcrossTheAgentsQueues", func(t *testing.T) {
		h, busy := setup(t)
		var want []string
		for _, q := range []string{"q2", "q1", "q2", "q1"} {
			want = append(want, h.call(q))
			h.advance(time.Second)
		}
		drain(h, busy, want...)
	})
	t.Run("PriorityBeatsAgeAcrossQueues", func(t *testing.T) {
		h, busy := setup(t)
		old := h.call("q1")
		h.advance(time.Second)
		vip := h.enqueue(routing.Contact{Channel: routing.Voice, Queue: "q2", Priority: 9}).ID
		drain(h, busy, vip, old)
	})
	t.Run("OldestFirstAcrossChannels", func(t *testing.T) {
		h, busy := setup(t)
		chat := h.chat("q2")
		h.advance(time.Second)
		h.call("q1")
		drain(h, busy, chat)
	})
}
