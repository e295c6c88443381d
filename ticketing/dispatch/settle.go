package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/open12345/hotline/ticketing"
)

// settleBatch is how many outbox messages Settle takes at a time.
const settleBatch = 100

// Settle records every waiting outbox message as handled when it was
// written, without sending anything, and returns how many it settled: a
// department delivery as delivered to the department's console only (no
// webhook call; cancelled if the department no longer has the ticket), a
// citizen notification as not sent for reason, a staff notice as done. It
// is for simulated history (the demo data), which must not reach anyone:
// call it before a ticket's next simulated step, so that its history shows
// each message right after the step that wrote it. The messages are marked
// enqueued at now. Errors: those of the store.
func Settle(ctx context.Context, store Store, tickets Tickets, now time.Time, reason string) (int, error) {
	settled := 0
	for {
		var msgs []OutboxMessage
		n, err := store.RelayOutbox(ctx, now, settleBatch, func(m OutboxMessage) error {
			msgs = append(msgs, m)
			return nil
		})
		if err != nil {
			return settled, fmt.Errorf("settle the outbox: %w", err)
		}
		for _, m := range msgs {
			if err := settle(ctx, store, tickets, m, reason); err != nil {
				return settled, fmt.Errorf("settle outbox message %d: %w", m.ID, err)
			}
			settled++
		}
		if n < settleBatch {
			return settled, nil
		}
	}
}

// settle records one message as Settle says.
func settle(ctx context.Context, store Store, tickets Tickets, m OutboxMessage, reason string) error {
	at := m.CreatedAt
	switch m.Message.Topic {
	case ticketing.TopicDepartment:
		d, t, _, err := store.DeliveryWork(ctx, m.DeliveryID)
		if err != nil {
			return err
		}
		a := Attempt{State: StateDelivered, At: at}
		if !t.Involves(d.Department) {
			a.State, a.Error = StateCancelled, "not sent: the department no longer has the ticket"
		}
		return store.SaveAttempt(ctx, d.ID, m.ID, a)
	case ticketing.TopicCitizen:
		t, err := tickets.Ticket(ctx, m.TicketID)
		if err != nil {
			return err
		}
		n := newNotification(m, t, NotificationNotSent)
		n.Reason, n.At = reason, at
		if t.Citizen.Phone == "" {
			n.State, n.Reason = NotificationSkipped, ""
		}
		return store.RecordNotification(ctx, n, notifyEvent(t, n))
	}
	return store.FinishOutbox(ctx, m.ID, at)
}
