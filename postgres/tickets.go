package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/ticketing"
)

// TicketStore keeps tickets, their history and ticketing's reference data.
type TicketStore struct {
	db *DB
}

var _ ticketing.Store = (*TicketStore)(nil)

// NewTicketStore returns a store on db.
func NewTicketStore(db *DB) *TicketStore { return &TicketStore{db: db} }

const ticketColumns = `id, number, kind, channel, status, urgency, title, content,
	citizen_name, citizen_phone, citizen_id_number, citizen_address, confidential,
	category, region, call_id, chat_id, department, co_departments,
	dispatched_at, sign_due_at, signed_at, due_at, replied_at, closed_at, reply,
	dispatch_count, return_count, reopen_count, urge_count, extension,
	satisfaction, satisfied, callback_at, merged_into, created_by, created_at, updated_at, version,
	warn_at, warned_at, overdue_at, sign_overdue_at, callback_due_at, callback_notified_at, guide_code`

// ticketArgs returns the column values of t in the order of ticketColumns.
func ticketArgs(t *ticketing.Ticket) ([]any, error) {
	var ext []byte
	if t.Extension != nil {
		var err error
		if ext, err = json.Marshal(t.Extension); err != nil {
			return nil, fmt.Errorf("encode extension: %w", err)
		}
	}
	var createdBy *int64
	if t.CreatedBy != 0 {
		createdBy = &t.CreatedBy
	}
	return []any{t.ID, t.Number, t.Kind, t.Channel, t.Status, t.Urgency, t.Title, t.Content,
		t.Citizen.Name, t.Citizen.Phone, t.Citizen.IDNumber, t.Citizen.Address, t.Confidential,
		t.Category, t.Region, t.CallID, t.ChatID, nullable(t.Department), t.CoDepartments,
		t.DispatchedAt, t.SignDueAt, t.SignedAt, t.DueAt, t.RepliedAt, t.ClosedAt, t.Reply,
		t.DispatchCount, t.ReturnCount, t.ReopenCount, t.UrgeCount, ext,
		t.Satisfaction, t.Satisfied, t.CallbackAt, t.MergedInto, createdBy, t.CreatedAt, t.UpdatedAt, t.Version,
		t.WarnAt, t.WarnedAt, t.OverdueAt, t.SignOverdueAt, t.CallbackDueAt, t.CallbackNotifiedAt, nullable(t.GuideCode)}, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func scanTicket(row pgx.Row) (*ticketing.Ticket, error) {
	var t ticketing.Ticket
	var dept *string
	var ext []byte
	var createdBy *int64
	var guide *string
	err := row.Scan(&t.ID, &t.Number, &t.Kind, &t.Channel, &t.Status, &t.Urgency, &t.Title, &t.Content,
		&t.Citizen.Name, &t.Citizen.Phone, &t.Citizen.IDNumber, &t.Citizen.Address, &t.Confidential,
		&t.Category, &t.Region, &t.CallID, &t.ChatID, &dept, &t.CoDepartments,
		&t.DispatchedAt, &t.SignDueAt, &t.SignedAt, &t.DueAt, &t.RepliedAt, &t.ClosedAt, &t.Reply,
		&t.DispatchCount, &t.ReturnCount, &t.ReopenCount, &t.UrgeCount, &ext,
		&t.Satisfaction, &t.Satisfied, &t.CallbackAt, &t.MergedInto, &createdBy, &t.CreatedAt, &t.UpdatedAt, &t.Version,
		&t.WarnAt, &t.WarnedAt, &t.OverdueAt, &t.SignOverdueAt, &t.CallbackDueAt, &t.CallbackNotifiedAt, &guide)
	if err != nil {
		return nil, err
	}
	if dept != nil {
		t.Department = *dept
	}
	if createdBy != nil {
		t.CreatedBy = *createdBy
	}
	if guide != nil {
		t.GuideCode = *guide
	}
	if ext != nil {
		t.Extension = &ticketing.Extension{}
		if err := json.Unmarshal(ext, t.Extension); err != nil {
			return nil, fmt.Errorf("decode extension of ticket %d: %w", t.ID, err)
		}
	}
	return &t, nil
}

// insertTicketSQL takes the ID from the sequence and forms the number as
// ticketing.FormatNumber does: $1 is the date prefix, $2 the least digits,
// then the columns after id and number.
var insertTicketSQL = func() string {
	cols := strings.Split(ticketColumns, ",")[2:]
	vals := make([]string, len(cols))
	for i := range vals {
		vals[i] = "$" + strconv.Itoa(i+3)
	}
	return `INSERT INTO tickets (id, number, ` + strings.Join(cols, ",") + `)
		SELECT n.id, $1 || lpad(n.id::text, greatest($2, length(n.id::text)), '0'), ` + strings.Join(vals, ", ") + `
		FROM (SELECT nextval('tickets_id_seq') AS id) n RETURNING id, number`
}()

// CreateTicket inserts the ticket and its first event in one round trip:
// a batch runs as one implicit transaction, and the event takes the
// ticket's ID from currval on the same connection.
func (s *TicketStore) CreateTicket(ctx context.Context, t *ticketing.Ticket, ev ticketing.Event) error {
	batch, err := createBatch(t, ev)
	if err != nil {
		return err
	}
	if err := s.db.Pool.SendBatch(ctx, batch).Close(); err != nil {
		return translate(err, "create ticket")
	}
	if len(ev.Outbox) > 0 {
		s.db.outboxWritten()
	}
	return nil
}

// createBatch queues the inserts of a new ticket and its first event.
func createBatch(t *ticketing.Ticket, ev ticketing.Event) (*pgx.Batch, error) {
	args, err := ticketArgs(t)
	if err != nil {
		return nil, err
	}
	args = append([]any{ticketing.NumberPrefix(t.CreatedAt), ticketing.NumberDigits}, args[2:]...)
	batch := &pgx.Batch{}
	batch.Queue(insertTicketSQL, args...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&t.ID, &t.Number)
	})
	ev.TicketID = 0 // currval: the ID is not known when the batch is sent
	if err := queueEvent(batch, ev); err != nil {
		return nil, err
	}
	return batch, nil
}

// CreateTicketOnce inserts the ticket with its idempotency key in the same
// implicit transaction: a key already taken fails the key's insert, which
// rolls the ticket back, and the first ticket is looked up instead. A key
// older than since is dropped first, so it may be used again.
func (s *TicketStore) CreateTicketOnce(ctx context.Context, t *ticketing.Ticket, ev ticketing.Event, idem ticketing.Idempotency, since time.Time) (int64, error) {
	batch, err := createBatch(t, ev)
	if err != nil {
		return 0, err
	}
	batch.Queue(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at < $3`, idem.Scope, idem.Key, since)
	batch.Queue(`INSERT INTO idempotency_keys (scope, key, ticket_id, request_hash, created_at)
		VALUES ($1, $2, currval('tickets_id_seq'), $3, $4)`, idem.Scope, idem.Key, idem.RequestHash, t.CreatedAt)
	if rand.IntN(256) == 0 { // now and then, drop the keys of every scope that have expired
		batch.Queue(`DELETE FROM idempotency_keys WHERE created_at < $1`, since)
	}
	err = s.db.Pool.SendBatch(ctx, batch).Close()
	if err == nil {
		if len(ev.Outbox) > 0 {
			s.db.outboxWritten()
		}
		return 0, nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.ConstraintName != "idempotency_keys_pkey" {
		return 0, translate(err, "create ticket")
	}
	t.ID, t.Number = 0, ""
	first, err := s.IdempotentTicket(ctx, idem, since)
	if err == nil && first == 0 { // the key expired in between: the caller may try again
		return 0, errs.E(errs.Conflict, "this Idempotency-Key is being used; try again")
	}
	return first, err
}

// IdempotentTicket returns the ticket the key names, if it is not older than since.
func (s *TicketStore) IdempotentTicket(ctx context.Context, idem ticketing.Idempotency, since time.Time) (int64, error) {
	var first int64
	var hash []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT ticket_id, request_hash FROM idempotency_keys
		WHERE scope = $1 AND key = $2 AND created_at >= $3`, idem.Scope, idem.Key, since).Scan(&first, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, translate(err, "idempotency key")
	}
	if !bytes.Equal(hash, idem.RequestHash) {
		return 0, errs.E(errs.Conflict, "this Idempotency-Key was used for a different request")
	}
	return first, nil
}

// insertEventSQL appends an event; a ticket_id of 0 means the ticket
// inserted just before on the same connection.
const insertEventSQL = `INSERT INTO ticket_events
	(ticket_id, at, actor_id, actor_name, actor_role, actor_department, action, status_from, status_to, payload)
	VALUES (CASE WHEN $1::bigint = 0 THEN currval('tickets_id_seq') ELSE $1::bigint END, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

func queueEvent(b *pgx.Batch, ev ticketing.Event) error {
	payload, err := json.Marshal(ev.Payload)
	if err != nil {
		return fmt.Errorf("encode event payload: %w", err)
	}
	if ev.Payload == nil {
		payload = []byte("{}")
	}
	var actor *int64
	if ev.ActorID != 0 {
		actor = &ev.ActorID
	}
	b.Queue(insertEventSQL, ev.TicketID, ev.At, actor, ev.ActorName, ev.ActorRole, ev.Department,
		ev.Action, ev.From, ev.To, payload)
	for _, m := range ev.Outbox {
		msg, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode outbox message: %w", err)
		}
		var snapshot []byte
		if m.Ticket != nil {
			if snapshot, err = json.Marshal(m.Ticket); err != nil {
				return fmt.Errorf("encode delivery snapshot: %w", err)
			}
		}
		b.Queue(insertOutboxSQL, ev.TicketID, m.Topic, m.Urgent, msg, ev.At, m.Department, m.Event, detail(m.Detail), snapshot)
	}
	return nil
}

// insertOutboxSQL writes one outbox message; a message to a department
// also creates its delivery with the ticket's snapshot, and the task
// carries the delivery's ID. A ticket_id of 0 means the ticket inserted
// just before on the same connection.
const insertOutboxSQL = `WITH t AS (
		SELECT CASE WHEN $1::bigint = 0 THEN currval('tickets_id_seq') ELSE $1::bigint END AS id),
	d AS (INSERT INTO deliveries (department, ticket_id, event, detail, ticket, created_at, updated_at)
		SELECT $6, t.id, $7, $8, $9, $5, $5 FROM t WHERE $2 = 'department' RETURNING id)
	INSERT INTO outbox (topic, urgent, ticket_id, message, delivery_id, created_at)
	SELECT $2, $3, t.id, $4, (SELECT id FROM d), $5 FROM t`

// detail encodes the details of a message for its delivery.
func detail(d map[string]any) map[string]any {
	if d == nil {
		return map[string]any{}
	}
	return d
}

// Ticket returns one ticket.
func (s *TicketStore) Ticket(ctx context.Context, id int64) (*ticketing.Ticket, error) {
	t, err := scanTicket(s.db.Pool.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1`, id))
	if err != nil {
		return nil, translate(err, fmt.Sprintf("ticket %d", id))
	}
	return t, nil
}

// TicketByNumber returns the ticket with the number.
func (s *TicketStore) TicketByNumber(ctx context.Context, number string) (*ticketing.Ticket, error) {
	id, ok := ticketing.NumberID(number)
	if !ok {
		return nil, errs.E(errs.NotFound, "no ticket numbered %q", number)
	}
	t, err := scanTicket(s.db.Pool.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1 AND number = $2`, id, number))
	if err != nil {
		return nil, translate(err, "ticket "+number)
	}
	return t, nil
}

// Tickets lists tickets matching f, newest first.
func (s *TicketStore) Tickets(ctx context.Context, f ticketing.TicketFilter) ([]*ticketing.Ticket, error) {
	sql, args := listSQL(f)
	rows, err := s.db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err, "list tickets")
	}
	defer rows.Close()
	var out []*ticketing.Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, translate(err, "list tickets")
		}
		out = append(out, t)
	}
	return out, translate(rows.Err(), "list tickets")
}

// listSQL is the query of a ticket list: newest first, keyset-paginated on id.
func listSQL(f ticketing.TicketFilter) (string, []any) {
	where, args := ticketWhere(f)
	args = append(args, f.Limit)
	return `SELECT ` + ticketColumns + ` FROM tickets` + where + ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args)), args
}

// ticketWhere builds the WHERE clause of a filter; every value is a parameter.
func ticketWhere(f ticketing.TicketFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	// A single value is compared with =, not = ANY: only then can the
	// planner walk (department, status, id DESC) in order and stop at LIMIT.
	switch len(f.Statuses) {
	case 0:
	case 1:
		add("status = ?", f.Statuses[0])
	default:
		add("status = ANY(?)", f.Statuses)
	}
	switch len(f.Kinds) {
	case 0:
	case 1:
		add("kind = ?", f.Kinds[0])
	default:
		add("kind = ANY(?)", f.Kinds)
	}
	if f.Department != "" {
		add("department = ?", f.Department)
	}
	if f.Involving != "" {
		// co_departments <> '{}' lets the planner use the partial GIN index.
		add("(department = ? OR (co_departments <> '{}' AND co_departments @> ARRAY[?]))", f.Involving)
	}
	if f.Number != "" {
		id, _ := ticketing.NumberID(f.Number) // 0 for a malformed number, which matches nothing
		add("id = ?", id)
		add("number = ?", f.Number)
	}
	if f.Phone != "" {
		// The index on phones leaves out tickets without one; saying so
		// lets a generic plan (a prepared statement's, not knowing the
		// value) use it too, instead of walking every ticket by ID.
		add("citizen_phone <> '' AND citizen_phone = ?", f.Phone)
	}
	if f.Text != "" {
		add("(title || ' ' || content) ILIKE ?", "%"+escapeLike(f.Text)+"%")
	}
	if f.CreatedFrom != nil {
		add("created_at >= ?", *f.CreatedFrom)
	}
	if f.CreatedTo != nil {
		add("created_at < ?", *f.CreatedTo)
	}
	if f.CallbackDueBy != nil {
		add("callback_due_at <= ?", *f.CallbackDueBy)
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CountByStatus counts tickets in each of statuses (all if none); with
// statuses given it walks only their part of the status index.
func (s *TicketStore) CountByStatus(ctx context.Context, statuses ...ticketing.Status) (map[ticketing.Status]int, error) {
	sql, args := `SELECT status, count(*) FROM tickets GROUP BY status`, []any{}
	if len(statuses) > 0 {
		sql, args = `SELECT status, count(*) FROM tickets WHERE status = ANY($1) GROUP BY status`, []any{statuses}
	}
	rows, err := s.db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err, "count tickets")
	}
	defer rows.Close()
	out := map[ticketing.Status]int{}
	for rows.Next() {
		var st ticketing.Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, translate(err, "count tickets")
		}
		out[st] = n
	}
	return out, translate(rows.Err(), "count tickets")
}

// Events returns a page of a ticket's history, oldest first, with each
// actor's display name as the account has it now.
func (s *TicketStore) Events(ctx context.Context, ticketID, after int64, limit int) ([]ticketing.Event, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT e.id, e.ticket_id, e.at, coalesce(e.actor_id, 0), e.actor_name,
		coalesce(u.display_name, ''), e.actor_role, e.actor_department, e.action, e.status_from, e.status_to, e.payload
		FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.ticket_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3`, ticketID, after, limit)
	if err != nil {
		return nil, translate(err, "ticket events")
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ticketing.Event, error) {
		var e ticketing.Event
		err := r.Scan(&e.ID, &e.TicketID, &e.At, &e.ActorID, &e.ActorName, &e.ActorDisplayName, &e.ActorRole,
			&e.Department, &e.Action, &e.From, &e.To, &e.Payload)
		return e, err
	})
	return events, translate(err, "ticket events")
}

// UpdateTickets locks the tickets in ID order, lets fn change them, and
// saves the tickets and events in one transaction.
func (s *TicketStore) UpdateTickets(ctx context.Context, ids []int64, fn func([]*ticketing.Ticket) ([]ticketing.Event, error)) ([]*ticketing.Ticket, error) {
	var out []*ticketing.Ticket
	wroteOutbox := false
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
		if err != nil {
			return err
		}
		byID := map[int64]*ticketing.Ticket{}
		for rows.Next() {
			t, err := scanTicket(rows)
			if err != nil {
				rows.Close()
				return err
			}
			byID[t.ID] = t
		}
		if err := rows.Err(); err != nil {
			return err
		}
		out = make([]*ticketing.Ticket, len(ids))
		for i, id := range ids {
			if out[i] = byID[id]; out[i] == nil {
				return errs.E(errs.NotFound, "ticket %d not found", id)
			}
		}
		events, err := fn(out)
		if err != nil {
			return err
		}
		for _, ev := range events {
			wroteOutbox = wroteOutbox || len(ev.Outbox) > 0
		}
		return saveTickets(ctx, tx, out, events)
	})
	if err != nil {
		return nil, translate(err, "update ticket")
	}
	if wroteOutbox {
		s.db.outboxWritten()
	}
	return out, nil
}

var updateTicketSQL = func() string {
	cols := strings.Split(ticketColumns, ",")
	sets := make([]string, 0, len(cols)-1)
	for i, c := range cols[1:] {
		sets = append(sets, strings.TrimSpace(c)+" = $"+strconv.Itoa(i+2))
	}
	return "UPDATE tickets SET " + strings.Join(sets, ", ") + " WHERE id = $1"
}()

func saveTickets(ctx context.Context, tx pgx.Tx, ts []*ticketing.Ticket, events []ticketing.Event) error {
	batch := &pgx.Batch{}
	for _, t := range ts {
		args, err := ticketArgs(t)
		if err != nil {
			return err
		}
		batch.Queue(updateTicketSQL, args...)
	}
	for _, ev := range events {
		if err := queueEvent(batch, ev); err != nil {
			return err
		}
	}
	return tx.SendBatch(ctx, batch).Close()
}

// SupervisionDue returns the IDs of tickets with a supervision step due at
// now and not yet recorded, oldest first; each branch walks one partial index.
func (s *TicketStore) SupervisionDue(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id FROM (
		(SELECT id FROM tickets WHERE warned_at IS NULL AND status IN ('dispatched', 'in_progress') AND warn_at <= $1 ORDER BY warn_at LIMIT $2)
		UNION (SELECT id FROM tickets WHERE overdue_at IS NULL AND status IN ('dispatched', 'in_progress') AND due_at < $1 ORDER BY due_at LIMIT $2)
		UNION (SELECT id FROM tickets WHERE sign_overdue_at IS NULL AND status = 'dispatched' AND sign_due_at < $1 ORDER BY sign_due_at LIMIT $2)
		UNION (SELECT id FROM tickets WHERE status = 'replied' AND callback_notified_at IS NULL AND callback_due_at <= $1 ORDER BY callback_due_at LIMIT $2)
	) due ORDER BY id LIMIT $2`, now, limit)
	if err != nil {
		return nil, translate(err, "tickets due for supervision")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, translate(err, "tickets due for supervision")
}

// ExplainTickets returns the executed plan (EXPLAIN ANALYZE) of the list
// query for f, exactly as Tickets runs it: a tool for operators and benchmarks.
func (s *TicketStore) ExplainTickets(ctx context.Context, f ticketing.TicketFilter) (string, error) {
	sql, args := listSQL(f)
	rows, err := s.db.Pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+sql, args...)
	if err != nil {
		return "", translate(err, "explain tickets")
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return strings.Join(lines, "\n"), translate(err, "explain tickets")
}
