package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/ticketing"
)

// AppendEventOnce appends ev to its ticket's history unless an event of
// its action whose payload contains once is there already. The existence
// check is a statement of its own after the row lock, so that it sees
// what the transaction that held the lock committed. Errors: not_found,
// unavailable.
func (s *TicketStore) AppendEventOnce(ctx context.Context, ev ticketing.Event, once map[string]any) error {
	match, err := json.Marshal(once)
	if err != nil {
		return fmt.Errorf("encode the event's match: %w", err)
	}
	doing := "append to ticket " + strconv.FormatInt(ev.TicketID, 10)
	appended := false
	err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT status FROM tickets WHERE id = $1 FOR UPDATE`, ev.TicketID).
			Scan(&ev.From); err != nil {
			return translate(err, doing)
		}
		ev.To = ev.From
		var seen bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ticket_events
			WHERE ticket_id = $1 AND action = $2 AND payload @> $3)`, ev.TicketID, ev.Action, match).Scan(&seen); err != nil || seen {
			return err
		}
		batch := &pgx.Batch{}
		if err := queueEvent(batch, ev); err != nil {
			return err
		}
		appended = true
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return translate(err, doing)
	}
	if appended && len(ev.Outbox) > 0 {
		s.db.outboxWritten()
	}
	return nil
}
