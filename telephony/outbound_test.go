package telephony_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/ticketing"
)

// scriptedDialer ends each placed call as the test says, once told.
type scriptedDialer struct {
	placed chan telephony.OutboundCall
	result chan telephony.OutboundResult
}

func (d *scriptedDialer) Ready() error { return nil }

func (d *scriptedDialer) Place(ctx context.Context, c telephony.OutboundCall) telephony.OutboundResult {
	d.placed <- c
	select {
	case r := <-d.result:
		return r
	case <-ctx.Done():
		return telephony.OutboundResult{NotReached: telephony.NotReachedFailed}
	}
}

// oneTicket is a ticket store of one ticket, waiting for its callback,
// that records the callback actions taken.
type oneTicket struct {
	t    ticketing.Ticket
	acts chan ticketing.Request
}

func (o *oneTicket) Get(_ context.Context, _ auth.Actor, id int64) (*ticketing.Ticket, error) {
	if id != o.t.ID {
		return nil, errs.E(errs.NotFound, "no ticket %d", id)
	}
	t := o.t
	return &t, nil
}

func (o *oneTicket) Act(_ context.Context, _ auth.Actor, id int64, a ticketing.Action, req ticketing.Request) (*ticketing.Ticket, error) {
	if id != o.t.ID || a != ticketing.ActionCallback && a != ticketing.ActionNote {
		return nil, errs.E(errs.Invalid, "unexpected %s on %d", a, id)
	}
	o.acts <- req
	t := o.t
	return &t, nil
}

// closedAt is hours that are open only while open is true.
type closedAt struct{ open bool }

func (h *closedAt) OpenAt(context.Context, time.Time) (bool, error) { return h.open, nil }

type outboundEnv struct {
	calls   *telephony.Calls
	rec     *telephony.CallRecorder
	out     *telephony.OutboundCalls
	dialer  *scriptedDialer
	tickets *oneTicket
	engine  *routing.Engine
	hours   *closedAt
	clk     *clock.Fake
}

var agentActor = auth.Actor{Username: "agent1", Role: auth.RoleAgent}

func newOutbound(t *testing.T, perDay int) *outboundEnv {
	t.Helper()
	db := pgtest.NewDB(t)
	e := &outboundEnv{clk: clock.NewFake(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)), hours: &closedAt{open: true},
		dialer: &scriptedDialer{placed: make(chan telephony.OutboundCall, 1), result: make(chan telephony.OutboundResult)}}
	// A real ticket, which the call's record refers to; its callback is
	// the fake's to record.
	tk, err := ticketing.NewService(postgres.NewTicketStore(db), e.clk, time.UTC, slog.New(slog.DiscardHandler)).Create(context.Background(),
		agentActor, ticketing.NewTicket{Kind: ticketing.KindComplaint, Channel: ticketing.ChannelPhone, Title: "夜间施工噪音",
			Content: "每晚十一点后仍在施工", Citizen: ticketing.Citizen{Name: "张三", Phone: "13900007777"}})
	if err != nil {
		t.Fatal(err)
	}
	tk.Status = ticketing.StatusReplied
	e.tickets = &oneTicket{t: *tk, acts: make(chan ticketing.Request, 8)}
	e.calls = telephony.NewCalls(postgres.NewCallStore(db), e.clk)
	e.rec = newCallLog(t, e.calls)
	e.engine = routing.New(e.clk, routing.Config{})
	if err := e.engine.SetQueue(routing.QueueConfig{Name: "general"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.Login(routing.Profile{ID: "agent1", Skills: map[string]int{"general": 1}}); err != nil {
		t.Fatal(err)
	}
	e.out = telephony.NewOutboundCalls(e.calls, e.rec, e.dialer, e.engine, postgres.NewQuotaStore(db), e.tickets, e.clk,
		slog.New(slog.DiscardHandler), telephony.OutboundConfig{PerDay: perDay, Hours: e.hours, HoursDoc: "08:00-21:00",
			Location: time.FixedZone("CST", 8*3600)})
	t.Cleanup(e.out.Close)
	return e
}

// call places a call and waits until the dialer has it.
func (e *outboundEnv) call(t *testing.T, req telephony.OutboundRequest) telephony.OutboundCall {
	t.Helper()
	if _, err := e.out.Call(context.Background(), agentActor, req); err != nil {
		t.Fatal(err)
	}
	return <-e.dialer.placed
}

// end ends the placed call with res and waits until the agent is free.
func (e *outboundEnv) end(t *testing.T, res telephony.OutboundResult) {
	t.Helper()
	e.dialer.result <- res
	testenv.Eventually(t, "the placed contact ended", func() bool {
		v, _ := e.engine.Agent("agent1")
		return len(v.Contacts) == 0
	})
}

// missed records an abandoned call from phone: it goes on the list.
func (e *outboundEnv) missed(t *testing.T, phone string) telephony.Callback {
	t.Helper()
	ctx := context.Background()
	c, err := e.calls.Start(ctx, telephony.NewCall{Direction: telephony.Inbound, Caller: phone, Callee: "12345"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.calls.Finish(ctx, c.ID, telephony.OutcomeAbandoned, telephony.HangupCaller); err != nil {
		t.Fatal(err)
	}
	return e.entry(t, phone)
}

func (e *outboundEnv) entry(t *testing.T, phone string) telephony.Callback {
	t.Helper()
	cbs, _, err := e.calls.Callbacks(context.Background(), auth.Actor{Role: auth.RoleSupervisor}, telephony.CallbackFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cb := range cbs {
		if cb.Phone == phone {
			return cb
		}
	}
	t.Fatalf("no entry for %s in %+v", phone, cbs)
	return telephony.Callback{}
}

// A 回访 call dials the ticket's citizen as the agent's placed contact;
// the citizen's key becomes the ticket's callback, by the agent.
func TestOutbound_TicketCallbackRecordsTheKeyedScore(t *testing.T) {
	e := newOutbound(t, 3)
	placed := e.call(t, telephony.OutboundRequest{TicketID: e.tickets.t.ID})
	if placed.Phone != "13900007777" || placed.Agent != "agent1" || placed.TicketID != e.tickets.t.ID {
		t.Fatalf("placed %+v", placed)
	}
	if v, _ := e.engine.Agent("agent1"); v.State != routing.Busy || len(v.Contacts) != 1 || !v.Contacts[0].Outbound {
		t.Fatalf("agent1 while calling: %+v", v)
	}
	e.end(t, telephony.OutboundResult{Dialled: true, Reached: true, Satisfaction: 2})
	req := <-e.tickets.acts
	if req.Satisfaction != 2 || req.Satisfied == nil || *req.Satisfied || !strings.Contains(req.Note, placed.ID) {
		t.Fatalf("callback action %+v, want 2, not satisfied, naming the call", req)
	}
	id, _ := strconv.ParseInt(placed.ID, 10, 64)
	if err := e.rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := e.calls.Get(context.Background(), agentActor, id)
	if err != nil || c.Direction != telephony.Outbound || c.Callee != "13900007777" || c.Caller != "12345" || c.TicketID != e.tickets.t.ID {
		t.Fatalf("the call's record %+v, %v", c, err)
	}
}

// One number is called at most PerDay times a calendar day (Beijing
// time); a call whose citizen was never dialled (the agent did not
// answer) does not count; the next day counts afresh.
func TestOutbound_PerDayLimit(t *testing.T) {
	e := newOutbound(t, 2)
	e.call(t, telephony.OutboundRequest{TicketID: e.tickets.t.ID})
	e.end(t, telephony.OutboundResult{NotReached: telephony.NotReachedAgent})
	for range 2 {
		placed := e.call(t, telephony.OutboundRequest{TicketID: e.tickets.t.ID})
		e.end(t, telephony.OutboundResult{Dialled: true, NotReached: telephony.NotReachedBusy})
		if note := <-e.tickets.acts; !strings.Contains(note.Text, "忙线") || !strings.Contains(note.Text, placed.ID) {
			t.Fatalf("the ticket's note of the busy 回访: %q", note.Text)
		}
	}
	_, err := e.out.Call(context.Background(), agentActor, telephony.OutboundRequest{TicketID: e.tickets.t.ID})
	var refusal *errs.Error
	if !errors.As(err, &refusal) || refusal.Code != errs.RateLimited || refusal.RetryAfter != 6*time.Hour {
		t.Fatalf("a third dialled call: %v, want rate_limited until midnight in Beijing (6 h)", err)
	}
	e.clk.Advance(6 * time.Hour)
	e.call(t, telephony.OutboundRequest{TicketID: e.tickets.t.ID})
	e.end(t, telephony.OutboundResult{Dialled: true, Reached: true})
}

// Outside the callback hours nobody is called; agents only; the agent
// must be free.
func TestOutbound_Refusals(t *testing.T) {
	e := newOutbound(t, 3)
	e.hours.open = false
	_, err := e.out.Call(context.Background(), agentActor, telephony.OutboundRequest{TicketID: e.tickets.t.ID})
	if errs.CodeOf(err) != errs.Conflict || !strings.Contains(err.Error(), "08:00-21:00") {
		t.Fatalf("at night: %v, want a conflict naming the hours", err)
	}
	e.hours.open = true
	for _, tc := range []struct {
		name  string
		actor auth.Actor
		req   telephony.OutboundRequest
		code  errs.Code
	}{
		{"Supervisor", auth.Actor{Username: "sv", Role: auth.RoleSupervisor}, telephony.OutboundRequest{TicketID: e.tickets.t.ID}, errs.Forbidden},
		{"Department", auth.Actor{Username: "d", Role: auth.RoleDepartment, Department: "cgj"}, telephony.OutboundRequest{TicketID: e.tickets.t.ID}, errs.Forbidden},
		{"Nothing", agentActor, telephony.OutboundRequest{}, errs.Invalid},
		{"Two", agentActor, telephony.OutboundRequest{TicketID: e.tickets.t.ID, CallID: 1}, errs.Invalid},
		{"Negative", agentActor, telephony.OutboundRequest{CallbackID: -1}, errs.Invalid},
		{"UnknownTicket", agentActor, telephony.OutboundRequest{TicketID: e.tickets.t.ID + 1}, errs.NotFound},
		{"UnknownEntry", agentActor, telephony.OutboundRequest{CallbackID: 999}, errs.NotFound},
		{"UnknownCall", agentActor, telephony.OutboundRequest{CallID: 999}, errs.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.out.Call(context.Background(), tc.actor, tc.req); errs.CodeOf(err) != tc.code {
				t.Errorf("%v, want %s", err, tc.code)
			}
		})
	}
	e.tickets.t.Citizen.Phone = "" // an anonymous ticket
	if _, err := e.out.Call(context.Background(), agentActor, telephony.OutboundRequest{TicketID: e.tickets.t.ID}); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("a ticket without a phone: %v, want invalid", err)
	}
	e.tickets.t.Citizen.Phone = "13900007777"
	e.call(t, telephony.OutboundRequest{TicketID: e.tickets.t.ID})
	if _, err := e.out.Call(context.Background(), agentActor, telephony.OutboundRequest{TicketID: e.tickets.t.ID}); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("a second call while on the first: %v, want conflict", err)
	}
	e.end(t, telephony.OutboundResult{Dialled: true, Reached: true})
}

// A missed-call entry is dialled (one agent at a time), goes back to
// waiting when the citizen is not reached, and is unreachable after the
// attempts; a citizen who calls again meanwhile is merged into it. A
// reached entry is done with.
func TestOutbound_CallbackEntryStates(t *testing.T) {
	e := newOutbound(t, 10)
	cb := e.missed(t, "13800001111")
	if cb.State != telephony.CallbackWaiting || cb.Attempts != 0 || cb.Calls != 1 {
		t.Fatalf("new entry %+v", cb)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		placed := e.call(t, telephony.OutboundRequest{CallbackID: cb.ID})
		if placed.Phone != "13800001111" {
			t.Fatalf("dialled %s", placed.Phone)
		}
		if got := e.entry(t, "13800001111"); got.State != telephony.CallbackDialling || got.Agent != "agent1" || got.LastAttemptAt == nil {
			t.Fatalf("attempt %d: entry while dialling %+v", attempt, got)
		}
		if attempt == 1 {
			if _, err := e.out.Call(context.Background(), agentActor, telephony.OutboundRequest{CallbackID: cb.ID}); errs.CodeOf(err) != errs.Conflict {
				t.Fatalf("the entry dialled twice at once: %v", err)
			}
			if merged := e.missed(t, "13800001111"); merged.ID != cb.ID || merged.Calls != 2 {
				t.Fatalf("the citizen called again while being dialled: %+v, want merged into entry %d", merged, cb.ID)
			}
		}
		e.end(t, telephony.OutboundResult{Dialled: true, NotReached: telephony.NotReachedNoAnswer})
		want := telephony.CallbackWaiting
		if attempt == 3 {
			want = telephony.CallbackUnreachable
		}
		if got := e.entry(t, "13800001111"); got.State != want || got.Attempts != attempt {
			t.Fatalf("after attempt %d: %+v, want %s", attempt, got, want)
		}
	}
	if _, err := e.out.Call(context.Background(), agentActor, telephony.OutboundRequest{CallbackID: cb.ID}); errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("an unreachable entry dialled again: %v", err)
	}

	other := e.missed(t, "13800002222")
	e.call(t, telephony.OutboundRequest{CallbackID: other.ID})
	e.end(t, telephony.OutboundResult{NotReached: telephony.NotReachedAgent}) // the agent's phone did not answer
	if got := e.entry(t, "13800002222"); got.State != telephony.CallbackWaiting || got.Attempts != 0 {
		t.Fatalf("after the agent missed it: %+v, want waiting, no attempt", got)
	}
	e.call(t, telephony.OutboundRequest{CallbackID: other.ID})
	e.end(t, telephony.OutboundResult{Dialled: true, Reached: true})
	if got := e.entry(t, "13800002222"); got.State != telephony.CallbackReached || got.Attempts != 1 {
		t.Fatalf("after reaching the citizen: %+v", got)
	}
	if again := e.missed(t, "13800002222"); again.ID == other.ID || again.State != telephony.CallbackWaiting {
		t.Fatalf("a new missed call after the callback: %+v, want a new entry", again)
	}
}

// Callback work: an idle ready agent is given the entry due first, but
// never while a citizen's call waits, and no more agents than the share
// at once; an agent whose phone lets it ring out is set not ready.
func TestCallbackWork_OffersDueEntriesToIdleAgents(t *testing.T) {
	e := newOutbound(t, 10)
	work := telephony.NewCallbackWork(e.out, e.engine, 0.5, e.clk, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	first := e.missed(t, "13800001111")
	e.clk.Advance(time.Minute)
	second := e.missed(t, "13800002222")
	offer := func(want int) {
		t.Helper()
		n, err := work.Offer(ctx)
		if err != nil || n != want {
			t.Fatalf("offer: %d placed, %v; want %d", n, err, want)
		}
	}
	offer(0) // agent1 is logged in but not ready
	if _, err := e.engine.SetPresence("agent1", routing.Ready, routing.ReasonNone); err != nil {
		t.Fatal(err)
	}
	waiting, err := e.engine.Enqueue(routing.Contact{Channel: routing.Voice, Queue: "general", Caller: "13900000000", Ref: "in-1"})
	if err != nil {
		t.Fatal(err)
	}
	offer(0) // a citizen's call waits (rings agent1)
	if _, err := e.engine.End(waiting.ID); err != nil {
		t.Fatal(err)
	}
	offer(1)
	if placed := <-e.dialer.placed; placed.Phone != "13800001111" || placed.Agent != "agent1" {
		t.Fatalf("placed %+v, want the first due entry to agent1", placed)
	}
	offer(0) // agent1 is busy with it
	e.end(t, telephony.OutboundResult{NotReached: telephony.NotReachedAgent})
	testenv.Eventually(t, "agent1 set not ready", func() bool {
		v, _ := e.engine.Agent("agent1")
		return v.State == routing.NotReady && v.Reason == routing.ReasonMissed
	})
	if got := e.entry(t, "13800001111"); got.State != telephony.CallbackWaiting || got.Attempts != 0 {
		t.Fatalf("the entry the agent missed: %+v", got)
	}
	offer(0)
	if _, err := e.engine.SetPresence("agent1", routing.Ready, routing.ReasonNone); err != nil {
		t.Fatal(err)
	}
	offer(1)
	<-e.dialer.placed
	e.end(t, telephony.OutboundResult{Dialled: true, Reached: true})
	if got := e.entry(t, "13800001111"); got.ID != first.ID || got.State != telephony.CallbackReached {
		t.Fatalf("first entry after the callback: %+v", got)
	}
	e.hours.open = false
	offer(0)
	e.hours.open = true
	offer(1)
	if placed := <-e.dialer.placed; placed.Phone != "13800002222" {
		t.Fatalf("placed %+v, want the second entry (%d)", placed, second.ID)
	}
	e.end(t, telephony.OutboundResult{Dialled: true, Reached: true})
	offer(0) // nothing left
}

// A citizen on the list who calls again and gets through is done with:
// the waiting entry is reached, by the agent who answered.
func TestCallbacks_AnsweredCallResolvesTheWaitingEntry(t *testing.T) {
	e := newOutbound(t, 3)
	cb := e.missed(t, "13800003333")
	ctx := context.Background()
	c, err := e.calls.Start(ctx, telephony.NewCall{Direction: telephony.Inbound, Caller: "13800003333", Callee: "12345"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.calls.Event(ctx, c.ID, telephony.EventAnswered, "agent2"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.calls.Finish(ctx, c.ID, telephony.OutcomeAnswered, telephony.HangupCaller); err != nil {
		t.Fatal(err)
	}
	if got := e.entry(t, "13800003333"); got.ID != cb.ID || got.State != telephony.CallbackReached || got.Agent != "agent2" {
		t.Fatalf("entry after the citizen got through: %+v", got)
	}
	// Through the call log's batches too.
	again := e.missed(t, "13800003333")
	id, err := e.rec.Started(ctx, "13800003333", "12345", e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{e.rec.Answered(ctx, id, "agent3", e.clk.Now()),
		e.rec.Ended(ctx, id, telephony.OutcomeAnswered, telephony.HangupAgent, e.clk.Now()), e.rec.Flush(ctx)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.entry(t, "13800003333"); got.ID != again.ID || got.State != telephony.CallbackReached || got.Agent != "agent3" {
		t.Fatalf("entry after the second call got through: %+v", got)
	}
}
