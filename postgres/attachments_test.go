package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

func newAttachment(ticketID int64, key string, at time.Time) *ticketing.Attachment {
	return &ticketing.Attachment{TicketID: ticketID, Name: "整改照片.jpg", ContentType: "image/jpeg", Size: 1234,
		SHA256: strings.Repeat("ab", 32), StorageKey: key, UploaderName: "system", UploaderRole: "", CreatedAt: at}
}

// attachFixture is a store with one ticket, and a function that records
// an attachment the way the domain does, or fails with fail.
func attachFixture(t *testing.T, now time.Time) (*postgres.TicketStore, *ticketing.Ticket, func(*ticketing.Attachment, error) error) {
	t.Helper()
	ctx := context.Background()
	s := postgres.NewTicketStore(pgtest.NewDB(t))
	tk := &ticketing.Ticket{Kind: ticketing.KindHelp, Channel: ticketing.ChannelPhone, Status: ticketing.StatusAccepted,
		Urgency: ticketing.UrgencyNormal, Title: "t", Content: "c", CoDepartments: []string{},
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.CreateTicket(ctx, tk, ticketing.Event{At: now, ActorName: "system", Action: "create", To: ticketing.StatusAccepted}); err != nil {
		t.Fatal(err)
	}
	attach := func(a *ticketing.Attachment, fail error) error {
		return s.AddAttachment(ctx, a, func(t *ticketing.Ticket, a *ticketing.Attachment, _ ticketing.AttachmentTotals) (ticketing.Event, error) {
			if fail != nil {
				return ticketing.Event{}, fail
			}
			t.Version++
			return ticketing.Event{TicketID: t.ID, At: now, ActorName: "system", Action: "attach",
				From: t.Status, To: t.Status, Payload: map[string]any{"attachment_id": a.ID}}, nil
		})
	}
	return s, tk, attach
}

func TestTicketStore_Attachments(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s, tk, attach := attachFixture(t, now)

	t.Run("RecordsTheAttachmentWithItsEvent", func(t *testing.T) {
		a := newAttachment(tk.ID, "0123456789abcdef0123456789abcdef", now)
		if err := attach(a, nil); err != nil || a.ID == 0 {
			t.Fatalf("id %d, %v", a.ID, err)
		}
		got, err := s.Attachment(ctx, a.ID)
		if err == nil && got.CreatedAt.Equal(a.CreatedAt) {
			got.CreatedAt = a.CreatedAt // the same instant, in the session's zone
		}
		if err != nil || got != *a {
			t.Fatalf("got %+v, %v; want %+v", got, err, *a)
		}
		evs, err := s.Events(ctx, tk.ID, 0, 1000)
		if err != nil || len(evs) != 2 || evs[1].Action != "attach" || evs[1].Payload["attachment_id"] != float64(a.ID) {
			t.Fatalf("events %+v, %v", evs, err)
		}
		if saved, err := s.Ticket(ctx, tk.ID); err != nil || saved.Version != 2 {
			t.Fatalf("ticket after attach: %+v, %v", saved, err)
		}
	})
	t.Run("AnErrorFromFnRecordsNothing", func(t *testing.T) {
		refused := errs.E(errs.Conflict, "no")
		a := newAttachment(tk.ID, "11111111111111111111111111111111", now)
		if err := attach(a, refused); err != refused || a.ID != 0 {
			t.Fatalf("got %v (id %d), want the error of fn as is", err, a.ID)
		}
		list, err := s.Attachments(ctx, tk.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("attachments after a refusal: %d, %v", len(list), err)
		}
		if evs, err := s.Events(ctx, tk.ID, 0, 1000); err != nil || len(evs) != 2 {
			t.Fatalf("events after a refusal: %d, %v", len(evs), err)
		}
	})
	t.Run("MissingTicketIsNotFound", func(t *testing.T) {
		if err := attach(newAttachment(tk.ID+1000, "22222222222222222222222222222222", now), nil); !errs.Is(err, errs.NotFound) {
			t.Fatalf("got %v, want not_found", err)
		}
	})
	t.Run("ReusedStorageKeyIsConflict", func(t *testing.T) {
		if err := attach(newAttachment(tk.ID, "0123456789abcdef0123456789abcdef", now), nil); !errs.Is(err, errs.Conflict) {
			t.Fatalf("got %v, want conflict", err)
		}
	})
}

func TestTicketStore_AttachmentsList(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s, tk, attach := attachFixture(t, now)
	if err := attach(newAttachment(tk.ID, "0123456789abcdef0123456789abcdef", now), nil); err != nil {
		t.Fatal(err)
	}
	t.Run("ListsOldestFirst", func(t *testing.T) {
		b := newAttachment(tk.ID, "33333333333333333333333333333333", now.Add(time.Minute))
		if err := attach(b, nil); err != nil {
			t.Fatal(err)
		}
		list, err := s.Attachments(ctx, tk.ID)
		if err != nil || len(list) != 2 || list[1].ID != b.ID || list[0].ID >= b.ID {
			t.Fatalf("list %+v, %v", list, err)
		}
		if none, err := s.Attachments(ctx, tk.ID+1000); err != nil || len(none) != 0 {
			t.Fatalf("list of another ticket: %+v, %v", none, err)
		}
	})
	t.Run("MissingAttachmentIsNotFound", func(t *testing.T) {
		if _, err := s.Attachment(ctx, 424242); !errs.Is(err, errs.NotFound) {
			t.Fatalf("got %v, want not_found", err)
		}
	})
}
