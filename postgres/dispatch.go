package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// DispatchStore keeps the outbox, deliveries and citizen notifications.
type DispatchStore struct {
	db *DB
}

var _ dispatch.Store = (*DispatchStore)(nil)

// NewDispatchStore returns a store on db.
func NewDispatchStore(db *DB) *DispatchStore { return &DispatchStore{db: db} }

const outboxColumns = `id, ticket_id, message, coalesce(delivery_id::text, ''), created_at`

func scanOutbox(r pgx.CollectableRow) (dispatch.OutboxMessage, error) {
	var m dispatch.OutboxMessage
	var msg []byte
	if err := r.Scan(&m.ID, &m.TicketID, &msg, &m.DeliveryID, &m.CreatedAt); err != nil {
		return m, err
	}
	if err := json.Unmarshal(msg, &m.Message); err != nil {
		return m, fmt.Errorf("decode outbox message %d: %w", m.ID, err)
	}
	return m, nil
}

// RelayOutbox locks unsent messages, hands them to enqueue, and marks
// those it accepted, in one transaction.
func (s *DispatchStore) RelayOutbox(ctx context.Context, now time.Time, limit int, enqueue func(dispatch.OutboxMessage) error) (int, error) {
	var moved []int64
	var enqueueErr error
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE enqueued_at IS NULL
			ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		if err != nil {
			return err
		}
		msgs, err := pgx.CollectRows(rows, scanOutbox)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if enqueueErr = enqueue(m); enqueueErr != nil {
				break
			}
			moved = append(moved, m.ID)
		}
		if len(moved) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE outbox SET enqueued_at = $1 WHERE id = ANY($2)`, now, moved)
		return err
	})
	if err != nil {
		return 0, translate(err, "relay outbox")
	}
	return len(moved), enqueueErr
}

// outboxListener wakes when this node commits outbox messages.
type outboxListener struct {
	db *DB
}

// ListenOutbox returns a listener for the outbox messages this node
// writes; messages of other nodes are found by the relay's polling.
func (s *DispatchStore) ListenOutbox(context.Context) (dispatch.OutboxListener, error) {
	return &outboxListener{db: s.db}, nil
}

// Wait blocks until this node commits an outbox message, ctx ends or wait passes.
func (l *outboxListener) Wait(ctx context.Context, wait time.Duration) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-l.db.outbox:
	case <-ctx.Done():
	case <-t.C:
	}
	return nil
}

// Close does nothing: the listener holds no resources.
func (l *outboxListener) Close() error { return nil }

// StaleOutbox returns messages enqueued before the given time and not done.
func (s *DispatchStore) StaleOutbox(ctx context.Context, enqueuedBefore time.Time, limit int) ([]dispatch.OutboxMessage, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE done_at IS NULL AND enqueued_at IS NOT NULL AND enqueued_at < $1 ORDER BY enqueued_at LIMIT $2`,
		enqueuedBefore, limit)
	if err != nil {
		return nil, translate(err, "stale outbox")
	}
	msgs, err := pgx.CollectRows(rows, scanOutbox)
	return msgs, translate(err, "stale outbox")
}

// RequeueOutbox clears a message's enqueued mark.
func (s *DispatchStore) RequeueOutbox(ctx context.Context, id int64) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE outbox SET enqueued_at = NULL WHERE id = $1 AND done_at IS NULL`, id)
	return translate(err, "requeue outbox message")
}

// FinishOutbox marks a message done.
func (s *DispatchStore) FinishOutbox(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE outbox SET done_at = $2, enqueued_at = coalesce(enqueued_at, $2)
		WHERE id = $1 AND done_at IS NULL`, id, at)
	return translate(err, "finish outbox message")
}

// PurgeOutbox deletes messages done before the given time.
func (s *DispatchStore) PurgeOutbox(ctx context.Context, doneBefore time.Time) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM outbox WHERE done_at < $1`, doneBefore)
	return tag.RowsAffected(), translate(err, "purge outbox")
}

// OutboxBacklog counts messages not yet enqueued.
func (s *DispatchStore) OutboxBacklog(ctx context.Context) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE enqueued_at IS NULL`).Scan(&n)
	return n, translate(err, "outbox backlog")
}

const deliveryColumns = `id::text, department, ticket_id, event, detail, state, webhook_url, attempts,
	last_status, last_error, created_at, updated_at, delivered_at, ticket`

func scanDelivery(r pgx.CollectableRow) (dispatch.Delivery, error) {
	var d dispatch.Delivery
	err := r.Scan(&d.ID, &d.Department, &d.TicketID, &d.Event, &d.Detail, &d.State, &d.WebhookURL,
		&d.Attempts, &d.LastStatus, &d.LastError, &d.CreatedAt, &d.UpdatedAt, &d.DeliveredAt, &d.Ticket)
	return d, err
}

// validUUID reports whether s has the form of a UUID, so that a malformed
// ID is not_found rather than a database error.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", c):
			return false
		}
	}
	return true
}

// Delivery returns one delivery.
func (s *DispatchStore) Delivery(ctx context.Context, id string) (dispatch.Delivery, error) {
	if !validUUID(id) {
		return dispatch.Delivery{}, errs.E(errs.NotFound, "delivery %q not found", id)
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id)
	if err != nil {
		return dispatch.Delivery{}, translate(err, "delivery "+id)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	return d, translate(err, "delivery "+id)
}

// DeliveryWork reads a delivery, its ticket and its department in one
// round trip (a batch of three queries).
func (s *DispatchStore) DeliveryWork(ctx context.Context, id string) (dispatch.Delivery, *ticketing.Ticket, ticketing.Department, error) {
	var d dispatch.Delivery
	var t *ticketing.Ticket
	var dept ticketing.Department
	if !validUUID(id) {
		return d, nil, dept, errs.E(errs.NotFound, "delivery %q not found", id)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id).Query(func(rows pgx.Rows) (err error) {
		d, err = pgx.CollectExactlyOneRow(rows, scanDelivery)
		return err
	})
	b.Queue(`SELECT `+ticketColumns+` FROM tickets WHERE id = (SELECT ticket_id FROM deliveries WHERE id = $1)`, id).
		QueryRow(func(row pgx.Row) (err error) {
			t, err = scanTicket(row)
			return err
		})
	b.Queue(`SELECT `+departmentColumns+` FROM departments WHERE code = (SELECT department FROM deliveries WHERE id = $1)`, id).
		Query(func(rows pgx.Rows) (err error) {
			dept, err = pgx.CollectExactlyOneRow(rows, scanDepartment)
			return err
		})
	err := s.db.Pool.SendBatch(ctx, b).Close()
	return d, t, dept, translate(err, "delivery "+id)
}

// SaveAttempt records an attempt of a delivery not yet delivered (or
// cancelled) and, once it is finished, marks its outbox message done, in
// one statement.
func (s *DispatchStore) SaveAttempt(ctx context.Context, id string, outboxID int64, a dispatch.Attempt) error {
	_, err := s.db.Pool.Exec(ctx, `WITH d AS (UPDATE deliveries SET attempts = attempts + 1, state = $2, webhook_url = $3,
			last_status = $4, last_error = $5, updated_at = $6,
			delivered_at = CASE WHEN $2 = 'delivered' THEN $6::timestamptz END
			WHERE id = $1 AND state NOT IN ('delivered', 'cancelled') RETURNING id)
		UPDATE outbox SET done_at = $6 WHERE id = $7 AND $2 <> 'pending' AND done_at IS NULL`,
		id, a.State, a.WebhookURL, a.Status, a.Error, a.At, outboxID)
	return translate(err, "save delivery attempt")
}

// Deliveries lists deliveries matching f, newest first.
func (s *DispatchStore) Deliveries(ctx context.Context, f dispatch.DeliveryFilter) ([]dispatch.Delivery, error) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	if f.Department != "" {
		add("department = ?", f.Department)
	}
	if f.TicketID != 0 {
		add("ticket_id = ?", f.TicketID)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	args = append(args, f.Limit)
	rows, err := s.db.Pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries`+where+
		` ORDER BY created_at DESC, id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, translate(err, "list deliveries")
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	return ds, translate(err, "list deliveries")
}

// RetryDelivery sets a failed delivery pending and writes an outbox message
// for it, under the same delivery ID.
func (s *DispatchStore) RetryDelivery(ctx context.Context, id string, now time.Time) error {
	if !validUUID(id) {
		return errs.E(errs.NotFound, "delivery %q not found", id)
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var state string
		if err := tx.QueryRow(ctx, `SELECT state FROM deliveries WHERE id = $1 FOR UPDATE`, id).Scan(&state); err != nil {
			return err
		}
		if state != dispatch.StateFailed {
			return errs.E(errs.Conflict, "delivery %s is %s: only a failed delivery is retried", id, state)
		}
		_, err := tx.Exec(ctx, `WITH d AS (UPDATE deliveries SET state = 'pending', last_error = '', updated_at = $2
				WHERE id = $1 RETURNING id, department, ticket_id, event, detail)
			INSERT INTO outbox (topic, urgent, ticket_id, message, delivery_id, created_at)
			SELECT 'department', false, d.ticket_id, jsonb_build_object('topic', 'department', 'event', d.event,
				'department', d.department, 'detail', d.detail), d.id, $2 FROM d`, id, now)
		return err
	})
	if err == nil {
		s.db.outboxWritten()
	}
	return translate(err, "retry delivery "+id)
}

// NotificationDone reports whether the message's notification was sent,
// not sent or skipped: anything but failed.
func (s *DispatchStore) NotificationDone(ctx context.Context, outboxID int64) (bool, error) {
	var state string
	err := s.db.Pool.QueryRow(ctx, `SELECT state FROM notifications WHERE outbox_id = $1`, outboxID).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return state != "" && state != dispatch.NotificationFailed, translate(err, "notification")
}

// RecordNotification saves a notification's outcome and appends ev to the
// ticket's history unless it was skipped.
func (s *DispatchStore) RecordNotification(ctx context.Context, n dispatch.Notification, ev ticketing.Event) error {
	batch := &pgx.Batch{}
	batch.Queue(`INSERT INTO notifications (outbox_id, ticket_id, template, recipient, state, reason, attempts, provider_id, last_error, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9)
		ON CONFLICT (outbox_id) DO UPDATE SET state = $5, reason = $6, attempts = notifications.attempts + 1,
			provider_id = $7, last_error = $8, updated_at = $9`,
		n.OutboxID, n.TicketID, n.Template, n.Recipient, n.State, n.Reason, n.ProviderID, n.Error, n.At)
	batch.Queue(`UPDATE outbox SET done_at = $2 WHERE id = $1 AND done_at IS NULL`, n.OutboxID, n.At)
	if n.State != dispatch.NotificationSkipped {
		if err := queueEvent(batch, ev); err != nil {
			return err
		}
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, batch).Close() })
	return translate(err, "record notification")
}
