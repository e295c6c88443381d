package dispatch_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// A dispatch reaches the department's webhook exactly once, signed, with
// the ticket masked as departments see it; the console hears of it too.
func TestDeliver_OnceSignedAndMasked(t *testing.T) {
	h := newHarness(t, fastConfig())
	rc := newReceiver(t, nil)
	h.department("rsj", "市人力资源和社会保障局", rc.srv.URL+"/hook")
	sub := h.bus.Subscribe(func(topic string) bool { return topic == "department:rsj" }, 8)
	defer sub.Close()

	tk := h.newTicket("13800001234")
	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})

	testenv.Eventually(t, "the webhook", func() bool { return len(rc.requests()) == 1 })
	testenv.Eventually(t, "the delivery recorded", func() bool {
		ds := h.deliveries(dispatch.DeliveryFilter{TicketID: tk.ID})
		return len(ds) == 1 && ds[0].State == dispatch.StateDelivered
	})
	h.waitIdle() // a duplicate would have arrived by now
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	if !dispatch.Verify(secret, r.Body, r.Signature) || !strings.HasPrefix(r.Signature, "sha256=") {
		t.Fatalf("signature %q does not verify", r.Signature)
	}
	body := decodeBody(t, r.Body)
	d := h.deliveries(dispatch.DeliveryFilter{TicketID: tk.ID})[0]
	if r.Event != "ticket.dispatched" || body.Event != r.Event || r.Delivery != d.ID || body.DeliveryID != d.ID {
		t.Fatalf("headers %+v body %+v, delivery %s", r, body, d.ID)
	}
	if body.Ticket.Number != tk.Number || body.Ticket.Citizen.Phone != "138****1234" ||
		strings.Contains(string(r.Body), "13800001234") || strings.Contains(string(r.Body), "11010519491231002X") {
		t.Fatalf("ticket in webhook not masked: %s", r.Body)
	}
	if d.Attempts != 1 || d.LastStatus != 200 || d.DeliveredAt == nil {
		t.Fatalf("delivery record %+v", d)
	}
	select {
	case n := <-sub.C:
		if n.Type != "ticket.dispatched" || n.TicketID != tk.ID {
			t.Fatalf("console notice %+v", n)
		}
	case <-time.After(time.Second):
		t.Fatal("no console notice")
	}
	if n, err := h.store.OutboxBacklog(h.ctx); err != nil || n != 0 {
		t.Fatalf("outbox backlog %d, %v", n, err)
	}
}

// A receiver that fails three times and then succeeds sees the same
// delivery ID four times, and the delivery records one success.
func TestDeliver_RetriesKeepTheDeliveryID(t *testing.T) {
	h := newHarness(t, fastConfig())
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	})
	h.department("rsj", "市人力资源和社会保障局", rc.srv.URL)
	tk := h.newTicket("")
	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})

	testenv.Eventually(t, "four attempts", func() bool { return len(rc.requests()) == 4 })
	testenv.Eventually(t, "the success recorded", func() bool {
		return h.deliveries(dispatch.DeliveryFilter{TicketID: tk.ID})[0].State == dispatch.StateDelivered
	})
	h.waitIdle()
	got := rc.requests()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4", len(got))
	}
	for _, r := range got {
		if r.Delivery != got[0].Delivery || string(r.Body) != string(got[0].Body) {
			t.Fatalf("attempts differ: %q vs %q", r.Delivery, got[0].Delivery)
		}
	}
	d := h.deliveries(dispatch.DeliveryFilter{TicketID: tk.ID})
	if len(d) != 1 || d[0].Attempts != 4 || d[0].LastStatus != 200 || d[0].LastError != "" {
		t.Fatalf("deliveries %+v", d)
	}
}

// Broken receivers are recorded as failed deliveries, each with its
// reason, and the workers go on delivering to others. A failed delivery
// can be retried by an admin under the same ID.
func TestDeliver_BrokenReceivers(t *testing.T) {
	cfg := fastConfig()
	cfg.MaxRetry = 1
	h := newHarness(t, cfg)
	good := newReceiver(t, nil)
	var redirected []string
	target := newReceiver(t, func(int, http.ResponseWriter, *http.Request) { redirected = append(redirected, "hit") })
	big := strings.Repeat("x", 10<<20)
	broken := map[string]struct {
		handler func(n int, w http.ResponseWriter, r *http.Request)
		want    string
	}{
		"slow": {func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, "did not answer within"},
		"redirect": {func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.srv.URL, http.StatusTemporaryRedirect)
		}, "redirect"},
		"huge":  {func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(big)) }, "larger than"},
		"error": {func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, "answer 500"},
	}
	codes := map[string]string{}
	for name, b := range broken {
		rc := newReceiver(t, b.handler)
		code := "b-" + name
		codes[code] = name
		h.department(code, "故障单位"+name, rc.srv.URL)
	}
	codes["b-unreachable"] = "unreachable"
	h.department("b-unreachable", "无法连接的单位", "http://127.0.0.1:1/hook")
	h.department("good", "正常单位", good.srv.URL)

	for code := range codes {
		tk := h.newTicket("")
		h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: code})
	}
	tk := h.newTicket("")
	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "good"})

	testenv.Eventually(t, "five failed deliveries", func() bool {
		return len(h.deliveries(dispatch.DeliveryFilter{State: dispatch.StateFailed})) == 5
	})
	for _, d := range h.deliveries(dispatch.DeliveryFilter{State: dispatch.StateFailed}) {
		name := codes[d.Department]
		if d.Attempts != 2 {
			t.Errorf("%s: %d attempts, want 2 (1 retry)", name, d.Attempts)
		}
		if want := map[string]string{"unreachable": "connect"}[name]; want == "" {
			want = broken[name].want
			if !strings.Contains(d.LastError, want) {
				t.Errorf("%s: error %q, want it to mention %q", name, d.LastError, want)
			}
		} else if !strings.Contains(d.LastError, want) {
			t.Errorf("%s: error %q, want it to mention %q", name, d.LastError, want)
		}
	}
	if len(redirected) != 0 {
		t.Fatal("the redirect was followed")
	}
	if len(good.requests()) != 1 {
		t.Fatalf("good receiver got %d deliveries", len(good.requests()))
	}

	// The error receiver is fixed; the admin retries its delivery.
	fixed := newReceiver(t, nil)
	h.department("b-error", "故障单位error", fixed.srv.URL)
	failed := h.deliveries(dispatch.DeliveryFilter{State: dispatch.StateFailed, Department: "b-error"})[0]
	if _, err := h.admin.Retry(h.ctx, agent, failed.ID); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("agent retry: %v, want forbidden", err)
	}
	if _, err := h.admin.Retry(h.ctx, admin, failed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.Retry(h.ctx, admin, failed.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("second retry of a pending delivery: %v, want conflict", err)
	}
	testenv.Eventually(t, "the retried delivery", func() bool { return len(fixed.requests()) == 1 })
	if got := fixed.requests()[0].Delivery; got != failed.ID {
		t.Fatalf("retried under delivery ID %s, want %s", got, failed.ID)
	}
	testenv.Eventually(t, "delivered", func() bool {
		d, err := h.store.Delivery(h.ctx, failed.ID)
		return err == nil && d.State == dispatch.StateDelivered && d.Attempts == 3
	})
	if _, err := h.admin.Retry(h.ctx, admin, "not-a-uuid"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("retry of a malformed ID: %v", err)
	}
}

// Departments see only their own deliveries.
func TestDeliveries_DepartmentSeesItsOwn(t *testing.T) {
	h := newHarness(t, fastConfig())
	for _, d := range []string{"rsj", "cgj"} {
		tk := h.newTicket("")
		h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: d})
	}
	ds, err := h.admin.Deliveries(h.ctx, deptActor("rsj"), dispatch.DeliveryFilter{Department: "cgj"})
	if err != nil || len(ds) != 1 || ds[0].Department != "rsj" {
		t.Fatalf("rsj sees %+v, %v", ds, err)
	}
	if _, err := h.admin.Deliveries(h.ctx, agent, dispatch.DeliveryFilter{}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("agent lists deliveries: %v", err)
	}
	if _, err := h.admin.Deliveries(h.ctx, admin, dispatch.DeliveryFilter{State: "lost"}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("unknown state: %v", err)
	}
}
