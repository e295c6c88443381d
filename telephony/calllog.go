package telephony

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/open12345/hotline/errs"
)

// logTimeout bounds one write of the call log: the call goes on whatever
// the database does.
const logTimeout = 5 * time.Second

// Call IDs are reserved in blocks of callIDBlock, the next block once
// fewer than callIDLow are left, so that a call's id is known at once.
const (
	callIDBlock = 200
	callIDLow   = 100
)

// Retries of a write the database could not take: the first after
// retryFirst, doubling up to retryMax.
const (
	retryFirst = 100 * time.Millisecond
	retryMax   = 5 * time.Second
)

// CallRecorder is the call flow's CallLog over these call records. It
// keeps each call in progress in memory and writes behind: a step
// returns once checked, and one writer stores every step queued
// meanwhile in one transaction, each call's in order. A call's id is
// its record's ID, reserved ahead in blocks. A write the database is
// unavailable for is retried (backing off up to 5 s); a write it refuses
// is tried call by call, and a call's write that still fails is logged
// and dropped. Close writes what is left.
type CallRecorder struct {
	calls *Calls
	log   *slog.Logger
	retry time.Duration

	ctx  context.Context    // the writer's; cancelled to give up
	stop context.CancelFunc //
	done chan struct{}      // closed when the writer has returned
	bg   sync.WaitGroup     // refills of ids

	fetch sync.Mutex // one reservation of ids at a time

	mu        sync.Mutex
	live      map[int64]*Call // calls in progress, with their events
	pending   *callBatch      // queued, not yet taken by the writer
	queued    uint64          // steps queued so far
	written   uint64          // steps written (or dropped) so far, in order
	progress  chan struct{}   // closed and replaced when written moves or the writer returns
	wake      chan struct{}   // the writer has something to do
	closing   bool
	lost      int // calls whose writes were left when the writer gave up
	ids       []int64
	refilling bool
}

var _ CallLog = (*CallRecorder)(nil)

// RecorderOption configures a CallRecorder.
type RecorderOption func(*CallRecorder)

// WithRetryDelay sets the first delay before a write is tried again
// (default 100 ms), doubling up to 5 s.
func WithRetryDelay(d time.Duration) RecorderOption { return func(r *CallRecorder) { r.retry = d } }

// CallLog returns the call flow's log writing into these call records
// and starts its writer; Close stops it.
func (s *Calls) CallLog(log *slog.Logger, opts ...RecorderOption) *CallRecorder {
	ctx, stop := context.WithCancel(context.Background())
	r := &CallRecorder{calls: s, log: log, retry: retryFirst, ctx: ctx, stop: stop, done: make(chan struct{}),
		live: map[int64]*Call{}, pending: newCallBatch(), progress: make(chan struct{}), wake: make(chan struct{}, 1)}
	for _, o := range opts {
		o(r)
	}
	go r.run()
	return r
}

// Started records a call that begins now under an id reserved ahead.
// Errors: invalid, unavailable (no id could be reserved, or the log is
// closed).
func (r *CallRecorder) Started(ctx context.Context, caller, callee string, _ time.Time) (string, error) {
	return r.start(ctx, NewCall{Direction: Inbound, Caller: caller, Callee: callee})
}

// StartedOutbound records an outbound call that begins now, as Started
// does an inbound one. Errors: as Started.
func (r *CallRecorder) StartedOutbound(ctx context.Context, n NewCall) (string, error) {
	n.Direction = Outbound
	return r.start(ctx, n)
}

func (r *CallRecorder) start(ctx context.Context, n NewCall) (string, error) {
	c, err := beginCall(n, r.calls.clock.Now())
	if err != nil {
		return "", err
	}
	if c.ID, err = r.nextID(ctx); err != nil {
		return "", fmt.Errorf("start call: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return "", errs.E(errs.Unavailable, "the call log is closed")
	}
	r.live[c.ID] = &c
	r.queue(&c, true, c.Events, nil)
	return strconv.FormatInt(c.ID, 10), nil
}

// IVRDigit records a key pressed in the menu.
func (r *CallRecorder) IVRDigit(_ context.Context, id string, key rune, _ time.Time) error {
	return r.step(id, EventDigit, string(key))
}

// Queued records the queue the call entered.
func (r *CallRecorder) Queued(_ context.Context, id, queue string, _ time.Time) error {
	return r.step(id, EventQueued, queue)
}

// Rang records the agent whose phone rings.
func (r *CallRecorder) Rang(_ context.Context, id, agent string, _ time.Time) error {
	return r.step(id, EventOffered, agent)
}

// Answered records the agent who answered.
func (r *CallRecorder) Answered(_ context.Context, id, agent string, _ time.Time) error {
	return r.step(id, EventAnswered, agent)
}

// Joined records the third party of a three-way call.
func (r *CallRecorder) Joined(_ context.Context, id, party string, _ time.Time) error {
	return r.step(id, EventJoined, party)
}

// Dialled records that the citizen's number is dialled.
func (r *CallRecorder) Dialled(_ context.Context, id, phone string, _ time.Time) error {
	return r.step(id, EventDialled, phone)
}

// NotReached records why an outbound call did not reach the citizen.
func (r *CallRecorder) NotReached(_ context.Context, id, reason string, _ time.Time) error {
	return r.step(id, EventNotReached, reason)
}

// CallbackTo records the number the caller asked to be called back at.
func (r *CallRecorder) CallbackTo(_ context.Context, id, phone string, _ time.Time) error {
	return r.step(id, EventCallback, phone)
}

// Recorded names the call's recording. Errors: invalid, not_found.
func (r *CallRecorder) Recorded(_ context.Context, id, file string) error {
	if !plainFileName(file) {
		return errs.E(errs.Invalid, "recording must be a plain file name")
	}
	return r.change(id, func(c *Call) (CallChange, error) {
		c.Recording = file
		return CallChange{}, nil
	})
}

// Rated records the caller's rating and, once it is written, gives it to
// the call's ticket if one is linked (as SetSatisfaction does). Errors:
// invalid, not_found, unavailable, those of TicketRatings.
func (r *CallRecorder) Rated(ctx context.Context, id string, score int) error {
	if score < 1 || score > 5 {
		return errs.E(errs.Invalid, "satisfaction must be 1 to 5")
	}
	err := r.change(id, func(c *Call) (CallChange, error) {
		c.Satisfaction = score
		return CallChange{}, nil
	})
	n, perr := strconv.ParseInt(id, 10, 64)
	if err != nil || perr != nil {
		return err
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		return fmt.Errorf("rate call %d: %w", n, err)
	}
	// The ticket is linked under the row's lock, after or before the
	// rating was written: read it now that the rating is.
	c, err := r.calls.store.Call(ctx, n)
	if err == nil {
		err = r.calls.rateTicket(ctx, c)
	}
	if err != nil {
		return fmt.Errorf("rate call %d: %w", n, err)
	}
	return nil
}

// Ended records how the call ended, with its missed-call entry.
// Errors: invalid, not_found, conflict.
func (r *CallRecorder) Ended(_ context.Context, id string, outcome Outcome, by HangupBy, _ time.Time) error {
	if err := checkFinish(outcome, by); err != nil {
		return err
	}
	return r.change(id, func(c *Call) (CallChange, error) { return c.finish(outcome, by, r.calls.clock.Now()) })
}

func (r *CallRecorder) step(id string, kind EventKind, detail string) error {
	if err := checkEvent(kind, detail); err != nil {
		return err
	}
	return r.change(id, func(c *Call) (CallChange, error) { return c.step(kind, detail, r.calls.clock.Now()) })
}

// change runs fn on call id in progress and queues what it changed; an
// ended call leaves memory. A call without a record (a local id) is
// skipped. Errors: not_found (not in progress), unavailable (closed),
// those of fn, which changes nothing when it fails.
func (r *CallRecorder) change(id string, fn func(c *Call) (CallChange, error)) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.live[n]
	switch {
	case r.closing:
		return errs.E(errs.Unavailable, "the call log is closed")
	case c == nil:
		return errs.E(errs.NotFound, "call %d is not in progress", n)
	}
	ch, err := fn(c)
	if err != nil {
		return err
	}
	c.Events = append(c.Events, ch.Events...)
	if c.EndedAt != nil {
		delete(r.live, n)
	}
	r.queue(c, false, ch.Events, ch.Callback)
	return nil
}

// queue adds a change of c (events evs, the last ones of c.Events) to
// the pending batch and wakes the writer; r.mu is held.
func (r *CallRecorder) queue(c *Call, isNew bool, evs []CallEvent, cb *Callback) {
	r.queued++
	call := *c
	call.Events = nil
	r.pending.add(CallWrite{Call: call, New: isNew, Events: evs, FirstSeq: len(c.Events) - len(evs) + 1}, cb, r.queued)
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Flush waits until every step logged before it is written (or, refused
// by the database, dropped). Errors: unavailable (ctx ended first, or the
// writer gave up).
func (r *CallRecorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	target := r.queued
	for r.written < target {
		progress, gaveUp := r.progress, r.lost > 0
		r.mu.Unlock()
		if gaveUp {
			return errs.E(errs.Unavailable, "the call log gave up writing")
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return errs.Wrap(errs.Unavailable, ctx.Err(), "flush the call log")
		}
		r.mu.Lock()
	}
	r.mu.Unlock()
	return nil
}

// Close refuses further steps and writes the pending ones; when ctx ends
// first, what is not written is lost, which the error tells.
func (r *CallRecorder) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		r.stop()
		<-r.done
	}
	r.stop()
	r.bg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost > 0 {
		return fmt.Errorf("close the call log: the writes of %d calls are lost: %w", r.lost, ctx.Err())
	}
	return nil
}

// nextID takes a reserved id, reserving a block first when none is left.
func (r *CallRecorder) nextID(ctx context.Context) (int64, error) {
	if id, ok := r.takeID(); ok {
		return id, nil
	}
	r.fetch.Lock()
	defer r.fetch.Unlock()
	if id, ok := r.takeID(); ok { // reserved while we waited
		return id, nil
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	ids, err := r.calls.store.CallIDs(ctx, callIDBlock)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errs.E(errs.Internal, "no call id reserved")
	}
	r.mu.Lock()
	r.ids = append(r.ids, ids[1:]...)
	r.mu.Unlock()
	return ids[0], nil
}

// takeID takes a reserved id, if any, and reserves the next block in the
// background when few are left.
func (r *CallRecorder) takeID() (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ids) == 0 {
		return 0, false
	}
	id := r.ids[0]
	r.ids = r.ids[1:]
	if len(r.ids) < callIDLow && !r.refilling && !r.closing {
		r.refilling = true
		r.bg.Add(1)
		go r.refill()
	}
	return id, true
}

func (r *CallRecorder) refill() {
	defer r.bg.Done()
	r.fetch.Lock()
	defer r.fetch.Unlock()
	ctx, cancel := context.WithTimeout(r.ctx, logTimeout)
	defer cancel()
	ids, err := r.calls.store.CallIDs(ctx, callIDBlock)
	r.mu.Lock()
	r.refilling = false
	r.ids = append(r.ids, ids...)
	r.mu.Unlock()
	if err != nil && r.ctx.Err() == nil {
		r.log.Warn("call records: reserve call ids", "error", err)
	}
}

func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), logTimeout)
}
