package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/telephony"
)

// CallStore keeps call records, their events and the missed-call list: it
// implements telephony.CallStore.
type CallStore struct {
	db *DB
}

var _ telephony.CallStore = (*CallStore)(nil)

// NewCallStore returns a CallStore on db.
func NewCallStore(db *DB) *CallStore { return &CallStore{db: db} }

const callColumns = `id, direction, caller, callee, started_at, queued_at, answered_at, ended_at, ivr_path, queue,
	agent, coalesce(outcome, ''), wait_seconds, talk_seconds, coalesce(hangup_by, ''), coalesce(satisfaction, 0),
	recording, coalesce(ticket_id, 0), coalesce(callback_id, 0)`

func scanCall(row pgx.Row) (telephony.Call, error) {
	var c telephony.Call
	err := row.Scan(&c.ID, &c.Direction, &c.Caller, &c.Callee, &c.StartedAt, &c.QueuedAt, &c.AnsweredAt, &c.EndedAt,
		&c.IVRPath, &c.Queue, &c.Agent, &c.Outcome, &c.WaitSeconds, &c.TalkSeconds, &c.HangupBy, &c.Satisfaction,
		&c.Recording, &c.TicketID, &c.CallbackID)
	return c, err
}

// CreateCall inserts a call and its events. Errors: invalid, unavailable.
func (s *CallStore) CreateCall(ctx context.Context, c telephony.Call) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO calls (direction, caller, callee, started_at, agent, ticket_id, callback_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, c.Direction, c.Caller, c.Callee, c.StartedAt, c.Agent,
			nullableInt(c.TicketID), nullableInt(c.CallbackID)).Scan(&id); err != nil {
			return err
		}
		return insertCallEvents(ctx, tx, id, c.Events)
	})
	return id, translate(err, "record call")
}

func insertCallEvents(ctx context.Context, tx pgx.Tx, id int64, evs []telephony.CallEvent) error {
	for _, e := range evs {
		if _, err := tx.Exec(ctx, `INSERT INTO call_events (call_id, seq, at, event, detail)
			SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4 FROM call_events WHERE call_id = $1`,
			id, e.At, e.Event, e.Detail); err != nil {
			return err
		}
	}
	return nil
}

// UpdateCall locks the call, reads its events, runs change and writes the
// result in one transaction (the row lock orders the events' sequence
// numbers). Errors: not_found, invalid, unavailable, those of change.
func (s *CallStore) UpdateCall(ctx context.Context, id int64,
	change func(c *telephony.Call) (telephony.CallChange, error)) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		c, err := scanCall(tx.QueryRow(ctx, `SELECT `+callColumns+` FROM calls WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return translate(err, "call "+strconv.FormatInt(id, 10))
		}
		if c.Events, err = callEvents(ctx, tx, id); err != nil {
			return err
		}
		ch, err := change(&c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE calls SET queued_at = $2, answered_at = $3, ended_at = $4, ivr_path = $5,
			queue = $6, agent = $7, outcome = $8, wait_seconds = $9, talk_seconds = $10, hangup_by = $11,
			satisfaction = $12, recording = $13, ticket_id = $14 WHERE id = $1`,
			id, c.QueuedAt, c.AnsweredAt, c.EndedAt, c.IVRPath, c.Queue, c.Agent, nullable(string(c.Outcome)),
			c.WaitSeconds, c.TalkSeconds, nullable(string(c.HangupBy)), nullableInt(int64(c.Satisfaction)),
			c.Recording, nullableInt(c.TicketID)); err != nil {
			return err
		}
		if err := insertCallEvents(ctx, tx, id, ch.Events); err != nil {
			return err
		}
		if cb := ch.Callback; cb != nil {
			q, args := callbackSQL(*cb)
			_, err := tx.Exec(ctx, q, args...)
			return err
		}
		return nil
	})
	return translate(err, "update call "+strconv.FormatInt(id, 10))
}

// upsertCallback adds a missed-call entry, or merges the call into the
// phone's open one (its first due time kept).
const upsertCallback = `INSERT INTO callbacks (phone, reason, call_id, created_at, updated_at, due_at, state, calls)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
	ON CONFLICT (phone) WHERE state IN ('waiting', 'dialling') DO UPDATE SET reason = excluded.reason,
		call_id = excluded.call_id, updated_at = excluded.updated_at, calls = callbacks.calls + 1`

// resolveCallback marks the phone's waiting entry reached by the agent
// who answered the citizen's call (an entry being dialled is left to
// its call).
const resolveCallback = `UPDATE callbacks SET state = 'reached', agent = $3, updated_at = $2
	WHERE phone = $1 AND state = 'waiting'`

// callbackSQL is the statement and arguments of a finished call's
// entry: an answered call's resolves the phone's waiting entry, a missed
// call's adds or merges one.
func callbackSQL(cb telephony.Callback) (string, []any) {
	if cb.State == telephony.CallbackReached {
		return resolveCallback, []any{cb.Phone, cb.UpdatedAt, cb.Agent}
	}
	return upsertCallback, []any{cb.Phone, cb.Reason, cb.CallID, cb.CreatedAt, cb.UpdatedAt, cb.DueAt, cb.State, cb.Calls}
}

func nullableInt(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// Call returns a call with its events. Errors: not_found, unavailable.
func (s *CallStore) Call(ctx context.Context, id int64) (telephony.Call, error) {
	doing := "call " + strconv.FormatInt(id, 10)
	c, err := scanCall(s.db.Pool.QueryRow(ctx, `SELECT `+callColumns+` FROM calls WHERE id = $1`, id))
	if err != nil {
		return c, translate(err, doing)
	}
	c.Events, err = callEvents(ctx, s.db.Pool, id)
	return c, translate(err, doing+" events")
}

// callEvents reads call id's events in order, on the pool or in a
// transaction.
func callEvents(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, id int64) ([]telephony.CallEvent, error) {
	rows, err := q.Query(ctx, `SELECT at, event, detail FROM call_events WHERE call_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (telephony.CallEvent, error) {
		var e telephony.CallEvent
		err := row.Scan(&e.At, &e.Event, &e.Detail)
		return e, err
	})
}

// Calls lists calls matching f, newest first. Errors: unavailable.
func (s *CallStore) Calls(ctx context.Context, f telephony.CallFilter) ([]telephony.Call, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if !f.From.IsZero() {
		add("started_at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("started_at < $%d", f.To)
	}
	if f.Caller != "" {
		add("caller = $%d", f.Caller)
	}
	if f.Agent != "" {
		add("agent = $%d", f.Agent)
	}
	if f.Outcome != "" {
		add("outcome = $%d", f.Outcome)
	}
	if f.Before > 0 {
		add("id < $%d", f.Before)
	}
	q := `SELECT ` + callColumns + ` FROM calls`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "list calls")
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (telephony.Call, error) { return scanCall(row) })
	return cs, translate(err, "list calls")
}

const callbackColumns = `id, phone, reason, call_id, created_at, updated_at, due_at, state, attempts, calls, agent,
	last_attempt_at`

func scanCallback(row pgx.Row) (telephony.Callback, error) {
	var c telephony.Callback
	err := row.Scan(&c.ID, &c.Phone, &c.Reason, &c.CallID, &c.CreatedAt, &c.UpdatedAt, &c.DueAt, &c.State, &c.Attempts,
		&c.Calls, &c.Agent, &c.LastAttemptAt)
	return c, err
}

// Callbacks lists missed-call entries matching f, newest first; the
// state open selects waiting and dialling ones. Errors: unavailable.
func (s *CallStore) Callbacks(ctx context.Context, f telephony.CallbackFilter) ([]telephony.Callback, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+callbackColumns+` FROM callbacks
		WHERE ($1 = '' OR state = $1 OR $1 = 'open' AND state IN ('waiting', 'dialling')) AND ($2 = 0 OR id < $2)
		ORDER BY id DESC LIMIT $3`,
		string(f.State), f.Before, f.Limit)
	if err != nil {
		return nil, translate(err, "list callbacks")
	}
	cbs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (telephony.Callback, error) { return scanCallback(row) })
	return cbs, translate(err, "list callbacks")
}

// DueCallbacks returns up to limit waiting entries, the first due first.
// Errors: unavailable.
func (s *CallStore) DueCallbacks(ctx context.Context, limit int) ([]telephony.Callback, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+callbackColumns+` FROM callbacks WHERE state = 'waiting'
		ORDER BY due_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, translate(err, "due callbacks")
	}
	cbs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (telephony.Callback, error) { return scanCallback(row) })
	return cbs, translate(err, "due callbacks")
}

// Callback returns one missed-call entry. Errors: not_found, unavailable.
func (s *CallStore) Callback(ctx context.Context, id int64) (telephony.Callback, error) {
	c, err := scanCallback(s.db.Pool.QueryRow(ctx, `SELECT `+callbackColumns+` FROM callbacks WHERE id = $1`, id))
	return c, translate(err, "callback "+strconv.FormatInt(id, 10))
}

// UpdateCallback locks the entry, runs change on it and writes its state,
// attempts, agent and last attempt. Errors: not_found, unavailable, those
// of change.
func (s *CallStore) UpdateCallback(ctx context.Context, id int64, change func(c *telephony.Callback) error) (telephony.Callback, error) {
	var c telephony.Callback
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var err error
		c, err = scanCallback(tx.QueryRow(ctx, `SELECT `+callbackColumns+` FROM callbacks WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return translate(err, "callback "+strconv.FormatInt(id, 10))
		}
		if err := change(&c); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE callbacks SET state = $2, attempts = $3, agent = $4, last_attempt_at = $5, updated_at = $6
			WHERE id = $1`, id, c.State, c.Attempts, c.Agent, c.LastAttemptAt, c.UpdatedAt)
		return err
	})
	return c, translate(err, "update callback "+strconv.FormatInt(id, 10))
}
