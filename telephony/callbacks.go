package telephony

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// CallbackReason says why a phone is on the missed-call list.
type CallbackReason string

// Reasons. Missed is an abandoned call that rang an agent's phone
// (nobody answered), abandoned one that ended before any phone rang.
const (
	ReasonAbandoned CallbackReason = "abandoned"
	ReasonMissed    CallbackReason = "missed"
	ReasonRequested CallbackReason = "requested"
	ReasonVoicemail CallbackReason = "voicemail"
)

// CallbackState is where a missed-call entry stands.
type CallbackState string

// States: an entry waits until an agent dials it (dialling); a call that
// reaches the citizen ends it (reached), one that does not puts it back
// to waiting, or to unreachable after the allowed attempts. A supervisor
// may cancel a waiting entry.
const (
	CallbackWaiting     CallbackState = "waiting"
	CallbackDialling    CallbackState = "dialling"
	CallbackReached     CallbackState = "reached"
	CallbackUnreachable CallbackState = "unreachable"
	CallbackCancelled   CallbackState = "cancelled"
	// CallbackOpen selects waiting and dialling entries in a filter: the
	// list still to be worked. No entry is in it.
	CallbackOpen CallbackState = "open"
)

// ParseCallbackState returns the state named s (open, a filter's,
// included). Errors: invalid.
func ParseCallbackState(s string) (CallbackState, error) {
	switch st := CallbackState(s); st {
	case CallbackWaiting, CallbackDialling, CallbackReached, CallbackUnreachable, CallbackCancelled, CallbackOpen:
		return st, nil
	}
	return "", errs.E(errs.Invalid, "state must be open, waiting, dialling, reached, unreachable or cancelled")
}

// CallbackWithin is how soon a missed caller is to be called back.
const CallbackWithin = time.Hour

// Callback is an entry of the missed-call list (漏接回拨). A phone has at
// most one open (waiting or dialling) entry: each further missed call is
// merged into it (the latest call and reason, Calls counts the caller's
// missed calls) and keeps its first due time, so calling again never
// moves a caller back.
type Callback struct {
	ID            int64
	Phone         string
	Reason        CallbackReason
	CallID        int64 // the latest missed call
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DueAt         time.Time
	State         CallbackState
	Attempts      int        // the hotline's dial attempts
	Calls         int        // the citizen's missed calls merged here
	Agent         string     // who dialled it last
	LastAttemptAt *time.Time // when it was dialled last
}

// CallbackFilter selects entries, newest first: in State ("" for any),
// with ID below Before (0: from the newest), at most Limit.
type CallbackFilter struct {
	State  CallbackState
	Before int64
	Limit  int
}

// missedCall is the missed-call entry a finished call adds, or nil; c
// has its events. A caller who asked to be called back at another
// number is called back there. An answered call is an entry in state
// reached: it resolves the phone's waiting entry, if there is one (the
// store's rule), and adds none.
func missedCall(c Call, now time.Time) *Callback {
	phone := c.Caller
	for _, e := range c.Events {
		if e.Event == EventCallback {
			phone = e.Detail // the number the caller keyed, the latest
		}
	}
	if c.Direction != Inbound || !isDigits(phone) { // "anonymous" or a SIP user cannot be called back
		return nil
	}
	var reason CallbackReason
	switch c.Outcome {
	case OutcomeAnswered: // the citizen got through: a waiting entry is done with
		return &Callback{Phone: normalPhone(phone), CallID: c.ID, UpdatedAt: now, State: CallbackReached, Agent: c.Agent}
	case OutcomeAbandoned:
		reason = ReasonAbandoned
		if slices.ContainsFunc(c.Events, func(e CallEvent) bool { return e.Event == EventOffered }) {
			reason = ReasonMissed
		}
	case OutcomeCallbackRequested:
		reason = ReasonRequested
	case OutcomeVoicemail:
		reason = ReasonVoicemail
	default:
		return nil
	}
	return &Callback{Phone: normalPhone(phone), Reason: reason, CallID: c.ID, CreatedAt: now, UpdatedAt: now,
		DueAt: now.Add(CallbackWithin), State: CallbackWaiting, Calls: 1}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Callbacks returns a page of the missed-call list, newest first, and the
// cursor of the next page (0 when none). Supervisors and admins manage the
// list and agents work it (a contact center's agents make the callbacks
// between calls), so all three read it. Errors: invalid, forbidden
// (departments).
func (s *Calls) Callbacks(ctx context.Context, actor auth.Actor, f CallbackFilter) ([]Callback, int64, error) {
	if err := mayReadCalls(actor); err != nil {
		return nil, 0, err
	}
	if f.Limit == 0 {
		f.Limit = DefaultCallPage
	}
	if f.Limit < 0 || f.Limit > MaxCallPage {
		return nil, 0, errs.E(errs.Invalid, "limit must be 1 to %d", MaxCallPage)
	}
	limit := f.Limit
	f.Limit++
	cbs, err := s.store.Callbacks(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list callbacks: %w", err)
	}
	var next int64
	if len(cbs) > limit {
		cbs = cbs[:limit]
		next = cbs[limit-1].ID
	}
	return cbs, next, nil
}
