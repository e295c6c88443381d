package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/telephony"
)

// CallIDs reserves n IDs from the calls' sequence, which CreateCall
// draws from too. Errors: unavailable.
func (s *CallStore) CallIDs(ctx context.Context, n int) ([]int64, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT nextval(pg_get_serial_sequence('calls', 'id')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, translate(err, "reserve call ids")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, translate(err, "reserve call ids")
}

// WriteCalls writes the call log's batch as one pgx batch, which
// PostgreSQL runs as one implicit transaction: one statement inserts the
// new calls (an outbound call with its ticket and callback), one updates
// the others (never their ticket), one appends the
// events, then each missed-call entry in order. Errors: invalid,
// conflict, unavailable.
func (s *CallStore) WriteCalls(ctx context.Context, b telephony.CallBatch) error {
	var ins, upd callColumnsOf
	var evCall []int64
	var evSeq []int32
	var evAt []time.Time
	var evKind, evDetail []string
	for _, w := range b.Calls {
		if w.New {
			ins.add(w.Call)
		} else {
			upd.add(w.Call)
		}
		for i, e := range w.Events {
			evCall = append(evCall, w.Call.ID)
			evSeq = append(evSeq, int32(w.FirstSeq+i))
			evAt, evKind, evDetail = append(evAt, e.At), append(evKind, string(e.Event)), append(evDetail, e.Detail)
		}
	}
	batch := &pgx.Batch{}
	if len(ins.id) > 0 {
		batch.Queue(`INSERT INTO calls (id, direction, caller, callee, started_at, queued_at, answered_at, ended_at, ivr_path,
			queue, agent, outcome, wait_seconds, talk_seconds, hangup_by, satisfaction, recording, ticket_id, callback_id)
			OVERRIDING SYSTEM VALUE
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
				$7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[],
				$15::text[], $16::smallint[], $17::text[], $18::bigint[], $19::bigint[])`, append(ins.args(), ins.ticket, ins.callback)...)
	}
	if len(upd.id) > 0 {
		batch.Queue(`UPDATE calls c SET queued_at = v.queued_at, answered_at = v.answered_at, ended_at = v.ended_at,
			ivr_path = v.ivr_path, queue = v.queue, agent = v.agent, outcome = v.outcome, wait_seconds = v.wait_seconds,
			talk_seconds = v.talk_seconds, hangup_by = v.hangup_by, satisfaction = v.satisfaction, recording = v.recording
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
				$7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[],
				$15::text[], $16::smallint[], $17::text[])
				AS v(id, direction, caller, callee, started_at, queued_at, answered_at, ended_at, ivr_path, queue, agent, outcome,
					wait_seconds, talk_seconds, hangup_by, satisfaction, recording)
			WHERE c.id = v.id`, upd.args()...)
	}
	if len(evCall) > 0 {
		batch.Queue(`INSERT INTO call_events (call_id, seq, at, event, detail)
			SELECT * FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::text[], $5::text[])`,
			evCall, evSeq, evAt, evKind, evDetail)
	}
	for _, cb := range b.Callbacks {
		q, args := callbackSQL(cb)
		batch.Queue(q, args...)
	}
	if batch.Len() == 0 {
		return nil
	}
	return translate(s.db.Pool.SendBatch(ctx, batch).Close(), "write calls")
}

// callColumnsOf holds calls column by column, for unnest.
type callColumnsOf struct {
	id                        []int64
	direction, caller, callee []string
	started                   []time.Time
	queued, answered, ended   []*time.Time
	ivrPath, queue, agent     []string
	outcome, hangupBy         []*string
	wait, talk                []int32
	satisfaction              []*int16
	recording                 []string
	ticket, callback          []*int64 // written only with a new call: an outbound call's
}

func (c *callColumnsOf) add(call telephony.Call) {
	c.id = append(c.id, call.ID)
	c.direction, c.caller, c.callee = append(c.direction, string(call.Direction)), append(c.caller, call.Caller), append(c.callee, call.Callee)
	c.started = append(c.started, call.StartedAt)
	c.queued, c.answered, c.ended = append(c.queued, call.QueuedAt), append(c.answered, call.AnsweredAt), append(c.ended, call.EndedAt)
	c.ivrPath, c.queue, c.agent = append(c.ivrPath, call.IVRPath), append(c.queue, call.Queue), append(c.agent, call.Agent)
	c.outcome, c.hangupBy = append(c.outcome, nullable(string(call.Outcome))), append(c.hangupBy, nullable(string(call.HangupBy)))
	c.wait, c.talk = append(c.wait, int32(call.WaitSeconds)), append(c.talk, int32(call.TalkSeconds))
	var sat *int16
	if call.Satisfaction != 0 {
		n := int16(call.Satisfaction)
		sat = &n
	}
	c.satisfaction = append(c.satisfaction, sat)
	c.recording = append(c.recording, call.Recording)
	c.ticket, c.callback = append(c.ticket, nullableInt(call.TicketID)), append(c.callback, nullableInt(call.CallbackID))
}

func (c *callColumnsOf) args() []any {
	return []any{c.id, c.direction, c.caller, c.callee, c.started, c.queued, c.answered, c.ended, c.ivrPath, c.queue, c.agent,
		c.outcome, c.wait, c.talk, c.hangupBy, c.satisfaction, c.recording}
}
