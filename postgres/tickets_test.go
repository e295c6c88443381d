package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

func TestTicketStore_RoundTrip(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	s := postgres.NewTicketStore(db)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := s.SaveDepartment(ctx, ticketing.Department{Code: "rsj", Name: "人社局", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	id, err := s.NextTicketID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sat := 4
	tk := &ticketing.Ticket{ID: id, Number: ticketing.FormatNumber(now, id), Kind: ticketing.KindComplaint,
		Channel: ticketing.ChannelPhone, Status: ticketing.StatusAccepted, Urgency: ticketing.UrgencyNormal,
		Title: "噪音'; DROP TABLE tickets; --", Content: "内容 100% _x_", CoDepartments: []string{},
		Citizen:   ticketing.Citizen{Name: "张三", Phone: "13812341234"},
		CreatedAt: now, UpdatedAt: now, Version: 1, Satisfaction: &sat,
		Extension: &ticketing.Extension{Days: 3, Reason: "r", RequestedAt: now}}
	ev := ticketing.Event{TicketID: id, At: now, ActorName: "system", Action: "create", To: ticketing.StatusAccepted,
		Payload: map[string]any{"k": "v"}}
	if err := s.CreateTicket(ctx, tk, ev); err != nil {
		t.Fatal(err)
	}
	got, err := s.Ticket(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != tk.Title || got.Citizen != tk.Citizen || *got.Satisfaction != 4 || got.Extension.Days != 3 {
		t.Fatalf("round trip changed the ticket: %+v", got)
	}
	list, err := s.Tickets(ctx, ticketing.TicketFilter{Text: "100% _x", Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("text search with LIKE metacharacters: %v, %d hits", err, len(list))
	}
	list, err = s.Tickets(ctx, ticketing.TicketFilter{Text: "100%%", Limit: 10})
	if err != nil || len(list) != 0 {
		t.Fatalf("%% must be literal: %v, %d hits", err, len(list))
	}
	_, err = s.UpdateTickets(ctx, []int64{id}, func(ts []*ticketing.Ticket) ([]ticketing.Event, error) {
		ts[0].Department = "missing"
		return nil, nil
	})
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("unknown department: got %v, want invalid", err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE ticket_events SET action = 'x'`); err == nil {
		t.Fatal("ticket_events accepted an UPDATE")
	}
	if _, err := db.Pool.Exec(ctx, `DELETE FROM ticket_events`); err == nil {
		t.Fatal("ticket_events accepted a DELETE")
	}
	evs, err := s.Events(ctx, id)
	if err != nil || len(evs) != 1 || evs[0].Payload["k"] != "v" {
		t.Fatalf("events: %v %+v", err, evs)
	}
}
