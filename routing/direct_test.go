package routing_test

import (
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// directSetup: a1 and a2 take chats in front (two at once), x1 is in
// expert only; a1 answered the chat c1.
type directSetup struct {
	*harness
	c1 string
}

func newDirect(t *testing.T) directSetup {
	h := newHarness(t,
		routing.QueueConfig{Name: "front", WrapUpSeconds: 0, RingSeconds: 20},
		routing.QueueConfig{Name: "expert"})
	h.ready(routing.Profile{ID: "a1", Skills: skills("front"), ChatCapacity: 2})
	s := directSetup{harness: h, c1: h.chat("front")}
	h.answer("a1")
	h.ready(routing.Profile{ID: "a2", Skills: skills("front"), ChatCapacity: 2})
	h.ready(routing.Profile{ID: "x1", Skills: skills("expert"), ChatCapacity: 1})
	h.forget()
	return s
}

func TestTransferToAgent(t *testing.T) {
	t.Run("RingsForThatAgentAloneEvenOutsideItsQueues", func(t *testing.T) {
		s := newDirect(t)
		v, err := s.e.TransferToAgent(s.c1, "x1")
		if err != nil {
			t.Fatal(err)
		}
		s.check()
		if v.Status != routing.Offered || v.Queue != "front" || v.Agent != "" {
			t.Fatalf("transferred contact %+v", v)
		}
		s.wantOffer("x1", s.c1)
		s.wantOffer("a2", "") // ready in front, but the contact is x1's to take
		if got := len(s.view("a1").Contacts); got != 0 {
			t.Fatalf("a1 still has %d contacts", got)
		}
		ended := false
		for _, ev := range s.drained() {
			ended = ended || ev.Kind == routing.EventEnded && ev.Contact.ID == s.c1 && ev.Reason == routing.EndedTransferred && ev.Contact.Agent == "a1"
		}
		if !ended {
			t.Fatal("no contact.ended (transferred) for a1")
		}
		s.forget()
		s.answer("x1")
		var assigned *routing.ContactView
		for _, ev := range s.drained() {
			if ev.Kind == routing.EventAssigned {
				assigned = ev.Contact
			}
		}
		if assigned == nil || assigned.ID != s.c1 || assigned.Agent != "x1" {
			t.Fatalf("assigned event %+v, want c1 with x1", assigned)
		}
	})
	t.Run("DeclinedItWaitsForAnyoneButTheFirstAgent", func(t *testing.T) {
		s := newDirect(t)
		if _, err := s.e.TransferToAgent(s.c1, "x1"); err != nil {
			t.Fatal(err)
		}
		s.decline("x1")
		s.wantOffer("a2", s.c1)
		s.wantOffer("a1", "")
	})
	t.Run("RangOutItWaitsInItsQueue", func(t *testing.T) {
		s := newDirect(t)
		s.presence("a2", routing.NotReady, routing.ReasonBreak)
		if _, err := s.e.TransferToAgent(s.c1, "x1"); err != nil {
			t.Fatal(err)
		}
		s.advance(sec(20))
		s.wantState("x1", routing.NotReady, routing.ReasonMissed)
		if got := s.contactStatus(s.c1); got != routing.Waiting {
			t.Fatalf("after ringing out c1 is %q, want waiting", got)
		}
		s.presence("a2", routing.Ready, routing.ReasonNone)
		s.wantOffer("a2", s.c1)
	})
}

func TestTransferToAgent_Refused(t *testing.T) {
	s := newDirect(t)
	waiting := s.chat("expert") // x1 is offered it: ringing
	if _, err := s.e.Login(routing.Profile{ID: "b1", Skills: skills("front")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.e.SetProfile(routing.Profile{ID: "off", Skills: skills("front")}); err != nil {
		t.Fatal(err)
	}
	s.presence("a1", routing.NotReady, routing.ReasonBreak) // a1 keeps c1 and takes nothing more
	for range 2 {                                           // a2 is full
		s.chat("front")
		s.answer("a2")
	}
	for _, tc := range []struct {
		name, contact, agent string
		code                 errs.Code
	}{
		{"UnknownContact", "nope", "a2", errs.NotFound},
		{"UnknownAgent", s.c1, "nobody", errs.NotFound},
		{"NotConnected", waiting, "a2", errs.Conflict},
		{"ToItself", s.c1, "a1", errs.Conflict},
		{"Offline", s.c1, "off", errs.Conflict},
		{"NotReady", s.c1, "b1", errs.Conflict},
		{"Ringing", s.c1, "x1", errs.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.e.TransferToAgent(tc.contact, tc.agent)
			wantCode(t, err, tc.code)
		})
	}
	t.Run("CanTakeSaysTheSame", func(t *testing.T) {
		wantCode(t, s.e.CanTake("nobody", routing.Chat), errs.NotFound)
		wantCode(t, s.e.CanTake("off", routing.Chat), errs.Conflict)
		wantCode(t, s.e.CanTake("a2", routing.Chat), errs.Conflict)
		if err := s.e.CanTake("a1", routing.Voice); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("a1 with a chat, on break, for a call: %v", err)
		}
	})
	t.Run("NoRoom", func(t *testing.T) {
		_, err := s.e.TransferToAgent(s.c1, "a2")
		wantCode(t, err, errs.Conflict)
	})
	// Nothing changed: c1 is still a1's.
	if v := s.view("a1"); len(v.Contacts) != 1 || v.Contacts[0].ID != s.c1 {
		t.Fatalf("after refused transfers a1 has %+v", v.Contacts)
	}
}

// An agent places a callback: busy with it at once, counted in no
// queue, wrap-up of its queue after; offers wait meanwhile.
func TestPlace(t *testing.T) {
	h := newHarness(t, routing.QueueConfig{Name: "general", WrapUpSeconds: 10, RingSeconds: 20})
	h.ready(routing.Profile{ID: "a1", Skills: skills("general")})
	h.presence("a1", routing.NotReady, routing.ReasonBreak) // stepped out to call back
	v, err := h.e.Place("a1", routing.Contact{Channel: routing.Voice, Queue: "general", Caller: "13812345678", Ref: "77"})
	if err != nil {
		t.Fatal(err)
	}
	h.check()
	if v.Status != routing.Connected || v.Agent != "a1" || !v.Outbound {
		t.Fatalf("placed contact %+v, want connected to a1, outbound", v)
	}
	h.wantState("a1", routing.Busy, routing.ReasonNone)
	if st := h.stats("general"); st.Answered != 0 {
		t.Fatalf("queue figures %+v, want nothing counted for a placed call", st)
	}
	h.presence("a1", routing.Ready, routing.ReasonNone)
	waiting := h.call("general")
	h.wantOffer("a1", "") // busy on the callback
	if _, err := h.e.Place("a1", routing.Contact{Channel: routing.Voice, Queue: "general"}); errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("a second placed call: %v, want conflict", err)
	}
	h.end(v.ID)
	h.wantState("a1", routing.WrapUp, routing.ReasonNone)
	if err := h.e.Missed("nobody"); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("Missed of nobody: %v", err)
	}
	h.advance(sec(10))
	h.wantOffer("a1", waiting)

	for _, tc := range []struct {
		name  string
		agent string
		in    routing.Contact
		code  errs.Code
	}{
		{"Chat", "a1", routing.Contact{Channel: routing.Chat, Queue: "general"}, errs.Invalid},
		{"UnknownAgent", "nobody", routing.Contact{Channel: routing.Voice, Queue: "general"}, errs.NotFound},
		{"UnknownQueue", "a1", routing.Contact{Channel: routing.Voice, Queue: "nope"}, errs.NotFound},
		{"Ringing", "a1", routing.Contact{Channel: routing.Voice, Queue: "general"}, errs.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.e.Place(tc.agent, tc.in)
			wantCode(t, err, tc.code)
		})
	}
	if v, err := h.e.Enqueue(routing.Contact{Channel: routing.Voice, Queue: "general", Outbound: true}); err != nil || v.Outbound {
		t.Fatalf("an enqueued contact %+v (%v) claims to be outbound", v, err)
	}
}

// A consultative transfer hands the connected call to the consulted
// agent at once: the first is released (ended, transferred), the second
// has it without an offer, even when not ready.
func TestHandover(t *testing.T) {
	h := newHarness(t, routing.QueueConfig{Name: "general", WrapUpSeconds: 0, RingSeconds: 20})
	h.ready(routing.Profile{ID: "a1", Skills: skills("general")})
	c := h.call("general")
	h.answer("a1")
	h.ready(routing.Profile{ID: "a2", Skills: skills("general")})
	h.presence("a2", routing.NotReady, routing.ReasonBreak)
	h.forget()
	for _, tc := range []struct {
		name, contact, agent string
		code                 errs.Code
	}{
		{"UnknownContact", "nope", "a2", errs.NotFound},
		{"UnknownAgent", c, "nobody", errs.NotFound},
		{"Itself", c, "a1", errs.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.e.Handover(tc.contact, tc.agent)
			wantCode(t, err, tc.code)
		})
	}
	v, err := h.e.Handover(c, "a2")
	if err != nil {
		t.Fatal(err)
	}
	h.check()
	if v.Agent != "a2" || v.Status != routing.Connected {
		t.Fatalf("handed over %+v", v)
	}
	var ended, assigned bool
	for _, ev := range h.drained() {
		ended = ended || ev.Kind == routing.EventEnded && ev.Reason == routing.EndedTransferred && ev.Contact.Agent == "a1"
		assigned = assigned || ev.Kind == routing.EventAssigned && ev.Contact.Agent == "a2"
	}
	if !ended || !assigned {
		t.Fatalf("events: ended for a1 %v, assigned to a2 %v", ended, assigned)
	}
	h.wantState("a2", routing.Busy, routing.ReasonNone)
	if got := len(h.view("a1").Contacts); got != 0 {
		t.Fatalf("a1 keeps %d contacts", got)
	}
	other := h.call("general")
	h.answer("a1")
	if _, err := h.e.Handover(other, "a2"); errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("handover to an agent on another call: %v", err)
	}
}
