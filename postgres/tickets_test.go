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
	sat := 4
	tk := &ticketing.Ticket{Kind: ticketing.KindComplaint,
		Channel: ticketing.ChannelPhone, Status: ticketing.StatusAccepted, Urgency: ticketing.UrgencyNormal,
		Title: "噪音'; DROP TABLE tickets; --", Content: "内容 100% _x_", CoDepartments: []string{},
		Citizen:   ticketing.Citizen{Name: "张三", Phone: "13812341234"},
		CreatedAt: now, UpdatedAt: now, Version: 1, Satisfaction: &sat,
		Extension: &ticketing.Extension{Days: 3, Reason: "r", RequestedAt: now}}
	ev := ticketing.Event{At: now, ActorName: "system", Action: "create", To: ticketing.StatusAccepted,
		Payload: map[string]any{"k": "v"}}
	if err := s.CreateTicket(ctx, tk, ev); err != nil {
		t.Fatal(err)
	}
	id := tk.ID
	if id == 0 || tk.Number != ticketing.FormatNumber(now, id) {
		t.Fatalf("created ticket %d numbered %q", id, tk.Number)
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
	evs, err := s.Events(ctx, id, 0, 1000)
	if err != nil || len(evs) != 1 || evs[0].Payload["k"] != "v" {
		t.Fatalf("events: %v %+v", err, evs)
	}
}

// The store forms numbers in SQL; they must equal ticketing.FormatNumber,
// including IDs longer than the padding.
func TestTicketStore_NumbersMatchTheDomainFormat(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	s := postgres.NewTicketStore(db)
	created := time.Date(2026, 11, 22, 23, 30, 0, 0, time.FixedZone("CST", 8*3600))
	for _, next := range []int64{1, 999_999, 12_345_678} {
		if _, err := db.Pool.Exec(ctx, "SELECT setval('tickets_id_seq', $1, false)", next); err != nil {
			t.Fatal(err)
		}
		tk := &ticketing.Ticket{Kind: ticketing.KindHelp, Channel: ticketing.ChannelAPI, Status: ticketing.StatusAccepted,
			Urgency: ticketing.UrgencyNormal, Title: "t", Content: "c", CoDepartments: []string{},
			CreatedAt: created, UpdatedAt: created, Version: 1}
		if err := s.CreateTicket(ctx, tk, ticketing.Event{At: created, ActorName: "system", Action: "create", To: ticketing.StatusAccepted}); err != nil {
			t.Fatal(err)
		}
		if want := ticketing.FormatNumber(created, next); tk.ID != next || tk.Number != want {
			t.Errorf("ticket %d numbered %q, want %d %q", tk.ID, tk.Number, next, want)
		}
		evs, err := s.Events(ctx, tk.ID, 0, 1000)
		if err != nil || len(evs) != 1 {
			t.Fatalf("event of ticket %d: %v %v", tk.ID, evs, err)
		}
	}
}
