package dispatch_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// flakyReceiver answers 503 until up is set.
func flakyReceiver(t *testing.T, up *atomic.Bool) *receiver {
	return newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	})
}

// confidentialTicket is a confidential complaint whose content holds the
// citizen's phone number.
func (h *harness) confidentialTicket() *ticketing.Ticket {
	h.t.Helper()
	tk, err := h.tickets.Create(h.ctx, agent, ticketing.NewTicket{Kind: ticketing.KindComplaint,
		Channel: ticketing.ChannelPhone, Title: "举报单位拖欠工资", Content: "请回电13912345678，身份证11010519491231002X",
		Confidential: true, Citizen: ticketing.Citizen{Name: "李四", Phone: "13912345678", Address: "天河路1号"}})
	if err != nil {
		h.t.Fatal(err)
	}
	return tk
}

// dispatchedWhileDown dispatches a confidential ticket to rsj while rsj's
// webhook is down (up brings it back) and waits for the first failed attempt.
func dispatchedWhileDown(t *testing.T) (*harness, *receiver, *atomic.Bool, *ticketing.Ticket) {
	h := newHarness(t, fastConfig())
	up := &atomic.Bool{}
	rsj := flakyReceiver(t, up)
	h.department("rsj", "市人力资源和社会保障局", rsj.srv.URL)
	tk := h.confidentialTicket()
	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})
	testenv.Eventually(t, "a failed attempt at rsj", func() bool { return len(rsj.requests()) > 0 })
	return h, rsj, up, tk
}

// retryUntil waits for the delivery to reach state, retrying it by hand
// whenever its automatic retries are used up.
func (h *harness) retryUntil(id, state string) dispatch.Delivery {
	h.t.Helper()
	var d dispatch.Delivery
	testenv.Eventually(h.t, "delivery "+state, func() bool {
		var err error
		if d, err = h.store.Delivery(h.ctx, id); err != nil {
			h.t.Fatal(err)
		}
		if d.State == dispatch.StateFailed {
			if _, err := h.admin.Retry(h.ctx, admin, id); err != nil {
				h.t.Fatal(err)
			}
		}
		return d.State == state
	})
	return d
}

// The audit's reproduction: rsj's webhook is down while a confidential
// ticket is dispatched to it, returned, re-dispatched to cgj and answered
// there. When rsj's webhook is back, the retry must not post the ticket
// (before, it posted status replied, department cgj and cgj's reply).
func TestDeliver_RetryAfterRedispatchIsCancelledNotLeaked(t *testing.T) {
	h, rsj, up, tk := dispatchedWhileDown(t)
	toRSJ := h.deliveries(dispatch.DeliveryFilter{TicketID: tk.ID, Department: "rsj"})[0]

	h.act(deptActor("rsj"), tk.ID, ticketing.ActionReturn, ticketing.Request{Reason: "不属于本单位职责"})
	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "cgj"})
	h.act(deptActor("cgj"), tk.ID, ticketing.ActionSign, ticketing.Request{})
	h.act(deptActor("cgj"), tk.ID, ticketing.ActionReply, ticketing.Request{Reply: "已联系市民13912345678处理"})
	up.Store(true)

	d := h.retryUntil(toRSJ.ID, dispatch.StateCancelled)
	if !strings.Contains(d.LastError, "no longer has the ticket") {
		t.Fatalf("cancelled delivery says %q", d.LastError)
	}
	for _, r := range rsj.requests() {
		body := decodeBody(t, r.Body)
		if body.Ticket.Status != ticketing.StatusDispatched || body.Ticket.Department != "rsj" || body.Ticket.Reply != "" {
			t.Fatalf("rsj received the ticket as it is now: %s", r.Body)
		}
		if strings.Contains(string(r.Body), "13912345678") || strings.Contains(string(r.Body), "李四") || strings.Contains(string(r.Body), "天河路") {
			t.Fatalf("rsj received unmasked personal data: %s", r.Body)
		}
	}
}

// A delivery carries the ticket as it was when the event happened, masked
// for the department, however much later it is sent.
func TestDeliver_CarriesTheSnapshotOfTheEvent(t *testing.T) {
	h, rsj, up, tk := dispatchedWhileDown(t)
	h.act(deptActor("rsj"), tk.ID, ticketing.ActionSign, ticketing.Request{})
	h.act(deptActor("rsj"), tk.ID, ticketing.ActionReply, ticketing.Request{Reply: "已回电13912345678"})
	up.Store(true)

	id := h.deliveries(dispatch.DeliveryFilter{TicketID: tk.ID, Department: "rsj"})[0].ID
	h.retryUntil(id, dispatch.StateDelivered)
	reqs := rsj.requests()
	last := reqs[len(reqs)-1]
	body := decodeBody(t, last.Body)
	if !dispatch.Verify(secret, last.Body, last.Signature) {
		t.Fatal("signature does not verify")
	}
	if body.Ticket.Status != ticketing.StatusDispatched || body.Ticket.Reply != "" || body.Ticket.SignedAt != nil {
		t.Fatalf("the delivery of the dispatch carries a later state: %s", last.Body)
	}
	if body.Ticket.Content != "请回电139****5678，身份证1101**********002X" {
		t.Fatalf("content not masked: %q", body.Ticket.Content)
	}
	if c := body.Ticket.Citizen; c.Name != "" || c.Address != "" || c.Phone != "139****5678" {
		t.Fatalf("citizen of a confidential ticket: %+v", c)
	}
	// Where the department's system lives is for admins to know.
	for _, who := range []struct {
		actor auth.Actor
		shown bool
	}{{admin, true}, {supervisor, false}, {deptActor("rsj"), false}} {
		ds, err := h.admin.Deliveries(h.ctx, who.actor, dispatch.DeliveryFilter{TicketID: tk.ID})
		if err != nil || len(ds) != 1 || (ds[0].WebhookURL != "") != who.shown {
			t.Fatalf("%s lists %+v, %v", who.actor.Username, ds, err)
		}
	}
}
