package telephony

import (
	"context"
	"strconv"
	"time"
)

// logTimeout bounds one write of the call log: the call goes on whatever
// the database does.
const logTimeout = 5 * time.Second

// CallLog returns the call flow's log writing into these call records:
// the record's ID is the call's id. Each write outlives the call's own
// context (a hang-up cancels it just as the call's end is to be written)
// and is bounded by logTimeout. A call whose record could not be started
// runs under a local id (LocalCallID) and is not recorded.
func (s *Calls) CallLog() CallLog { return callRecords{s} }

type callRecords struct{ calls *Calls }

var _ CallLog = callRecords{}

func (r callRecords) Started(ctx context.Context, caller, callee string, _ time.Time) (string, error) {
	ctx, cancel := detached(ctx)
	defer cancel()
	c, err := r.calls.Start(ctx, NewCall{Direction: Inbound, Caller: caller, Callee: callee})
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(c.ID, 10), nil
}

func (r callRecords) IVRDigit(ctx context.Context, id string, key rune, _ time.Time) error {
	return r.write(ctx, id, func(ctx context.Context, n int64) error {
		return r.calls.Event(ctx, n, EventDigit, string(key))
	})
}

func (r callRecords) Queued(ctx context.Context, id, queue string, _ time.Time) error {
	return r.write(ctx, id, func(ctx context.Context, n int64) error {
		return r.calls.Event(ctx, n, EventQueued, queue)
	})
}

func (r callRecords) Rang(ctx context.Context, id, agent string, _ time.Time) error {
	return r.write(ctx, id, func(ctx context.Context, n int64) error {
		return r.calls.Event(ctx, n, EventOffered, agent)
	})
}

func (r callRecords) Answered(ctx context.Context, id, agent string, _ time.Time) error {
	return r.write(ctx, id, func(ctx context.Context, n int64) error {
		return r.calls.Event(ctx, n, EventAnswered, agent)
	})
}

func (r callRecords) Recorded(ctx context.Context, id, file string) error {
	return r.write(ctx, id, func(ctx context.Context, n int64) error {
		return r.calls.SetRecording(ctx, n, file)
	})
}

func (r callRecords) Rated(ctx context.Context, id string, score int) error {
	return r.write(ctx, id, func(ctx context.Context, n int64) error {
		return r.calls.SetSatisfaction(ctx, n, score)
	})
}

func (r callRecords) Ended(ctx context.Context, id string, outcome Outcome, by HangupBy, _ time.Time) error {
	return r.write(ctx, id, func(ctx context.Context, n int64) error {
		_, err := r.calls.Finish(ctx, n, outcome, by)
		return err
	})
}

// write runs fn on the record of call id; a call without a record (a
// local id) is skipped.
func (r callRecords) write(ctx context.Context, id string, fn func(context.Context, int64) error) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	return fn(ctx, n)
}

func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), logTimeout)
}
