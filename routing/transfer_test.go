package routing_test

import (
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// transferSetup: a1 answered c1 in front at t0; it is now t0+20 and x1,
// alone in expert, is busy with a call that arrived at t0+10.
type transferSetup struct {
	*harness
	c1, x1Call string
}

func newTransfer(t *testing.T) transferSetup {
	h := newHarness(t,
		routing.QueueConfig{Name: "front", WrapUpSeconds: 10},
		routing.QueueConfig{Name: "expert", WrapUpSeconds: 60})
	h.readyIn([]string{"a1", "a2"}, "front")
	h.readyIn([]string{"x1"}, "expert")
	s := transferSetup{harness: h, c1: h.call("front")}
	h.answer("a1")
	h.advance(10 * time.Second)
	s.x1Call = h.call("expert")
	h.answer("x1")
	h.advance(10 * time.Second)
	return s
}

func (s transferSetup) transfer(contact, queue string) routing.ContactView {
	s.t.Helper()
	v, err := s.e.Transfer(contact, queue)
	if err != nil {
		s.t.Fatalf("Transfer: %v", err)
	}
	s.check()
	return v
}

func TestTransfer(t *testing.T) {
	t.Run("RestartsTheAgentsIdleClockAndStartsWrapUp", func(t *testing.T) {
		s := newTransfer(t)
		s.transfer(s.c1, "expert")
		at := t0.Add(20 * time.Second)
		if v := s.view("a1"); !v.IdleSince.Equal(at) || len(v.Contacts) != 0 {
			t.Fatalf("a1 after transfer: %+v", v)
		}
		s.wantWrapUntil("a1", at.Add(10*time.Second)) // front's wrap-up
		var last routing.Event
		for _, ev := range s.drained() {
			if ev.Kind == routing.EventEnded {
				last = ev
			}
		}
		if last.Reason != "transferred" || last.Contact.ID != s.c1 {
			t.Fatalf("ended event %+v", last)
		}
		s.advance(10 * time.Second)
		s.wantState("a1", routing.Ready, routing.ReasonNone)
		s.wantOffer("a2", s.call("front")) // idle since t0: longer than a1
		s.wantOffer("a1", s.call("front"))
	})
	t.Run("ContactIsServedBeforeLaterArrivals", func(t *testing.T) {
		s := newTransfer(t)
		s.end(s.x1Call)
		s.presence("x1", routing.Ready, routing.ReasonNone)
		later := s.call("expert") // arrived t0+20: x1 takes it
		s.answer("x1")
		s.call("expert") // t0+20 too, waits
		v := s.transfer(s.c1, "expert")
		if !v.ArrivedAt.Equal(t0) || v.Status != routing.Waiting || v.Queue != "expert" {
			t.Fatalf("transferred contact %+v", v)
		}
		s.end(later)
		s.presence("x1", routing.Ready, routing.ReasonNone) // skip wrap-up
		s.wantOffer("x1", s.c1)
	})
	t.Run("LaterEventsNeverChangeTheFirstAgentsIdleTime", func(t *testing.T) {
		s := newTransfer(t)
		s.transfer(s.c1, "expert")
		s.end(s.x1Call)
		s.presence("x1", routing.Ready, routing.ReasonNone)
		s.answer("x1")
		s.advance(100 * time.Second)
		s.end(s.c1)
		if got := s.view("a1").IdleSince; !got.Equal(t0.Add(20 * time.Second)) {
			t.Fatalf("a1 idle since %v", got)
		}
		if got := s.view("x1").IdleSince; !got.Equal(t0.Add(120 * time.Second)) {
			t.Fatalf("x1 idle since %v", got)
		}
		s.wantState("a1", routing.Ready, routing.ReasonNone)
	})
	t.Run("AbandonedAfterwardsLeavesTheFirstAgentAlone", func(t *testing.T) {
		s := newTransfer(t)
		s.transfer(s.c1, "expert")
		s.advance(5 * time.Second)
		s.end(s.c1)
		s.wantWrapUntil("a1", t0.Add(30*time.Second))
		if got := s.stats("expert").Abandoned; got != 1 {
			t.Fatalf("expert abandoned %d", got)
		}
	})
	t.Run("NotStraightBackToTheTransferringAgent", func(t *testing.T) {
		s := newTransfer(t)
		s.presence("a1", routing.Ready, routing.ReasonNone)
		s.presence("a2", routing.NotReady, routing.ReasonBreak)
		s.transfer(s.c1, "front")
		s.presence("a1", routing.Ready, routing.ReasonNone) // wrap-up over
		s.wantOffer("a1", "")
		s.presence("a2", routing.Ready, routing.ReasonNone)
		s.wantOffer("a2", s.c1)
	})
}

func TestTransfer_Errors(t *testing.T) {
	s := newTransfer(t)
	waiting := s.call("expert")
	for _, tc := range []struct {
		contact, queue string
		code           errs.Code
	}{
		{"nope", "expert", errs.NotFound},
		{s.c1, "nope", errs.NotFound},
		{waiting, "front", errs.Conflict},
	} {
		_, err := s.e.Transfer(tc.contact, tc.queue)
		wantCode(t, err, tc.code)
	}
}
