package telephony

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/quota"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/ticketing"
)

// Why an outbound call did not reach the citizen (EventNotReached).
const (
	NotReachedAgent    = "agent_no_answer" // the agent's phone did not answer: the citizen was never dialled
	NotReachedBusy     = "busy"
	NotReachedNoAnswer = "no_answer"
	NotReachedRejected = "rejected"
	NotReachedFailed   = "failed" // the trunk or the network failed
	NotReachedHungUp   = "agent_hung_up"
)

// OutboundCall is a call the hotline places (回拨, 回访): the agent's
// phone rings first, then the citizen's number through the trunk.
type OutboundCall struct {
	ID        string // the call's record, routing's Ref
	Agent     string
	Phone     string // the citizen's number
	ContactID string // the agent's placed contact in routing
	TicketID  int64  // a 回访 call's ticket; 0 for none
}

// OutboundResult is how an outbound call ended.
type OutboundResult struct {
	Dialled      bool   // the citizen's number was dialled (it counts against the day's limit)
	Reached      bool   // the citizen answered
	NotReached   string // why not, when not reached
	Satisfaction int    // the citizen's key 1–5 after the agent hung up; 0 for none
}

// Dialer places outbound calls (telephony/sip's Calls). Place returns
// when the call is over; the call's record hears its steps meanwhile.
type Dialer interface {
	// Ready returns nil when calls can leave. Errors: unavailable (no trunk).
	Ready() error
	Place(ctx context.Context, call OutboundCall) OutboundResult
}

// Placer puts the agent's placed call in routing (routing.Engine).
type Placer interface {
	Place(agentID string, in routing.Contact) (routing.ContactView, error)
	End(contactID string) (routing.ContactView, error)
}

// TicketCallbacks is what outbound calls need of tickets: the citizen's
// phone of a ticket to call back about, and the 回访 result recorded
// through the ticket's callback action (ticketing.Service).
type TicketCallbacks interface {
	Get(ctx context.Context, actor auth.Actor, id int64) (*ticketing.Ticket, error)
	Act(ctx context.Context, actor auth.Actor, id int64, a ticketing.Action, req ticketing.Request) (*ticketing.Ticket, error)
}

// Hours say when something is allowed (ticketing.Schedule).
type Hours interface {
	OpenAt(ctx context.Context, t time.Time) (bool, error)
}

// OutboundConfig configures outbound calls; zero values take defaults.
type OutboundConfig struct {
	Number   string         // the hotline's number, the caller the citizen sees (default 12345)
	PerDay   int            // calls to one number per calendar day (default 3)
	Hours    Hours          // when calls may be placed (nil: always); HOTLINE_CALLBACK_HOURS
	HoursDoc string         // the hours as configured, for the refusal
	Attempts int            // unanswered attempts before a missed-call entry is unreachable (default 3)
	Queue    string         // the routing queue whose wrap-up follows the call (default general)
	Location *time.Location // where a calendar day is counted (default Asia/Shanghai's offset)
}

func (c OutboundConfig) withDefaults() OutboundConfig {
	if c.Number == "" {
		c.Number = "12345"
	}
	if c.PerDay <= 0 {
		c.PerDay = 3
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.Queue == "" {
		c.Queue = "general"
	}
	if c.Location == nil {
		c.Location = time.FixedZone("CST", 8*3600)
	}
	return c
}

// OutboundRequest names what an agent calls back: exactly one of a
// missed-call entry, a ticket (回访, the citizen's phone) or a call (its
// caller). Agents never dial a number of their own choosing: every
// outbound call answers a citizen's contact.
type OutboundRequest struct {
	CallbackID int64
	TicketID   int64
	CallID     int64
}

// OutboundCalls places the agents' outbound calls within the rules: agents
// only, one number at most PerDay times a calendar day, never outside
// Hours; the agent's placed contact keeps routing from offering the agent
// anything meanwhile. Each call runs on its own goroutine; Close waits
// for them.
type OutboundCalls struct {
	calls   *Calls
	log     *CallRecorder
	dialer  Dialer
	placer  Placer
	quotas  quota.Store
	tickets TicketCallbacks
	clock   clock.Clock
	logger  *slog.Logger
	cfg     OutboundConfig

	// agentMissed hears the agent of a callback offered as work whose
	// phone did not answer (CallbackWork); nil: nobody.
	agentMissed func(agent string)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewOutboundCalls returns outbound calls over the call log, placed by dialer.
func NewOutboundCalls(calls *Calls, rec *CallRecorder, dialer Dialer, placer Placer, quotas quota.Store, tickets TicketCallbacks,
	clk clock.Clock, log *slog.Logger, cfg OutboundConfig) *OutboundCalls {
	ctx, cancel := context.WithCancel(context.Background())
	return &OutboundCalls{calls: calls, log: rec, dialer: dialer, placer: placer, quotas: quotas, tickets: tickets, clock: clk,
		logger: log, cfg: cfg.withDefaults(), ctx: ctx, cancel: cancel}
}

// Close hangs up the calls in progress and waits for them.
func (o *OutboundCalls) Close() {
	o.cancel()
	o.wg.Wait()
}

// Call places an outbound call for the agent and returns its record as
// it starts; the call goes on after Call returns. Errors: forbidden (not
// an agent), invalid (not exactly one thing to call back, or no number
// to call), not_found, conflict (outside the hours, an entry that is not
// waiting, the agent busy or without a phone), rate_limited (the number
// was called PerDay times today), unavailable.
func (o *OutboundCalls) Call(ctx context.Context, actor auth.Actor, req OutboundRequest) (Call, error) {
	return o.call(ctx, actor, req, false)
}

// call is Call; offered marks a call CallbackWork gave the agent.
func (o *OutboundCalls) call(ctx context.Context, actor auth.Actor, req OutboundRequest, offered bool) (Call, error) {
	if !actor.Is(auth.RoleAgent) {
		return Call{}, errs.E(errs.Forbidden, "only agents place calls")
	}
	phone, ticketID, err := o.target(ctx, actor, req)
	if err != nil {
		return Call{}, err
	}
	if err := o.dialer.Ready(); err != nil {
		return Call{}, err
	}
	now := o.clock.Now()
	open, err := o.open(ctx, now)
	if err != nil {
		return Call{}, err
	}
	if !open {
		return Call{}, errs.E(errs.Conflict, "citizens are not called at this hour; calls are placed %s", o.cfg.HoursDoc)
	}
	key, err := o.takeDay(ctx, phone, now)
	if err != nil {
		return Call{}, err
	}
	release := func() {
		if err := o.quotas.Release(context.WithoutCancel(ctx), key); err != nil {
			o.logger.Error("outbound: release the day's count", "error", err)
		}
	}
	if req.CallbackID != 0 {
		if err := o.dialling(ctx, req.CallbackID, actor.Username, now); err != nil {
			release()
			return Call{}, err
		}
	}
	id, err := o.log.StartedOutbound(ctx, NewCall{Caller: o.cfg.Number, Callee: phone, Agent: actor.Username,
		TicketID: ticketID, CallbackID: req.CallbackID})
	if err == nil {
		var v routing.ContactView
		v, err = o.placer.Place(actor.Username, routing.Contact{Channel: routing.Voice, Queue: o.cfg.Queue, Caller: phone, Ref: id})
		if err != nil {
			o.record("ended", o.log.Ended(ctx, id, OutcomeFailed, HangupSystem, now))
		} else {
			o.start(actor, OutboundCall{ID: id, Agent: actor.Username, Phone: phone, ContactID: v.ID, TicketID: ticketID}, req.CallbackID, key, offered)
		}
	}
	if err != nil {
		release()
		if req.CallbackID != 0 {
			o.settle(req.CallbackID, OutboundResult{}, false)
		}
		return Call{}, err
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	return Call{ID: n, Direction: Outbound, Caller: o.cfg.Number, Callee: phone, StartedAt: now, Agent: actor.Username,
		TicketID: ticketID, CallbackID: req.CallbackID}, nil
}

// open reports whether citizens may be called at now.
func (o *OutboundCalls) open(ctx context.Context, now time.Time) (bool, error) {
	if o.cfg.Hours == nil {
		return true, nil
	}
	open, err := o.cfg.Hours.OpenAt(ctx, now)
	if err != nil {
		return false, fmt.Errorf("callback hours: %w", err)
	}
	return open, nil
}

// target is the number to call and the ticket the call is about.
func (o *OutboundCalls) target(ctx context.Context, actor auth.Actor, req OutboundRequest) (string, int64, error) {
	given := 0
	for _, id := range []int64{req.CallbackID, req.TicketID, req.CallID} {
		if id < 0 {
			return "", 0, errs.E(errs.Invalid, "callback_id, ticket_id and call_id are positive")
		}
		if id > 0 {
			given++
		}
	}
	if given != 1 {
		return "", 0, errs.E(errs.Invalid, "name exactly one of callback_id, ticket_id or call_id to call back")
	}
	var phone string
	var ticketID int64
	switch {
	case req.CallbackID != 0:
		cb, err := o.calls.store.Callback(ctx, req.CallbackID)
		if err != nil {
			return "", 0, err
		}
		phone = cb.Phone
	case req.TicketID != 0:
		t, err := o.tickets.Get(ctx, actor, req.TicketID)
		if err != nil {
			return "", 0, err
		}
		phone, ticketID = t.Citizen.Phone, t.ID
	default:
		c, err := o.calls.Get(ctx, actor, req.CallID)
		if err != nil {
			return "", 0, err
		}
		phone, ticketID = c.Caller, c.TicketID
		if c.Direction == Outbound {
			phone = c.Callee
		}
	}
	if !Dialable(phone) {
		return "", 0, errs.E(errs.Invalid, "there is no phone number to call back")
	}
	return phone, ticketID, nil
}

// Dialable reports whether phone is a number the trunk can dial: 3 to
// 20 digits.
func Dialable(phone string) bool { return isDigits(phone) && len(phone) >= 3 && len(phone) <= 20 }

// takeDay counts a call to phone against the calendar day of now.
// Errors: rate_limited (until midnight), unavailable.
func (o *OutboundCalls) takeDay(ctx context.Context, phone string, now time.Time) (string, error) {
	local := now.In(o.cfg.Location)
	y, m, d := local.Date()
	midnight := time.Date(y, m, d+1, 0, 0, 0, 0, o.cfg.Location)
	key := "outbound:" + phone + ":" + local.Format("20060102")
	wait, err := o.quotas.Take(ctx, now, quota.Claim{Key: key, Rule: quota.Rule{Max: o.cfg.PerDay, Window: 24 * time.Hour}})
	if err != nil {
		return "", fmt.Errorf("count calls to the number: %w", err)
	}
	if wait > 0 {
		return "", &errs.Error{Code: errs.RateLimited, RetryAfter: midnight.Sub(now),
			Message: fmt.Sprintf("this number was called %d times today, the most a day; call again tomorrow", o.cfg.PerDay)}
	}
	return key, nil
}

// dialling marks a waiting missed-call entry as being dialled by agent.
// Errors: not_found, conflict (not waiting).
func (o *OutboundCalls) dialling(ctx context.Context, id int64, agent string, now time.Time) error {
	_, err := o.calls.store.UpdateCallback(ctx, id, func(c *Callback) error {
		if c.State != CallbackWaiting {
			return errs.E(errs.Conflict, "callback %d is %s, not waiting", id, c.State)
		}
		c.State, c.Agent, c.LastAttemptAt, c.UpdatedAt = CallbackDialling, agent, &now, now
		return nil
	})
	return err
}

// start runs the call on its own goroutine and settles what it leaves.
func (o *OutboundCalls) start(actor auth.Actor, call OutboundCall, callbackID int64, dayKey string, offered bool) {
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		res := o.dialer.Place(o.ctx, call)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(o.ctx), logTimeout)
		defer cancel()
		if !res.Dialled {
			if err := o.quotas.Release(ctx, dayKey); err != nil {
				o.logger.Error("outbound: release the day's count", "call", call.ID, "error", err)
			}
		}
		if callbackID != 0 {
			o.settle(callbackID, res, res.Dialled)
		}
		switch {
		case call.TicketID != 0 && res.Reached && res.Satisfaction != 0:
			o.recordCallback(ctx, actor, call, res.Satisfaction)
		case call.TicketID != 0 && res.Dialled && !res.Reached:
			o.noteUnreached(ctx, actor, call, res.NotReached)
		}
		if offered && res.NotReached == NotReachedAgent && o.agentMissed != nil {
			o.agentMissed(call.Agent)
		}
		// Last, so that the agent is free only once all of it is written.
		if _, err := o.placer.End(call.ContactID); err != nil && !errs.Is(err, errs.NotFound) {
			o.logger.Error("outbound: end the placed contact", "call", call.ID, "error", err)
		}
	}()
}

// settle moves a dialled missed-call entry on: reached, or back to
// waiting, or unreachable once the attempts are used up. An attempt the
// citizen was never dialled in does not count.
func (o *OutboundCalls) settle(id int64, res OutboundResult, attempted bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(o.ctx), logTimeout)
	defer cancel()
	now := o.clock.Now()
	_, err := o.calls.store.UpdateCallback(ctx, id, func(c *Callback) error {
		if c.State != CallbackDialling {
			return nil
		}
		c.UpdatedAt = now
		if attempted {
			c.Attempts++
		}
		switch {
		case res.Reached:
			c.State = CallbackReached
		case c.Attempts >= o.cfg.Attempts:
			c.State = CallbackUnreachable
		default:
			c.State = CallbackWaiting
		}
		return nil
	})
	if err != nil {
		o.logger.Error("outbound: settle the callback", "callback", id, "error", err)
	}
}

// recordCallback records a 回访 call's keyed satisfaction as the ticket's
// callback action, by the agent who called. A ticket whose callback the
// agent recorded meanwhile (or that moved on) keeps it.
func (o *OutboundCalls) recordCallback(ctx context.Context, actor auth.Actor, call OutboundCall, score int) {
	satisfied := ticketing.ResultOf(score).Satisfied()
	_, err := o.tickets.Act(ctx, actor, call.TicketID, ticketing.ActionCallback, ticketing.Request{
		Satisfaction: score, Satisfied: &satisfied,
		Note: fmt.Sprintf("电话回访（通话 %s）：市民按键评价 %d 分", call.ID, score)})
	switch {
	case err == nil:
	case errs.Is(err, errs.Conflict):
		o.logger.Info("outbound: the ticket's callback was recorded already", "call", call.ID, "ticket", call.TicketID)
	default:
		o.logger.Error("outbound: record the callback on the ticket", "call", call.ID, "ticket", call.TicketID, "error", err)
	}
}

// unreachedText says why a 回访 call did not reach the citizen, for the
// ticket's history.
var unreachedText = map[string]string{
	NotReachedBusy: "忙线", NotReachedNoAnswer: "无人接听", NotReachedRejected: "拒接或号码无效",
	NotReachedFailed: "呼叫失败", NotReachedHungUp: "坐席挂断",
}

// noteUnreached notes on the ticket a 回访 call that did not reach the
// citizen, so that the ticket's history shows every attempt.
func (o *OutboundCalls) noteUnreached(ctx context.Context, actor auth.Actor, call OutboundCall, reason string) {
	why := unreachedText[reason]
	if why == "" {
		why = "未接通"
	}
	_, err := o.tickets.Act(ctx, actor, call.TicketID, ticketing.ActionNote, ticketing.Request{
		Text: fmt.Sprintf("电话回访未接通（%s，通话 %s）", why, call.ID)})
	if err != nil {
		o.logger.Error("outbound: note the unreached callback on the ticket", "call", call.ID, "ticket", call.TicketID, "error", err)
	}
}

func (o *OutboundCalls) record(what string, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		o.logger.Error("outbound: call log", "what", what, "error", err)
	}
}
