package telephony_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/ticketing"
)

// ratingEnv is call records that give ratings to the tickets of a real
// ticket service.
type ratingEnv struct {
	t       *testing.T
	calls   *telephony.Calls
	tickets *ticketing.Service
}

func newRatingEnv(t *testing.T) ratingEnv {
	t.Helper()
	db := pgtest.NewDB(t)
	clk := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	tickets := ticketing.NewService(postgres.NewTicketStore(db), clk, time.UTC, slog.New(slog.DiscardHandler))
	calls := telephony.NewCalls(postgres.NewCallStore(db), clk, telephony.WithTicketRatings(tickets))
	return ratingEnv{t: t, calls: calls, tickets: tickets}
}

// answered records a call agent1 answered and returns its id.
func (e ratingEnv) answered() int64 {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.calls.Start(ctx, telephony.NewCall{Direction: telephony.Inbound, Caller: "13800138000", Callee: "12345"})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.calls.Event(ctx, c.ID, telephony.EventAnswered, "agent1"); err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// ticket creates a ticket during call id, as the console does.
func (e ratingEnv) ticket(call int64) int64 {
	e.t.Helper()
	tk, err := e.tickets.Create(context.Background(), auth.Actor{Username: "agent1", Role: auth.RoleAgent}, ticketing.NewTicket{
		Kind: ticketing.KindComplaint, Channel: ticketing.ChannelPhone, Title: "夜间施工噪音", Content: "每晚十一点后仍在施工",
		Citizen: ticketing.Citizen{Name: "张三", Phone: "13800138000"}, CallID: strconv.FormatInt(call, 10)})
	if err != nil {
		e.t.Fatal(err)
	}
	return tk.ID
}

// ratings returns the call_rated events of ticket id as "call score".
func (e ratingEnv) ratings(id int64) []string {
	e.t.Helper()
	evs, _, err := e.tickets.Events(context.Background(), auth.Actor{Username: "admin", Role: auth.RoleAdmin}, id, ticketing.EventQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		if ev.Action == ticketing.ActionCallRated {
			if ev.ActorName != auth.System.Username || ev.From != ticketing.StatusAccepted || ev.To != ticketing.StatusAccepted {
				e.t.Errorf("rating event %+v, want the system's, status unchanged", ev)
			}
			out = append(out, strconv.FormatInt(toInt(ev.Payload["call_id"]), 10)+" "+strconv.FormatInt(toInt(ev.Payload["score"]), 10))
		}
	}
	return out
}

func toInt(v any) int64 {
	f, _ := v.(float64) // JSON numbers
	return int64(f)
}

// The caller's rating reaches the ticket made during the call, whether the
// ticket was linked during the call (before the rating) or in wrap-up
// (after it), and only once however often either is written again.
func TestCalls_RatingReachesTheCallsTicket(t *testing.T) {
	ctx := context.Background()
	t.Run("TicketThenRating", func(t *testing.T) {
		e := newRatingEnv(t)
		call := e.answered()
		tk := e.ticket(call)
		if err := e.calls.LinkTicket(ctx, call, tk); err != nil {
			t.Fatal(err)
		}
		if got := e.ratings(tk); len(got) != 0 {
			t.Fatalf("ratings %q before the caller rated", got)
		}
		if err := e.calls.SetSatisfaction(ctx, call, 4); err != nil {
			t.Fatal(err)
		}
		want := strconv.FormatInt(call, 10) + " 4"
		if got := e.ratings(tk); len(got) != 1 || got[0] != want {
			t.Fatalf("ratings %q, want [%s]", got, want)
		}
	})
	t.Run("RatingThenTicket", func(t *testing.T) {
		e := newRatingEnv(t)
		call := e.answered()
		if err := e.calls.SetSatisfaction(ctx, call, 5); err != nil {
			t.Fatal(err)
		}
		tk := e.ticket(call)
		if err := e.calls.LinkTicket(ctx, call, tk); err != nil {
			t.Fatal(err)
		}
		want := strconv.FormatInt(call, 10) + " 5"
		if got := e.ratings(tk); len(got) != 1 || got[0] != want {
			t.Fatalf("ratings %q, want [%s]", got, want)
		}
	})
	t.Run("ThroughTheCallLog", func(t *testing.T) { // the flow's writes go behind: the link waits for none
		for _, ticketFirst := range []bool{true, false} {
			e := newRatingEnv(t)
			log := newCallLog(t, e.calls)
			id, err := log.Started(ctx, "13800138000", "12345", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := log.Answered(ctx, id, "agent1", time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := log.Flush(ctx); err != nil { // the record is there when the agent files the ticket
				t.Fatal(err)
			}
			call, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			tk := e.ticket(call)
			link := func() {
				if err := e.calls.LinkTicket(ctx, call, tk); err != nil {
					t.Fatal(err)
				}
			}
			if ticketFirst {
				link()
			}
			if err := log.Rated(ctx, id, 2); err != nil {
				t.Fatal(err)
			}
			if !ticketFirst {
				link()
			}
			if err := log.Ended(ctx, id, telephony.OutcomeAnswered, telephony.HangupAgent, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := log.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			want := id + " 2"
			if got := e.ratings(tk); len(got) != 1 || got[0] != want {
				t.Fatalf("ticket first %v: ratings %q, want [%s]", ticketFirst, got, want)
			}
			c, err := e.calls.Get(ctx, supervisor, call)
			if err != nil || c.TicketID != tk || c.Satisfaction != 2 || c.Outcome != telephony.OutcomeAnswered {
				t.Fatalf("ticket first %v: call %+v (%v), want ticket %d kept by the later writes", ticketFirst, c, err, tk)
			}
		}
	})
	t.Run("OncePerCall", func(t *testing.T) {
		e := newRatingEnv(t)
		call := e.answered()
		tk := e.ticket(call)
		for range 2 { // the console retries a link; the log writes a rating again
			if err := e.calls.LinkTicket(ctx, call, tk); err != nil {
				t.Fatal(err)
			}
			if err := e.calls.SetSatisfaction(ctx, call, 3); err != nil {
				t.Fatal(err)
			}
		}
		// A second ticket of the call is not the call's: it gets no rating.
		second := e.ticket(call)
		if err := e.calls.LinkTicket(ctx, call, second); err != nil {
			t.Fatal(err)
		}
		want := strconv.FormatInt(call, 10) + " 3"
		if got := e.ratings(tk); len(got) != 1 || got[0] != want {
			t.Fatalf("ratings %q, want [%s]", got, want)
		}
		if got := e.ratings(second); len(got) != 0 {
			t.Fatalf("the call's second ticket got ratings %q", got)
		}
	})
}

// A caller who hangs up after an agent's phone rang is missed; one who
// hangs up before any phone rang abandoned the call. Both calls' outcome
// is abandoned.
func TestCalls_MissedIsAnAbandonedCallThatRang(t *testing.T) {
	db := pgtest.NewDB(t)
	clk := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	calls := telephony.NewCalls(postgres.NewCallStore(db), clk)
	log := newCallLog(t, calls)
	ctx := context.Background()
	call := func(caller string, rang bool) int64 {
		t.Helper()
		id, err := log.Started(ctx, caller, "12345", clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		steps := []error{log.Queued(ctx, id, "consultation", clk.Now())}
		if rang {
			steps = append(steps, log.Rang(ctx, id, "agent1", clk.Now()))
		}
		clk.Advance(20 * time.Second)
		steps = append(steps, log.Ended(ctx, id, telephony.OutcomeAbandoned, telephony.HangupCaller, clk.Now()))
		for _, err := range steps {
			if err != nil {
				t.Fatal(err)
			}
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	missed, abandoned := call("13800138000", true), call("13900139000", false)
	if err := log.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	supervisor := auth.Actor{Username: "supervisor", Role: auth.RoleSupervisor}
	cbs, _, err := calls.Callbacks(ctx, supervisor, telephony.CallbackFilter{})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[int64]telephony.CallbackReason{}
	for _, cb := range cbs {
		reasons[cb.CallID] = cb.Reason
	}
	if reasons[missed] != telephony.ReasonMissed || reasons[abandoned] != telephony.ReasonAbandoned || len(cbs) != 2 {
		t.Fatalf("callbacks %+v, want call %d missed and %d abandoned", cbs, missed, abandoned)
	}
	c, err := calls.Get(ctx, supervisor, missed)
	if err != nil {
		t.Fatal(err)
	}
	if c.Outcome != telephony.OutcomeAbandoned || len(c.Events) != 4 || c.Events[2].Event != telephony.EventOffered ||
		c.Events[2].Detail != "agent1" {
		t.Fatalf("missed call %+v, want abandoned with agent1's phone rung", c)
	}
}

// The screen pop's call history holds the caller's finished calls, not
// the one ringing now.
func TestCalls_HistoryLeavesOutTheCallInProgress(t *testing.T) {
	e := newRatingEnv(t)
	ctx := context.Background()
	past := e.answered()
	if _, err := e.calls.Finish(ctx, past, telephony.OutcomeAnswered, telephony.HangupCaller); err != nil {
		t.Fatal(err)
	}
	e.answered() // in progress
	got, err := e.calls.Calls(ctx, "13800138000", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != strconv.FormatInt(past, 10) {
		t.Fatalf("history %+v, want only the finished call %d", got, past)
	}
	if got, err := e.calls.Calls(ctx, "13800138000", 1); err != nil || len(got) != 1 {
		t.Fatalf("history of one: %+v %v, want the finished call", got, err)
	}
}
