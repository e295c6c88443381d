package telephony

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/screenpop"
	"github.com/open12345/hotline/ticketing"
)

// Direction says who placed a call.
type Direction string

// Directions.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// Outcome is how a call ended.
type Outcome string

// Outcomes.
const (
	OutcomeIVR               Outcome = "ivr" // served by the voice menu alone
	OutcomeAbandoned         Outcome = "abandoned"
	OutcomeAnswered          Outcome = "answered"
	OutcomeVoicemail         Outcome = "voicemail"
	OutcomeCallbackRequested Outcome = "callback_requested"
	OutcomeFailed            Outcome = "failed"
)

// ParseOutcome returns the outcome named s. Errors: invalid.
func ParseOutcome(s string) (Outcome, error) {
	switch o := Outcome(s); o {
	case OutcomeIVR, OutcomeAbandoned, OutcomeAnswered, OutcomeVoicemail, OutcomeCallbackRequested, OutcomeFailed:
		return o, nil
	}
	return "", errs.E(errs.Invalid, "outcome must be ivr, abandoned, answered, voicemail, callback_requested or failed")
}

// HangupBy says which side ended a call.
type HangupBy string

// Sides that hang up.
const (
	HangupCaller HangupBy = "caller"
	HangupAgent  HangupBy = "agent"
	HangupSystem HangupBy = "system"
)

// EventKind names a step of a call.
type EventKind string

// Steps of a call, in the order they usually come.
const (
	EventStarted    EventKind = "started"     // detail: the callee
	EventDigit      EventKind = "digit"       // detail: the digit pressed
	EventQueued     EventKind = "queued"      // detail: the queue
	EventOffered    EventKind = "offered"     // detail: the agent rung
	EventAnswered   EventKind = "answered"    // detail: the agent who answered
	EventCallback   EventKind = "callback"    // detail: the number the caller asked to be called back at
	EventJoined     EventKind = "joined"      // detail: the third party of a three-way call
	EventDialled    EventKind = "dialled"     // an outbound call: the citizen's number is dialled through the trunk
	EventNotReached EventKind = "not_reached" // an outbound call: why the citizen was not reached (busy, no_answer, rejected, failed, agent_no_answer)
	EventEnded      EventKind = "ended"       // detail: the outcome
)

// CallEvent is one step of a call.
type CallEvent struct {
	At     time.Time
	Event  EventKind
	Detail string
}

// Call is a call detail record.
type Call struct {
	ID           int64
	Direction    Direction
	Caller       string // the calling number, normalised when it is a phone number
	Callee       string
	StartedAt    time.Time
	QueuedAt     *time.Time
	AnsweredAt   *time.Time
	EndedAt      *time.Time
	IVRPath      string // the menu digits pressed, in order
	Queue        string
	Agent        string // the agent who answered
	Outcome      Outcome
	WaitSeconds  int // from entering the queue to being answered or leaving
	TalkSeconds  int
	HangupBy     HangupBy
	Satisfaction int    // 1..5; 0 when not rated
	Recording    string // file name under the recordings directory; "" when none
	TicketID     int64  // 0 when no ticket was made
	CallbackID   int64  // an outbound call's missed-call entry; 0 for none
	Events       []CallEvent
}

// CallChange is what a write adds besides the call's own fields: events
// to append and, for a missed call, the missed-call entry.
type CallChange struct {
	Events   []CallEvent
	Callback *Callback
}

// CallFilter selects calls, newest first: started in [From, To) (zero:
// unbounded), with ID below Before (0: from the newest), at most Limit.
type CallFilter struct {
	From, To time.Time
	Caller   string
	Agent    string
	Outcome  Outcome
	Before   int64
	Limit    int
}

// CallStore keeps call records and the missed-call list.
type CallStore interface {
	// CreateCall inserts c with its events and returns its ID.
	CreateCall(ctx context.Context, c Call) (int64, error)
	// UpdateCall locks call id, runs change on it (with its events) and writes the call,
	// the change's events and its callback (Callback.Upsert's rule) in one
	// transaction. Errors: not_found, those of change.
	UpdateCall(ctx context.Context, id int64, change func(c *Call) (CallChange, error)) error
	// Call returns a call with its events. Errors: not_found.
	Call(ctx context.Context, id int64) (Call, error)
	// Calls lists calls matching f, without events.
	Calls(ctx context.Context, f CallFilter) ([]Call, error)
	// Callbacks lists missed-call entries matching f.
	Callbacks(ctx context.Context, f CallbackFilter) ([]Callback, error)
	// DueCallbacks returns up to limit waiting entries, the first due
	// first.
	DueCallbacks(ctx context.Context, limit int) ([]Callback, error)
	// Callback returns one missed-call entry. Errors: not_found.
	Callback(ctx context.Context, id int64) (Callback, error)
	// UpdateCallback locks entry id, runs change on it and writes its
	// state, attempts, agent, last attempt and update time. Errors:
	// not_found, those of change.
	UpdateCallback(ctx context.Context, id int64, change func(c *Callback) error) (Callback, error)
	// CallIDs reserves n new call IDs, which no other caller (and no
	// CreateCall) gets, in increasing order. Errors: unavailable.
	CallIDs(ctx context.Context, n int) ([]int64, error)
	// WriteCalls writes a batch of the call log in one transaction: each
	// call's fields but its ticket, its new events and the missed-call
	// entries in order (each refreshes its phone's open entry, as Callback
	// says). Errors: invalid, conflict, unavailable.
	WriteCalls(ctx context.Context, b CallBatch) error
}

// CallWrite is what a batch writes of one call: its fields as they now
// stand (but TicketID, which LinkTicket writes), inserted when New, and
// the events it adds, numbered from FirstSeq (1 for a call's first).
type CallWrite struct {
	Call     Call // without events
	New      bool
	Events   []CallEvent
	FirstSeq int
}

// CallBatch is what one write of the call log stores: calls, and the
// missed-call entries of those that ended, in the order they ended.
type CallBatch struct {
	Calls     []CallWrite
	Callbacks []Callback
}

// Page sizes of the call and callback lists.
const (
	DefaultCallPage = 50
	MaxCallPage     = 200
)

// maxIVRPath bounds the digits kept of a caller who keeps pressing keys.
const maxIVRPath = 32

// Calls records calls for the call flow and reads them for staff and
// for the screen pop (a screenpop.CallHistory).
type Calls struct {
	store   CallStore
	clock   clock.Clock
	ratings TicketRatings // nil: ratings stay on the call's record
}

var _ screenpop.CallHistory = (*Calls)(nil)

// NewCalls returns the call records over store.
func NewCalls(store CallStore, clk clock.Clock, opts ...CallsOption) *Calls {
	s := &Calls{store: store, clock: clk}
	for _, o := range opts {
		o(s)
	}
	return s
}

// NewCall is a call as it begins.
type NewCall struct {
	Direction  Direction
	Caller     string
	Callee     string
	Agent      string // an outbound call's: the agent who places it
	TicketID   int64  // an outbound call's ticket (a 回访 call); 0 for none
	CallbackID int64  // an outbound call's missed-call entry; 0 for none
}

// Start records a call that begins now and returns it. Errors: invalid.
func (s *Calls) Start(ctx context.Context, n NewCall) (Call, error) {
	c, err := beginCall(n, s.clock.Now())
	if err != nil {
		return Call{}, err
	}
	id, err := s.store.CreateCall(ctx, c)
	if err != nil {
		return Call{}, fmt.Errorf("start call: %w", err)
	}
	c.ID = id
	return c, nil
}

// beginCall is the record of a call n that begins at now, without its
// ID. Errors: invalid.
func beginCall(n NewCall, now time.Time) (Call, error) {
	if n.Direction != Inbound && n.Direction != Outbound {
		return Call{}, errs.E(errs.Invalid, "direction must be inbound or outbound")
	}
	if len(n.Caller) > 64 || len(n.Callee) > 64 {
		return Call{}, errs.E(errs.Invalid, "caller and callee are at most 64 bytes")
	}
	if n.Direction == Inbound && (n.TicketID != 0 || n.CallbackID != 0 || n.Agent != "") {
		return Call{}, errs.E(errs.Invalid, "only an outbound call starts with an agent, a ticket or a callback")
	}
	return Call{Direction: n.Direction, Caller: normalPhone(n.Caller), Callee: normalPhone(n.Callee), StartedAt: now,
		Agent: n.Agent, TicketID: n.TicketID, CallbackID: n.CallbackID, Events: []CallEvent{{At: now, Event: EventStarted, Detail: n.Callee}}}, nil
}

// normalPhone is s normalised when it is a phone number, else s (a SIP
// user, "anonymous"), so that the screen pop finds a caller's calls by
// the number as tickets store it.
func normalPhone(s string) string {
	if p, err := ticketing.NormalizePhone(s); err == nil && p != "" {
		return p
	}
	return s
}

// Event records a step of a live call now: a digit extends the IVR path,
// queued sets the queue, answered sets the agent and the answer time.
// Errors: invalid, not_found, conflict (the call has ended).
func (s *Calls) Event(ctx context.Context, id int64, kind EventKind, detail string) error {
	if err := checkEvent(kind, detail); err != nil {
		return err
	}
	now := s.clock.Now()
	err := s.store.UpdateCall(ctx, id, func(c *Call) (CallChange, error) { return c.step(kind, detail, now) })
	if err != nil {
		return fmt.Errorf("call %d %s: %w", id, kind, err)
	}
	return nil
}

// checkEvent checks a step of a live call. Errors: invalid.
func checkEvent(kind EventKind, detail string) error {
	if len(detail) > 200 {
		return errs.E(errs.Invalid, "event detail is at most 200 bytes")
	}
	switch kind {
	case EventDigit, EventQueued, EventOffered, EventAnswered, EventJoined, EventDialled, EventNotReached:
		return nil
	case EventCallback:
		if !isDigits(detail) || len(detail) > 20 {
			return errs.E(errs.Invalid, "a callback number is 1 to 20 digits")
		}
		return nil
	}
	return errs.E(errs.Invalid, "event must be digit, queued, offered, answered, joined or callback")
}

// step applies a step checkEvent let through to c at now. Errors:
// conflict (the call has ended).
func (c *Call) step(kind EventKind, detail string, now time.Time) (CallChange, error) {
	if c.EndedAt != nil {
		return CallChange{}, errs.E(errs.Conflict, "call %d has ended", c.ID)
	}
	switch kind {
	case EventDigit:
		if len(c.IVRPath)+len(detail) <= maxIVRPath {
			c.IVRPath += detail
		}
	case EventQueued:
		c.Queue, c.QueuedAt = detail, &now
	case EventAnswered:
		c.Agent, c.AnsweredAt = detail, &now
	}
	return CallChange{Events: []CallEvent{{At: now, Event: kind, Detail: detail}}}, nil
}

// Finish ends a call now with its outcome. An inbound call from a phone
// number that was abandoned, asked for a callback or left a voicemail
// goes on the missed-call list (abandoned after an agent's phone rang:
// missed). Errors: invalid (an answered outcome for
// a call nobody answered), not_found, conflict (already ended).
func (s *Calls) Finish(ctx context.Context, id int64, outcome Outcome, by HangupBy) (Call, error) {
	if err := checkFinish(outcome, by); err != nil {
		return Call{}, err
	}
	now := s.clock.Now()
	var out Call
	err := s.store.UpdateCall(ctx, id, func(c *Call) (CallChange, error) {
		ch, err := c.finish(outcome, by, now)
		out = *c
		return ch, err
	})
	if err != nil {
		return Call{}, fmt.Errorf("finish call %d: %w", id, err)
	}
	return out, nil
}

// checkFinish checks how a call ends. Errors: invalid.
func checkFinish(outcome Outcome, by HangupBy) error {
	if _, err := ParseOutcome(string(outcome)); err != nil {
		return err
	}
	if by != HangupCaller && by != HangupAgent && by != HangupSystem {
		return errs.E(errs.Invalid, "hangup_by must be caller, agent or system")
	}
	return nil
}

// finish ends c at now as checkFinish let through, with its missed-call
// entry; c has its events. Errors: invalid (an answered outcome for a
// call nobody answered), conflict (already ended).
func (c *Call) finish(outcome Outcome, by HangupBy, now time.Time) (CallChange, error) {
	if c.EndedAt != nil {
		return CallChange{}, errs.E(errs.Conflict, "call %d has already ended", c.ID)
	}
	if (outcome == OutcomeAnswered) != (c.AnsweredAt != nil) {
		return CallChange{}, errs.E(errs.Invalid, "call %d: outcome answered is for answered calls only", c.ID)
	}
	c.EndedAt, c.Outcome, c.HangupBy = &now, outcome, by
	if c.QueuedAt != nil {
		left := now
		if c.AnsweredAt != nil {
			left = *c.AnsweredAt
		}
		c.WaitSeconds = seconds(left.Sub(*c.QueuedAt))
	}
	if c.AnsweredAt != nil {
		c.TalkSeconds = seconds(now.Sub(*c.AnsweredAt))
	}
	return CallChange{Events: []CallEvent{{At: now, Event: EventEnded, Detail: string(outcome)}},
		Callback: missedCall(*c, now)}, nil
}

func seconds(d time.Duration) int { return int(max(d, 0) / time.Second) }

// LinkTicket records the ticket made during a call; a call keeps the
// first ticket linked to it, which gets the call's rating if it has one
// (rateTicket). Errors: not_found, those of TicketRatings.
func (s *Calls) LinkTicket(ctx context.Context, id, ticketID int64) error {
	var linked Call
	err := s.store.UpdateCall(ctx, id, func(c *Call) (CallChange, error) {
		if c.TicketID == 0 {
			c.TicketID = ticketID
		}
		linked = *c
		return CallChange{}, nil
	})
	if err == nil {
		err = s.rateTicket(ctx, linked)
	}
	if err != nil {
		return fmt.Errorf("link call %d to ticket %d: %w", id, ticketID, err)
	}
	return nil
}

// SetSatisfaction records the caller's rating, 1 to 5, which goes to the
// call's ticket too if it has one (rateTicket). Errors: invalid,
// not_found, those of TicketRatings.
func (s *Calls) SetSatisfaction(ctx context.Context, id int64, score int) error {
	if score < 1 || score > 5 {
		return errs.E(errs.Invalid, "satisfaction must be 1 to 5")
	}
	var rated Call
	err := s.store.UpdateCall(ctx, id, func(c *Call) (CallChange, error) {
		c.Satisfaction = score
		rated = *c
		return CallChange{}, nil
	})
	if err == nil {
		err = s.rateTicket(ctx, rated)
	}
	if err != nil {
		return fmt.Errorf("rate call %d: %w", id, err)
	}
	return nil
}

// SetRecording names the call's recording, a file in the recordings
// directory. Errors: invalid (a name that is not one plain file name),
// not_found.
func (s *Calls) SetRecording(ctx context.Context, id int64, name string) error {
	if !plainFileName(name) {
		return errs.E(errs.Invalid, "recording must be a plain file name")
	}
	err := s.store.UpdateCall(ctx, id, func(c *Call) (CallChange, error) {
		c.Recording = name
		return CallChange{}, nil
	})
	if err != nil {
		return fmt.Errorf("set recording of call %d: %w", id, err)
	}
	return nil
}

func plainFileName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 200 {
		return false
	}
	for _, r := range name {
		if r == '/' || r == '\\' || r < ' ' {
			return false
		}
	}
	return true
}

// List returns a page of calls the actor may see, newest first, and the
// cursor of the next page (0 when none): supervisors and admins see every
// call, an agent the calls they answered. Errors: invalid, forbidden
// (departments; an agent asking for another agent's calls).
func (s *Calls) List(ctx context.Context, actor auth.Actor, f CallFilter) ([]Call, int64, error) {
	if err := mayReadCalls(actor); err != nil {
		return nil, 0, err
	}
	if actor.Is(auth.RoleAgent) {
		if f.Agent != "" && f.Agent != actor.Username {
			return nil, 0, errs.E(errs.Forbidden, "an agent sees only the calls they answered")
		}
		f.Agent = actor.Username
	}
	if f.Limit == 0 {
		f.Limit = DefaultCallPage
	}
	if f.Limit < 0 || f.Limit > MaxCallPage {
		return nil, 0, errs.E(errs.Invalid, "limit must be 1 to %d", MaxCallPage)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, 0, errs.E(errs.Invalid, "from must be before to")
	}
	if len(f.Caller) > 64 || len(f.Agent) > 64 {
		return nil, 0, errs.E(errs.Invalid, "caller and agent are at most 64 bytes")
	}
	f.Caller = normalPhone(f.Caller)
	limit := f.Limit
	f.Limit++ // one more tells whether a next page exists
	cs, err := s.store.Calls(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list calls: %w", err)
	}
	var next int64
	if len(cs) > limit {
		cs = cs[:limit]
		next = cs[limit-1].ID
	}
	return cs, next, nil
}

// Get returns a call with its events, as List decides who may see it.
// Errors: not_found, forbidden.
func (s *Calls) Get(ctx context.Context, actor auth.Actor, id int64) (Call, error) {
	if err := mayReadCalls(actor); err != nil {
		return Call{}, err
	}
	c, err := s.store.Call(ctx, id)
	if err != nil {
		return Call{}, fmt.Errorf("call %d: %w", id, err)
	}
	if actor.Is(auth.RoleAgent) && c.Agent != actor.Username {
		return Call{}, errs.E(errs.Forbidden, "an agent sees only the calls they answered")
	}
	return c, nil
}

// Calls returns a phone number's latest finished calls, newest first, at most
// limit: the screen pop's call history, shown to whichever agent the
// call rings.
func (s *Calls) Calls(ctx context.Context, phone string, limit int) ([]screenpop.Call, error) {
	// One more than asked: the call being offered is in progress and is
	// not one of the caller's past calls.
	cs, err := s.store.Calls(ctx, CallFilter{Caller: normalPhone(phone), Limit: limit + 1})
	if err != nil {
		return nil, fmt.Errorf("call history: %w", err)
	}
	out := make([]screenpop.Call, 0, len(cs))
	for _, c := range cs {
		if c.EndedAt == nil || len(out) == limit {
			continue
		}
		out = append(out, screenpop.Call{ID: strconv.FormatInt(c.ID, 10), StartedAt: c.StartedAt, Outcome: string(c.Outcome),
			Queue: c.Queue, Agent: c.Agent, TalkSeconds: c.TalkSeconds})
	}
	return out, nil
}

// mayReadCalls refuses departments: calls hold the citizen's voice and
// number, which they never see.
func mayReadCalls(actor auth.Actor) error {
	if !actor.Is(auth.RoleAdmin, auth.RoleSupervisor, auth.RoleAgent) {
		return errs.E(errs.Forbidden, "the %s role may not read call records", actor.Role)
	}
	return nil
}
