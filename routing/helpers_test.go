package routing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// t0 is a weekday morning in UTC; tests that care about midnight set their
// own location.
var t0 = time.Date(2026, 9, 30, 10, 0, 0, 0, time.UTC)

// harness is an engine on a fake clock that records every event and checks
// the engine's invariants after each step it takes.
type harness struct {
	t      *testing.T
	clk    *clock.Fake
	e      *routing.Engine
	sub    *routing.Subscription
	events []routing.Event // taken from sub by drained
}

func newHarness(t *testing.T, queues ...routing.QueueConfig) *harness {
	t.Helper()
	return newHarnessWith(t, routing.Config{}, t0, queues...)
}

func newHarnessWith(t *testing.T, cfg routing.Config, start time.Time, queues ...routing.QueueConfig) *harness {
	t.Helper()
	h := &harness{t: t, clk: clock.NewFake(start)}
	h.e = routing.New(h.clk, cfg)
	h.sub = h.e.Subscribe()
	t.Cleanup(h.sub.Close)
	for _, q := range queues {
		if err := h.e.SetQueue(q); err != nil {
			t.Fatalf("SetQueue(%s): %v", q.Name, err)
		}
	}
	t.Cleanup(h.check)
	return h
}

// drained takes the events queued for the harness and returns every event
// since the last forget. The harness drives the engine from the test's
// goroutine, so a step's events are queued once its call returns.
func (h *harness) drained() []routing.Event {
	for ev, ok := h.sub.TryNext(); ok; ev, ok = h.sub.TryNext() {
		h.events = append(h.events, ev)
	}
	return h.events
}

// forget drops the events so far.
func (h *harness) forget() {
	h.drained()
	h.events = nil
}

// check fails the test when the engine breaks an invariant.
func (h *harness) check() {
	h.t.Helper()
	if err := h.e.Check(); err != nil {
		h.t.Fatalf("Check at %s: %v", h.clk.Now().Format(time.TimeOnly), err)
	}
}

// skills builds a skill map: skills("a", "b") puts the agent at level 1 in
// queues a and b.
func skills(queues ...string) map[string]int {
	m := map[string]int{}
	for _, q := range queues {
		m[q] = 1
	}
	return m
}

// ready logs an agent in with the profile and makes it ready.
func (h *harness) ready(p routing.Profile) {
	h.t.Helper()
	if _, err := h.e.Login(p); err != nil {
		h.t.Fatalf("Login(%s): %v", p.ID, err)
	}
	h.presence(p.ID, routing.Ready, routing.ReasonNone)
}

// readyIn logs in and readies each agent with level 1 in the queues.
func (h *harness) readyIn(ids []string, queues ...string) {
	h.t.Helper()
	for _, id := range ids {
		h.ready(routing.Profile{ID: id, Skills: skills(queues...)})
	}
}

func (h *harness) presence(id string, s routing.State, r routing.Reason) {
	h.t.Helper()
	if _, err := h.e.SetPresence(id, s, r); err != nil {
		h.t.Fatalf("SetPresence(%s, %s): %v", id, s, err)
	}
	h.check()
}

func (h *harness) enqueue(c routing.Contact) routing.ContactView {
	h.t.Helper()
	v, err := h.e.Enqueue(c)
	if err != nil {
		h.t.Fatalf("Enqueue(%+v): %v", c, err)
	}
	h.check()
	return v
}

func (h *harness) call(queue string) string {
	h.t.Helper()
	return h.enqueue(routing.Contact{Channel: routing.Voice, Queue: queue}).ID
}

func (h *harness) chat(queue string) string {
	h.t.Helper()
	return h.enqueue(routing.Contact{Channel: routing.Chat, Queue: queue}).ID
}

func (h *harness) view(id string) routing.AgentView {
	h.t.Helper()
	v, ok := h.e.Agent(id)
	if !ok {
		h.t.Fatalf("no agent %s", id)
	}
	return v
}

// offered returns the id of the contact ringing for the agent, or "".
func (h *harness) offered(agent string) string {
	h.t.Helper()
	if o := h.view(agent).Offer; o != nil {
		return o.Contact.ID
	}
	return ""
}

func (h *harness) offerID(agent string) string {
	h.t.Helper()
	o := h.view(agent).Offer
	if o == nil {
		h.t.Fatalf("agent %s has no offer", agent)
	}
	return o.ID
}

// wantOffer fails unless the agent is being offered the contact.
func (h *harness) wantOffer(agent, contact string) {
	h.t.Helper()
	if got := h.offered(agent); got != contact {
		h.t.Fatalf("agent %s is offered %q, want %q", agent, got, contact)
	}
}

// answer accepts the agent's offer and returns the contact's id.
func (h *harness) answer(agent string) string {
	h.t.Helper()
	c, err := h.e.Accept(agent, h.offerID(agent))
	if err != nil {
		h.t.Fatalf("Accept(%s): %v", agent, err)
	}
	h.check()
	return c.ID
}

func (h *harness) decline(agent string) {
	h.t.Helper()
	if err := h.e.Decline(agent, h.offerID(agent)); err != nil {
		h.t.Fatalf("Decline(%s): %v", agent, err)
	}
	h.check()
}

func (h *harness) end(contact string) routing.ContactView {
	h.t.Helper()
	v, err := h.e.End(contact)
	if err != nil {
		h.t.Fatalf("End(%s): %v", contact, err)
	}
	h.check()
	return v
}

// advance moves the clock and fires the timers that are due.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clk.Advance(d)
	h.e.Expire()
	h.check()
}

func (h *harness) wantState(agent string, s routing.State, r routing.Reason) {
	h.t.Helper()
	if v := h.view(agent); v.State != s || v.Reason != r {
		h.t.Fatalf("agent %s is %s/%q, want %s/%q", agent, v.State, v.Reason, s, r)
	}
}

func (h *harness) stats(queue string) routing.QueueStats {
	h.t.Helper()
	for _, s := range h.e.Stats() {
		if s.Queue == queue {
			return s
		}
	}
	h.t.Fatalf("no stats for queue %s", queue)
	return routing.QueueStats{}
}

// contactStatus returns a live contact's status, or "" once it is gone.
func (h *harness) contactStatus(id string) routing.ContactStatus {
	all := h.e.Contacts()
	i := slices.IndexFunc(all, func(c routing.ContactView) bool { return c.ID == id })
	if i < 0 {
		return ""
	}
	return all[i].Status
}

// withdrawn returns the reasons of the offer.withdrawn events for the
// agent and contact, in order.
func (h *harness) withdrawn(agent, contact string) []string {
	var out []string
	for _, ev := range h.drained() {
		if ev.Kind == routing.EventWithdrawn && ev.Offer.Agent == agent && ev.Offer.Contact.ID == contact {
			out = append(out, ev.Reason)
		}
	}
	return out
}

func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if got := errs.CodeOf(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func sec(n int) time.Duration { return time.Duration(n) * time.Second }
