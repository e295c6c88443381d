package telephony

import (
	"context"
	"crypto/rand"
	"time"
)

// CallLog hears what happens to each inbound call, for the call records
// (CDRs), in the vocabulary of calls.go (Outcome, HangupBy). The call
// flow calls it in order from the call's goroutine; an error is logged by
// the flow and does not change the call. A log may store the steps after
// it returns, in their order (CallRecorder writes behind): then an error
// is about the step itself, and a failed write is the log's to report.
// Calls end as ivr, abandoned, answered (an agent ended the contact),
// voicemail, callback_requested or failed.
type CallLog interface {
	// Started: a call from caller to callee arrived; it returns the call's
	// id, which is also routing's Ref, the console's call_id and the
	// recording's name. On an error the flow still takes the call, under
	// an id of its own, unrecorded.
	Started(ctx context.Context, caller, callee string, at time.Time) (id string, err error)
	// IVRDigit: a key the caller pressed in the menu.
	IVRDigit(ctx context.Context, id string, key rune, at time.Time) error
	// Queued: the call entered a routing queue.
	Queued(ctx context.Context, id, queue string, at time.Time) error
	// Rang: an agent's phone rings for the call (routing offered it); a
	// call that rang and is abandoned is a missed call.
	Rang(ctx context.Context, id, agent string, at time.Time) error
	// Answered: the agent's phone answered and the call is bridged.
	Answered(ctx context.Context, id, agent string, at time.Time) error
	// Recorded: the call's recording is the file name in the recordings
	// directory.
	Recorded(ctx context.Context, id, file string) error
	// Joined: a third party (a registered phone's user) joined the call.
	Joined(ctx context.Context, id, party string, at time.Time) error
	// CallbackTo: the caller asked to be called back at phone.
	CallbackTo(ctx context.Context, id, phone string, at time.Time) error
	// Dialled: an outbound call's agent answered and the citizen's number
	// is dialled through the trunk.
	Dialled(ctx context.Context, id, phone string, at time.Time) error
	// NotReached: an outbound call did not reach the citizen, for reason
	// (NotReachedBusy …).
	NotReached(ctx context.Context, id, reason string, at time.Time) error
	// Rated: the caller rated the call 1–5 in the survey.
	Rated(ctx context.Context, id string, score int) error
	// Ended: the call is over; by says who hung up.
	Ended(ctx context.Context, id string, outcome Outcome, by HangupBy, at time.Time) error
}

// NopCallLog records nothing.
type NopCallLog struct{}

// Started returns a random id.
func (NopCallLog) Started(context.Context, string, string, time.Time) (string, error) {
	return LocalCallID(), nil
}

// LocalCallID is an id for a call no record was made of.
func LocalCallID() string { return "call-" + rand.Text() }

// IVRDigit does nothing.
func (NopCallLog) IVRDigit(context.Context, string, rune, time.Time) error { return nil }

// Queued does nothing.
func (NopCallLog) Queued(context.Context, string, string, time.Time) error { return nil }

// Rang does nothing.
func (NopCallLog) Rang(context.Context, string, string, time.Time) error { return nil }

// Answered does nothing.
func (NopCallLog) Answered(context.Context, string, string, time.Time) error { return nil }

// Recorded does nothing.
func (NopCallLog) Recorded(context.Context, string, string) error { return nil }

// Joined does nothing.
func (NopCallLog) Joined(context.Context, string, string, time.Time) error { return nil }

// CallbackTo does nothing.
func (NopCallLog) CallbackTo(context.Context, string, string, time.Time) error { return nil }

// Dialled does nothing.
func (NopCallLog) Dialled(context.Context, string, string, time.Time) error { return nil }

// NotReached does nothing.
func (NopCallLog) NotReached(context.Context, string, string, time.Time) error { return nil }

// Rated does nothing.
func (NopCallLog) Rated(context.Context, string, int) error { return nil }

// Ended does nothing.
func (NopCallLog) Ended(context.Context, string, Outcome, HangupBy, time.Time) error { return nil }
