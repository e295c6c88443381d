package routing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// twoAgents is a queue ringing 10 s with a1 and a2 ready; a1 is offered
// the first contact (ties go to the lowest id).
func twoAgents(t *testing.T) *harness {
	h := newHarness(t, routing.QueueConfig{Name: "q", RingSeconds: 10})
	h.readyIn([]string{"a1", "a2"}, "q")
	return h
}

func TestRingTimeout(t *testing.T) {
	t.Run("RingsForRingSeconds", func(t *testing.T) {
		h := twoAgents(t)
		c := h.call("q")
		if exp := h.view("a1").Offer.ExpiresAt; !exp.Equal(t0.Add(10 * time.Second)) {
			t.Fatalf("offer expires %v", exp)
		}
		h.advance(9 * time.Second)
		h.wantOffer("a1", c)
	})
	t.Run("MissedAgentBecomesNotReadyAndNextIsOffered", func(t *testing.T) {
		h := twoAgents(t)
		c := h.call("q")
		h.advance(10 * time.Second)
		h.wantState("a1", routing.NotReady, routing.ReasonMissed)
		h.wantOffer("a1", "")
		h.wantOffer("a2", c)
		if got := h.withdrawn("a1", c); !slices.Equal(got, []string{routing.WithdrawnTimeout}) {
			t.Fatalf("withdrawn %v", got)
		}
	})
	t.Run("ContactKeepsItsPlace", func(t *testing.T) {
		h := twoAgents(t)
		c0 := h.call("q")
		h.answer("a1")
		c1 := h.call("q") // rings for a2
		h.advance(time.Second)
		h.call("q") // later: waits
		h.advance(9 * time.Second)
		h.wantState("a2", routing.NotReady, routing.ReasonMissed)
		h.end(c0)
		h.wantOffer("a1", c1) // before the later arrival
	})
	t.Run("AcceptAfterExpiryIsAConflict", func(t *testing.T) {
		h := twoAgents(t)
		h.call("q")
		id := h.offerID("a1")
		h.advance(10 * time.Second)
		_, err := h.e.Accept("a1", id)
		wantCode(t, err, errs.Conflict)
	})
	t.Run("AcceptAtExpiryBeforeTheTimerFiresIsAConflict", func(t *testing.T) {
		h := twoAgents(t)
		c := h.call("q")
		id := h.offerID("a1")
		h.clk.Advance(10 * time.Second) // no Expire: the timer has not fired
		_, err := h.e.Accept("a1", id)
		wantCode(t, err, errs.Conflict)
		h.wantState("a1", routing.NotReady, routing.ReasonMissed)
		h.wantOffer("a2", c)
	})
}

func TestDecline(t *testing.T) {
	t.Run("GoesToTheNextAgent", func(t *testing.T) {
		h := twoAgents(t)
		c := h.call("q")
		h.decline("a1")
		h.wantOffer("a2", c)
		h.wantState("a1", routing.Ready, routing.ReasonNone)
		if got := h.withdrawn("a1", c); !slices.Equal(got, []string{routing.WithdrawnDeclined}) {
			t.Fatalf("withdrawn %v", got)
		}
	})
	t.Run("DeclinerIsNotOfferedTheSameContactAgain", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q"})
		h.readyIn([]string{"a1"}, "q")
		c1 := h.call("q")
		h.decline("a1")
		h.wantOffer("a1", "")
		c2 := h.call("q") // a later contact still reaches a1
		h.wantOffer("a1", c2)
		h.serve("a1")
		h.wantOffer("a1", "")
		h.readyIn([]string{"a2"}, "q")
		h.wantOffer("a2", c1)
	})
	t.Run("UnknownOfferIsAConflictUnknownAgentNotFound", func(t *testing.T) {
		h := twoAgents(t)
		wantCode(t, h.e.Decline("a1", "o-none"), errs.Conflict)
		wantCode(t, h.e.Decline("nobody", "o-none"), errs.NotFound)
	})
}

func TestAccept(t *testing.T) {
	t.Run("ConnectsTheContact", func(t *testing.T) {
		h := twoAgents(t)
		c := h.call("q")
		h.advance(3 * time.Second)
		h.answer("a1")
		v := h.view("a1")
		if v.State != routing.Busy || v.Voice != 1 || v.Contacts[0].Agent != "a1" ||
			!v.Contacts[0].AnsweredAt.Equal(t0.Add(3*time.Second)) {
			t.Fatalf("after accept: %+v", v)
		}
		if h.contactStatus(c) != routing.Connected {
			t.Fatal(h.contactStatus(c))
		}
	})
	t.Run("ContactLooksUpOneContact", func(t *testing.T) {
		h := twoAgents(t)
		c := h.call("q")
		if v, ok := h.e.Contact(c); !ok || v.Status != routing.Offered || v.Agent != "" {
			t.Fatalf("ringing: %+v, %v; want offered, no agent yet", v, ok)
		}
		h.answer("a1")
		if v, ok := h.e.Contact(c); !ok || v.Status != routing.Connected || v.Agent != "a1" {
			t.Fatalf("answered: %+v, %v; want connected to a1", v, ok)
		}
		if _, err := h.e.End(c); err != nil {
			t.Fatal(err)
		}
		if v, ok := h.e.Contact(c); ok {
			t.Fatalf("ended, still found: %+v", v)
		}
		if _, ok := h.e.Contact("no-such-contact"); ok {
			t.Fatal("an unknown contact found")
		}
	})
	t.Run("SomeoneElsesOfferIsNotFound", func(t *testing.T) {
		h := twoAgents(t)
		h.call("q")
		id := h.offerID("a1")
		_, err := h.e.Accept("a2", id)
		wantCode(t, err, errs.NotFound)
		wantCode(t, h.e.Decline("a2", id), errs.NotFound)
		h.answer("a1") // still a1's
	})
}

func TestHangUp(t *testing.T) {
	t.Run("WhileRingingReleasesTheAgentAtOnce", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q"})
		h.readyIn([]string{"a1"}, "q")
		c1 := h.call("q")
		c2 := h.call("q")
		if got := h.end(c1); got.Status != routing.Abandoned {
			t.Fatalf("ended contact is %s", got.Status)
		}
		h.wantOffer("a1", c2) // same instant, no timer needed
		if got := h.withdrawn("a1", c1); !slices.Equal(got, []string{routing.WithdrawnGone}) {
			t.Fatalf("withdrawn %v", got)
		}
	})
	t.Run("InRingAllReleasesEveryAgent", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q", Strategy: routing.RingAll})
		h.readyIn([]string{"a1", "a2"}, "q")
		h.end(h.call("q"))
		for _, a := range []string{"a1", "a2"} {
			h.wantOffer(a, "")
			h.wantState(a, routing.Ready, routing.ReasonNone)
		}
	})
	t.Run("WhileWaitingIsAbandoned", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q"})
		c := h.call("q")
		h.end(c)
		if h.contactStatus(c) != "" || h.stats("q").Abandoned != 1 {
			t.Fatalf("contact %s, stats %+v", h.contactStatus(c), h.stats("q"))
		}
		_, err := h.e.End(c)
		wantCode(t, err, errs.NotFound)
	})
}

func TestLogout(t *testing.T) {
	t.Run("RingingOfferGoesToSomeoneElse", func(t *testing.T) {
		h := twoAgents(t)
		c := h.call("q")
		if _, err := h.e.Logout("a1"); err != nil {
			t.Fatal(err)
		}
		h.check()
		h.wantOffer("a2", c)
		h.wantState("a1", routing.Offline, routing.ReasonNone)
		if got := h.withdrawn("a1", c); !slices.Equal(got, []string{routing.WithdrawnOffline}) {
			t.Fatalf("withdrawn %v", got)
		}
	})
	t.Run("ContactsInProgressStayUntilTheyEnd", func(t *testing.T) {
		h := twoAgents(t)
		c := h.call("q")
		h.answer("a1")
		h.e.Logout("a1")
		h.wantState("a1", routing.Busy, routing.ReasonNone)
		h.end(c)
		h.wantState("a1", routing.Offline, routing.ReasonNone)
		h.call("q")
		h.wantOffer("a1", "")
	})
	t.Run("UnknownAgentIsNotFound", func(t *testing.T) {
		h := twoAgents(t)
		_, err := h.e.Logout("nobody")
		wantCode(t, err, errs.NotFound)
	})
	t.Run("LoginAgainIsNotReady", func(t *testing.T) {
		h := twoAgents(t)
		h.e.Logout("a1")
		h.e.Login(routing.Profile{ID: "a1", Skills: skills("q")})
		h.wantState("a1", routing.NotReady, routing.ReasonNone)
	})
}

func TestPresence_NotReadyWithdrawsTheOffer(t *testing.T) {
	h := twoAgents(t)
	c := h.call("q")
	h.presence("a1", routing.NotReady, routing.ReasonBreak)
	h.wantState("a1", routing.NotReady, routing.ReasonBreak)
	h.wantOffer("a2", c)
	_, err := h.e.SetPresence("a1", routing.Ready, routing.ReasonBreak)
	wantCode(t, err, errs.Invalid)
}
