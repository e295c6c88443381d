package dispatch_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// outboxBench is a fresh database with the ticket service and the
// dispatch store, and no queue: tests take the outbox's messages themselves.
type outboxBench struct {
	t       *testing.T
	ctx     context.Context
	db      *postgres.DB
	clock   *clock.Fake
	loc     *time.Location
	tickets *ticketing.Service
	tstore  *postgres.TicketStore
	store   *postgres.DispatchStore
}

func newOutboxBench(t *testing.T) *outboxBench {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.NewDB(t)
	b := &outboxBench{t: t, ctx: context.Background(), db: db, loc: loc,
		clock:  clock.NewFake(time.Date(2026, 9, 30, 10, 0, 0, 0, loc)),
		tstore: postgres.NewTicketStore(db), store: postgres.NewDispatchStore(db)}
	b.tickets = ticketing.NewService(b.tstore, b.clock, loc, slog.New(slog.DiscardHandler))
	if _, err := b.tickets.SaveDepartment(b.ctx, admin, ticketing.Department{Code: "rsj", Name: "市人力资源和社会保障局"}, false); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *outboxBench) newTicket(phone string) *ticketing.Ticket {
	b.t.Helper()
	tk, err := b.tickets.Create(b.ctx, agent, ticketing.NewTicket{Kind: ticketing.KindComplaint,
		Channel: ticketing.ChannelPhone, Title: "小区垃圾清运不及时", Content: "垃圾三天未清运",
		Citizen: ticketing.Citizen{Name: "张三", Phone: phone}})
	if err != nil {
		b.t.Fatal(err)
	}
	return tk
}

// notifyEvents returns the ticket's notify events.
func (b *outboxBench) notifyEvents(id int64) []ticketing.Event {
	b.t.Helper()
	evs, _, err := b.tickets.Events(b.ctx, admin, id, ticketing.EventQuery{Limit: ticketing.MaxEventPage})
	if err != nil {
		b.t.Fatal(err)
	}
	var out []ticketing.Event
	for _, e := range evs {
		if e.Action == "notify" {
			out = append(out, e)
		}
	}
	return out
}

func (b *outboxBench) waiting() int {
	b.t.Helper()
	var n int
	if err := b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE done_at IS NULL`).Scan(&n); err != nil {
		b.t.Fatal(err)
	}
	return n
}

// Without an SMS gateway the message is written to the log, and the
// ticket's history says it was not sent, and why; it is not sent again.
func TestNotify_WithoutGatewayIsNotSent(t *testing.T) {
	b := newOutboxBench(t)
	var logged bytes.Buffer
	sms := &dispatch.LogSMS{Log: slog.New(slog.NewTextHandler(&logged, nil))}
	h := dispatch.NewHandlers(dispatch.Deps{Store: b.store, Tickets: b.tstore, Sweeper: b.tickets,
		Bus: eventbus.NewLocal(), SMS: sms, Clock: b.clock, Loc: b.loc, Log: slog.New(slog.DiscardHandler)}, fastConfig())
	tk := b.newTicket("13800008000")

	var msgs []dispatch.OutboxMessage
	if _, err := b.store.RelayOutbox(b.ctx, b.clock.Now(), 10, func(m dispatch.OutboxMessage) error {
		msgs = append(msgs, m)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Message.Template != ticketing.TemplateAccepted {
		t.Fatalf("outbox: %+v, want the receipt SMS", msgs)
	}
	task, err := dispatch.NewNotifyCitizenTask(msgs[0], 3)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run finds the notification done
		if err := h.HandleNotifyCitizenTask(b.ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	evs := b.notifyEvents(tk.ID)
	if len(evs) != 1 {
		t.Fatalf("%d notify events, want 1", len(evs))
	}
	p := evs[0].Payload
	if p["state"] != dispatch.NotificationNotSent || p["reason"] != "未配置短信网关" || p["to"] != "138****8000" || p["provider_id"] != "" {
		t.Fatalf("notify event %+v, want not_sent for want of a gateway", p)
	}
	if n := strings.Count(logged.String(), "sms (not sent: no gateway configured)"); n != 1 {
		t.Fatalf("the message was logged %d times, want once:\n%s", n, logged.String())
	}
	if n := b.waiting(); n != 0 {
		t.Fatalf("%d outbox messages still waiting", n)
	}
}

// Settle records simulated history as handled when it happened, sending
// nothing: the receipt SMS at the recording, the dispatch as delivered to
// the department's console at the dispatch, the reply's SMS at the reply,
// however much later Settle runs.
func TestSettle_RecordsWithoutSending(t *testing.T) {
	b := newOutboxBench(t)
	tk := b.newTicket("13800008000")
	recorded := b.clock.Now()
	if n, err := dispatch.Settle(b.ctx, b.store, b.tstore, recorded, "演示数据"); err != nil || n != 1 {
		t.Fatalf("settle the recording: %d, %v; want 1 message", n, err)
	}
	act := func(actor auth.Actor, a ticketing.Action, req ticketing.Request) time.Time {
		t.Helper()
		b.clock.Advance(time.Hour)
		if _, err := b.tickets.Act(b.ctx, actor, tk.ID, a, req); err != nil {
			t.Fatal(err)
		}
		return b.clock.Now()
	}
	dispatched := act(agent, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})
	act(deptActor("rsj"), ticketing.ActionSign, ticketing.Request{})
	replied := act(deptActor("rsj"), ticketing.ActionReply, ticketing.Request{Reply: "已安排清运。"})
	b.clock.Advance(time.Hour)
	if n, err := dispatch.Settle(b.ctx, b.store, b.tstore, b.clock.Now(), "演示数据"); err != nil || n != 3 {
		t.Fatalf("settle the handling: %d, %v; want the delivery, the staff notice and the SMS", n, err)
	}

	evs := b.notifyEvents(tk.ID)
	if len(evs) != 2 {
		t.Fatalf("%d notify events, want 2", len(evs))
	}
	for i, want := range []struct {
		template string
		at       time.Time
	}{{ticketing.TemplateAccepted, recorded}, {ticketing.TemplateReplied, replied}} {
		p := evs[i].Payload
		if p["template"] != want.template || p["state"] != dispatch.NotificationNotSent || p["reason"] != "演示数据" || !evs[i].At.Equal(want.at) {
			t.Errorf("notify %d: %+v at %s, want %s not_sent (演示数据) at %s", i, p, evs[i].At, want.template, want.at)
		}
	}
	ds, err := b.store.Deliveries(b.ctx, dispatch.DeliveryFilter{TicketID: tk.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].State != dispatch.StateDelivered || ds[0].WebhookURL != "" || ds[0].DeliveredAt == nil || !ds[0].DeliveredAt.Equal(dispatched) {
		t.Fatalf("deliveries %+v, want one delivered to the console at %s", ds, dispatched)
	}
	if n := b.waiting(); n != 0 {
		t.Fatalf("%d outbox messages still waiting", n)
	}
}
