package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

// An event appended once is appended the first time only, even by
// concurrent calls, and carries the ticket's status, which it leaves as
// it is.
func TestTicketStore_AppendEventOnce(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	s := postgres.NewTicketStore(db)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tk := &ticketing.Ticket{Kind: ticketing.KindComplaint, Channel: ticketing.ChannelPhone, Status: ticketing.StatusAccepted,
		Urgency: ticketing.UrgencyNormal, Title: "噪音", Content: "内容", CoDepartments: []string{},
		Citizen: ticketing.Citizen{Name: "张三", Phone: "13812341234"}, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.CreateTicket(ctx, tk, ticketing.Event{At: now, ActorName: "agent1", Action: "create", To: ticketing.StatusAccepted}); err != nil {
		t.Fatal(err)
	}
	rated := func(call int64, score int) ticketing.Event {
		return ticketing.Event{TicketID: tk.ID, At: now, ActorName: "system", Action: "call_rated",
			Payload: map[string]any{"call_id": call, "score": score}}
	}
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for score := range 8 {
		wg.Go(func() { errc <- s.AppendEventOnce(ctx, rated(7, score%5+1), map[string]any{"call_id": 7}) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendEventOnce(ctx, rated(8, 2), map[string]any{"call_id": 8}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(ctx, tk.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var calls []float64
	for _, e := range evs[1:] {
		if e.Action != "call_rated" || e.From != ticketing.StatusAccepted || e.To != ticketing.StatusAccepted {
			t.Errorf("event %+v, want call_rated in status accepted", e)
		}
		calls = append(calls, e.Payload["call_id"].(float64))
	}
	if len(evs) != 3 || calls[0] != 7 || calls[1] != 8 {
		t.Fatalf("history %+v, want create and one rating of calls 7 and 8 each", evs)
	}
	got, err := s.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != tk.Version || !got.UpdatedAt.Equal(tk.UpdatedAt) {
		t.Errorf("the ticket changed: version %d, updated %v", got.Version, got.UpdatedAt)
	}
	if err := s.AppendEventOnce(ctx, ticketing.Event{TicketID: tk.ID + 100, At: now, ActorName: "system", Action: "call_rated"},
		map[string]any{"call_id": 7}); !errs.Is(err, errs.NotFound) {
		t.Fatalf("missing ticket: %v, want not_found", err)
	}
}
