package telephony

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// WorkRouter is what callback work reads of routing, and how it takes an
// agent who let a callback ring out out of routing (routing.Engine).
type WorkRouter interface {
	Agents() []routing.AgentView
	Contacts() []routing.ContactView
	Missed(agentID string) error
}

// CallbackWorkEvery is how often callback work looks for idle agents.
const CallbackWorkEvery = 5 * time.Second

// CallbackWork offers the missed-call list to agents as outbound work:
// while no inbound call waits, a ready agent with a phone and nothing to
// do is given the entry due first (the agent's phone rings, then the
// citizen's), as long as at most Share of the agents who take calls are
// on such callbacks at once. An agent whose phone does not answer it is
// set not ready (missed), as for an offer that rang out. Agents may also
// take entries by hand (OutboundCalls.Call). Only while calls can leave
// (a trunk) and within the callback hours.
type CallbackWork struct {
	out    *OutboundCalls
	router WorkRouter
	share  float64
	clock  clock.Clock
	log    *slog.Logger
	skip   map[int64]time.Time // entries refused for today (the number's limit), until then
}

// NewCallbackWork returns callback work over out's rules; share is the
// most of the voice agents on callbacks at once (0 < share ≤ 1; 0 turns
// the offering off).
func NewCallbackWork(out *OutboundCalls, router WorkRouter, share float64, clk clock.Clock, log *slog.Logger) *CallbackWork {
	w := &CallbackWork{out: out, router: router, share: share, clock: clk, log: log, skip: map[int64]time.Time{}}
	out.agentMissed = w.missed
	return w
}

// Run offers work every CallbackWorkEvery until ctx ends.
func (w *CallbackWork) Run(ctx context.Context) {
	if w.share <= 0 {
		return
	}
	for {
		tick := make(chan struct{})
		t := w.clock.AfterFunc(CallbackWorkEvery, func() { close(tick) })
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-tick:
		}
		if _, err := w.Offer(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("callback work", "error", err)
		}
	}
}

// Offer gives due entries to idle agents now, within the share, and
// returns how many calls it placed.
func (w *CallbackWork) Offer(ctx context.Context) (int, error) {
	if w.share <= 0 || w.out.dialer.Ready() != nil {
		return 0, nil
	}
	now := w.clock.Now()
	if open, err := w.out.open(ctx, now); err != nil || !open {
		return 0, err
	}
	placed := 0
	for _, c := range w.router.Contacts() {
		switch {
		case c.Channel != routing.Voice:
		case c.Outbound:
			placed++
		case c.Status == routing.Waiting || c.Status == routing.Offered:
			return 0, nil // citizens calling in come first
		}
	}
	var voice, idle []routing.AgentView
	for _, a := range w.router.Agents() {
		if a.State == routing.Offline || !a.VoiceReachable {
			continue
		}
		voice = append(voice, a)
		if a.State == routing.Ready && len(a.Contacts) == 0 && a.Offer == nil {
			idle = append(idle, a)
		}
	}
	room := int(math.Ceil(w.share*float64(len(voice)))) - placed
	if room <= 0 || len(idle) == 0 {
		return 0, nil
	}
	slices.SortFunc(idle, func(a, b routing.AgentView) int { return a.IdleSince.Compare(b.IdleSince) }) // longest idle first
	due, err := w.out.calls.store.DueCallbacks(ctx, room+len(w.skip))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, cb := range due {
		if until, ok := w.skip[cb.ID]; ok && now.Before(until) {
			continue
		}
		delete(w.skip, cb.ID)
		if n == room || n == len(idle) {
			break
		}
		agent := idle[n]
		_, err := w.out.call(ctx, auth.Actor{Username: agent.ID, Role: auth.RoleAgent}, OutboundRequest{CallbackID: cb.ID}, true)
		var refusal *errs.Error
		switch {
		case err == nil:
			n++
		case errors.As(err, &refusal) && refusal.Code == errs.RateLimited:
			w.skip[cb.ID] = now.Add(refusal.RetryAfter)
		case errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound):
			// taken by hand meanwhile, or the agent just got busy
		default:
			return n, err
		}
	}
	return n, nil
}

// missed takes an agent who let an offered callback ring out out of
// routing, as routing does for an offer that rang out.
func (w *CallbackWork) missed(agent string) {
	if err := w.router.Missed(agent); err != nil {
		w.log.Error("callback work: set the agent not ready", "agent", agent, "error", err)
	}
}
