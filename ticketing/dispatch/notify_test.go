package dispatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// events returns the ticket's history entries with the given action.
func (h *harness) events(id int64, action string) []ticketing.Event {
	h.t.Helper()
	evs, _, err := h.tickets.Events(h.ctx, admin, id, ticketing.EventQuery{Limit: ticketing.MaxEventPage})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []ticketing.Event
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// The citizen gets an SMS with the ticket number when it is recorded and
// another when the department replies; a gateway failure is retried; each
// notification is recorded on the ticket with the phone masked.
func TestNotify_CitizenSMS(t *testing.T) {
	h := newHarness(t, fastConfig())
	h.sms.fails = 2
	tk := h.newTicket("13800001234")
	testenv.Eventually(t, "the accepted SMS", func() bool { return len(h.events(tk.ID, "notify")) == 1 })
	msgs := h.sms.messages()
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "13800001234 ") || !strings.Contains(msgs[0], tk.Number) {
		t.Fatalf("sms = %q", msgs)
	}
	ev := h.events(tk.ID, "notify")[0]
	if ev.Payload["template"] != "accepted" || ev.Payload["to"] != "138****1234" || ev.Payload["state"] != "sent" {
		t.Fatalf("notify event %+v", ev.Payload)
	}

	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})
	h.act(deptActor("rsj"), tk.ID, ticketing.ActionSign, ticketing.Request{})
	h.act(deptActor("rsj"), tk.ID, ticketing.ActionReply, ticketing.Request{Reply: "已安排清运，今后每日清运一次。"})
	testenv.Eventually(t, "the replied SMS", func() bool { return len(h.events(tk.ID, "notify")) == 2 })
	if msgs := h.sms.messages(); !strings.Contains(msgs[1], "已安排清运") {
		t.Fatalf("reply sms = %q", msgs[1])
	}
	h.waitIdle()
	if n := len(h.sms.messages()); n != 2 {
		t.Fatalf("%d SMS sent, want 2", n)
	}
}

// A gateway that never works leaves a failed notification on the ticket.
func TestNotify_GatewayDownIsRecorded(t *testing.T) {
	cfg := fastConfig()
	cfg.MaxRetry = 1
	h := newHarness(t, cfg)
	h.sms.fails = 1000
	tk := h.newTicket("13800001234")
	testenv.Eventually(t, "the failure recorded", func() bool { return len(h.events(tk.ID, "notify")) == 1 })
	if ev := h.events(tk.ID, "notify")[0]; ev.Payload["state"] != "failed" || ev.Payload["error"] == "" {
		t.Fatalf("notify event %+v", ev.Payload)
	}
}

// The sweep, as the queue runs it, urges an unsigned ticket after the
// National Day holiday, warns once however often it runs, and tells the
// department's webhook each time.
func TestSweep_ThroughTheQueue(t *testing.T) {
	h := newHarness(t, fastConfig())
	rc := newReceiver(t, nil)
	h.department("rsj", "市人力资源和社会保障局", rc.srv.URL)
	tk := h.newTicket("")
	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"}) // 2026-09-30 10:00
	testenv.Eventually(t, "the dispatch delivery", func() bool { return len(rc.requests()) == 1 })

	sweep := func() {
		t.Helper()
		if _, err := h.client.Enqueue(dispatch.NewSweepTask(time.Second)); err != nil {
			t.Fatal(err)
		}
		h.waitIdle() // the sweep task has no result to wait on
	}
	h.clock.Set(time.Date(2026, 10, 8, 23, 59, 59, 0, h.loc))
	sweep()
	if n := len(h.events(tk.ID, "urge")); n != 0 {
		t.Fatalf("%d urges before the sign deadline", n)
	}
	h.clock.Set(time.Date(2026, 10, 9, 0, 0, 0, 0, h.loc))
	sweep()
	sweep()
	if urges := h.events(tk.ID, "urge"); len(urges) != 1 || urges[0].Payload["reason"] != "sign_overdue" || urges[0].ActorName != "system" {
		t.Fatalf("urges %+v", urges)
	}
	h.act(deptActor("rsj"), tk.ID, ticketing.ActionSign, ticketing.Request{})
	h.clock.Set(time.Date(2026, 10, 22, 21, 12, 0, 0, h.loc))
	sweep()
	sweep()
	if n := len(h.events(tk.ID, "warn")); n != 1 {
		t.Fatalf("%d warnings, want 1", n)
	}
	testenv.Eventually(t, "the department told", func() bool {
		var events []string
		for _, r := range rc.requests() {
			events = append(events, r.Event)
		}
		return strings.Join(events, ",") == "ticket.dispatched,ticket.sign_overdue,ticket.warning"
	})
}
