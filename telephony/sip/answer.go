package sip

import (
	"context"
	"log/slog"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
)

// rings are the agents' phones ringing for one call, each on its own
// goroutine: a ring-all offer rings every offered phone at once, the first
// to answer takes the call (routing accepts one offer and withdraws the
// others, whose rings are cancelled). The call's goroutine owns it.
type rings struct {
	cancels map[string]context.CancelFunc // by offer id, until its result is taken
	results chan ringResult
}

type ringResult struct {
	offer string
	agent *AgentCall
	err   error
}

func newRings() *rings {
	return &rings{cancels: map[string]context.CancelFunc{}, results: make(chan ringResult)}
}

// ring starts ringing the offered agent's phone and tells the call log.
func (c *call) ring(ctx context.Context, rs *rings, offer routing.OfferView) {
	if _, ok := rs.cancels[offer.ID]; ok {
		return
	}
	c.enter(stateRinging)
	if !c.offered {
		c.offered = true
		c.cs.stats.offered.Add(1)
	}
	rctx, cancel := context.WithCancel(ctx)
	rs.cancels[offer.ID] = cancel
	go func() {
		a, err := c.cs.agents.Ring(rctx, offer, c.info())
		rs.results <- ringResult{offer: offer.ID, agent: a, err: err}
	}()
	c.record("rang", c.cs.cdr.Rang(ctx, c.id, offer.Agent, c.cs.clock.Now()))
}

// taken marks a ring's result as taken; it reports whether other phones
// still ring.
func (rs *rings) taken(res ringResult) bool {
	if cancel, ok := rs.cancels[res.offer]; ok {
		cancel()
		delete(rs.cancels, res.offer)
	}
	return len(rs.cancels) > 0
}

// cancel stops the ring of the offer, if it still rings; its result
// comes as any other.
func (rs *rings) cancel(offer string) {
	if cancel, ok := rs.cancels[offer]; ok {
		cancel()
	}
}

// stop ends the rings still going and waits for them; a phone that
// answered meanwhile is hung up.
func (rs *rings) stop(log *slog.Logger) {
	for _, cancel := range rs.cancels {
		cancel()
	}
	for len(rs.cancels) > 0 {
		res := <-rs.results
		rs.taken(res)
		if res.agent != nil {
			hctx, cancel := context.WithTimeout(context.Background(), hangupTimeout)
			err := res.agent.Hangup(hctx)
			cancel()
			if err != nil {
				log.Warn("sip: hang up agent", "agent", res.agent.Agent, "error", err)
			}
		}
	}
}

// connected bridges the call to the agent who answered until one hangs
// up, ends the contact in routing (the agent's wrap-up starts) and, when
// the agent hung up, asks the caller to rate the call. An agent who
// transferred the call to a queue (routing.Transfer) is hung up and the
// caller waits there again, the record listing each leg (queued,
// offered, answered once per agent) and the recording going on.
func (c *call) connected(ctx context.Context, a *AgentCall) telephony.Outcome {
	c.enter(stateBridged)
	if !c.answered && !c.placed { // the inbound figures
		c.answered = true
		c.cs.stats.answered.Add(1)
	}
	c.record("answered", c.cs.cdr.Answered(ctx, c.id, a.Agent, c.cs.clock.Now()))
	c.cs.log.Info("sip: call bridged", "call", c.id, "agent", a.Agent)
	by, transferred := c.bridge(ctx, a)
	c.mu.Lock()
	id := c.contact
	c.mu.Unlock()
	if transferred {
		if v, ok := c.contactView(id); ok {
			c.cs.log.Info("sip: call transferred", "call", c.id, "from", a.Agent, "queue", v.Queue)
			c.record("queued", c.cs.cdr.Queued(ctx, c.id, v.Queue, c.cs.clock.Now()))
			return c.waitIn(ctx, v)
		}
	}
	c.closeRecording(ctx)
	c.endContact()
	if by == telephony.HangupAgent {
		c.agentHungUp = true
		c.enter(stateSurvey)
		c.survey(ctx)
	}
	return telephony.OutcomeAnswered
}

// endContact ends the call's contact in routing (the agent's wrap-up
// starts); routing may have ended it first.
func (c *call) endContact() {
	c.mu.Lock()
	id := c.contact
	c.mu.Unlock()
	if _, err := c.cs.router.End(id); err != nil && !errs.Is(err, errs.NotFound) {
		c.cs.log.Error("sip: end contact", "call", c.id, "contact", id, "error", err)
	}
}

// contactView is the call's live contact in routing, if it is there.
func (c *call) contactView(id string) (routing.ContactView, bool) {
	for _, v := range c.cs.router.Contacts() {
		if v.ID == id {
			return v, true
		}
	}
	return routing.ContactView{}, false
}

// survey plays the survey prompt and takes a key 1–5 within
// SurveyTimeout as the caller's rating, then says goodbye.
func (c *call) survey(ctx context.Context) {
	for drained := false; !drained; { // keys pressed while talking are not a rating
		select {
		case <-c.digits:
		default:
			drained = true
		}
	}
	key, err := c.play(ctx, prompts.Survey, true)
	if err == nil && key == 0 {
		key, err = c.waitKey(ctx, c.cs.cfg.SurveyTimeout)
	}
	if err != nil {
		return
	}
	if key >= '1' && key <= '5' {
		c.record("rated", c.cs.cdr.Rated(ctx, c.id, int(key-'0')))
		if c.rated != nil {
			c.rated(int(key - '0'))
		}
	}
	if _, err := c.play(ctx, prompts.Goodbye, false); err != nil && ctx.Err() == nil {
		c.cs.log.Warn("sip: goodbye", "call", c.id, "error", err)
	}
}
