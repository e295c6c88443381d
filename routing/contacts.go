package routing

import (
	"slices"
	"time"

	"github.com/open12345/hotline/errs"
)

// Accept connects the offered contact to the agent; in a ring-all queue the
// other agents' offers stop. Errors: not_found (no such offer for this
// agent), conflict (the offer has ended: rang out, or the citizen left).
func (e *Engine) Accept(agentID, offerID string) (ContactView, error) {
	now := e.lock()
	defer e.unlock(now)
	o, err := e.liveOffer(agentID, offerID, now)
	if err != nil {
		return ContactView{}, err
	}
	c, a := o.contact, o.agent
	e.dropOffer(o, WithdrawnAccepted, now)
	for _, other := range slices.Clone(c.offers) {
		e.dropOffer(other, WithdrawnTaken, now)
		e.routeAgent(other.agent, now)
	}
	c.status, c.agent, c.answeredAt = Connected, a, now
	a.contacts = append(a.contacts, c)
	a.answered++
	if q := e.queues[c.Queue]; q != nil {
		q.stats.answered++
		wait := now.Sub(c.enqueued)
		for i, sl := range e.cfg.ServiceLevels {
			if wait <= sl {
				q.stats.within[i]++
			}
		}
	}
	e.dirtyQ[c.Queue] = struct{}{}
	v := c.view()
	e.emit(Event{Kind: EventAssigned, At: now, Contact: &v})
	e.routeAgent(a, now) // room for another chat
	return v, nil
}

// Decline passes the offer to the next agent; this agent is not offered
// the same contact again. Errors: as Accept.
func (e *Engine) Decline(agentID, offerID string) error {
	now := e.lock()
	defer e.unlock(now)
	o, err := e.liveOffer(agentID, offerID, now)
	if err != nil {
		return err
	}
	o.contact.declined[o.agent] = true
	e.withdrawAndRequeue(o, WithdrawnDeclined, now)
	return nil
}

// liveOffer finds the agent's offer, ringing out first an offer whose time
// is up (the timer may not have fired yet).
func (e *Engine) liveOffer(agentID, offerID string, now time.Time) (*offer, error) {
	o, ok := e.offers[offerID]
	if !ok {
		if a := e.agents[agentID]; a == nil {
			return nil, errs.E(errs.NotFound, "no agent %s", agentID)
		}
		return nil, errs.E(errs.Conflict, "this offer has ended")
	}
	if o.agent.ID != agentID {
		return nil, errs.E(errs.NotFound, "no such offer for %s", agentID)
	}
	if !now.Before(o.expires) {
		e.ringOut(o, now)
		return nil, errs.E(errs.Conflict, "this offer rang out")
	}
	return o, nil
}

// dropOffer ends one offer and frees its agent.
func (e *Engine) dropOffer(o *offer, why string, now time.Time) {
	if e.offers[o.id] != o {
		return
	}
	delete(e.offers, o.id)
	o.agent.offer = nil
	c := o.contact
	c.offers = slices.DeleteFunc(c.offers, func(x *offer) bool { return x == o })
	e.dirty[o.agent] = struct{}{}
	v := o.view()
	e.emit(Event{Kind: EventWithdrawn, At: now, Offer: &v, Reason: why})
}

// withdrawAndRequeue ends an offer that was not accepted: the contact
// waits again (at its old place) once no offer rings for it, and is
// routed to the next agent; the freed agent is routed too.
func (e *Engine) withdrawAndRequeue(o *offer, why string, now time.Time) {
	e.dropOffer(o, why, now)
	e.requeue(o.contact, []*agent{o.agent}, now)
}

// requeue puts back in line a contact whose offers have all ended and
// routes the agents they freed. A freed agent still free is owed the best
// contact it can take: when that is not this one, it is offered first, so
// that the contact (ringing everyone again in ring-all) does not take the
// agent ahead of better contacts waiting for it.
func (e *Engine) requeue(c *contact, freed []*agent, now time.Time) {
	if c.status == Offered && len(c.offers) == 0 {
		if !c.deadline.IsZero() && !now.Before(c.deadline) {
			e.timeOut(c, now)
		} else {
			e.waitInLines(c)
			for _, a := range freed {
				if top, from := e.bestFor(a, now); top != nil && top != c {
					e.offer(top, []*agent{a}, from, now)
				}
			}
			e.routeContact(c, now)
		}
	}
	for _, a := range freed {
		e.routeAgent(a, now)
	}
}

// ringOut ends an offer nobody answered. The agent is made not ready
// (missed) so that the next contact does not ring an empty seat — except
// in ring-all queues, where no one agent was singled out. A ring-all
// contact's offers were made together and ring out together: all end
// before any of their agents is routed.
func (e *Engine) ringOut(o *offer, now time.Time) {
	if !o.ringAll {
		o.agent.ready, o.agent.reason = false, ReasonMissed
		e.withdrawAndRequeue(o, WithdrawnTimeout, now)
		return
	}
	var freed []*agent
	for _, x := range slices.Clone(o.contact.offers) {
		e.dropOffer(x, WithdrawnTimeout, now)
		freed = append(freed, x.agent)
	}
	e.requeue(o.contact, freed, now)
}

// End finishes a contact: hang-up or chat closed. Waiting or ringing, it
// is abandoned and releases every agent it reserved; connected, its agent
// goes to wrap-up. Errors: not_found.
func (e *Engine) End(contactID string) (ContactView, error) {
	now := e.lock()
	defer e.unlock(now)
	c, ok := e.contacts[contactID]
	if !ok {
		return ContactView{}, errs.E(errs.NotFound, "no live contact %s", contactID)
	}
	if c.status == Connected {
		a := c.agent
		e.release(c, now)
		c.status, c.endedAt = Ended, now
		delete(e.contacts, c.ID)
		v := c.view()
		e.emit(Event{Kind: EventEnded, At: now, Contact: &v})
		e.routeAgent(a, now)
		return v, nil
	}
	freed := e.leaveRouting(c, WithdrawnGone, now)
	c.status, c.endedAt = Abandoned, now
	if q := e.queues[c.Queue]; q != nil {
		q.stats.abandoned++
	}
	v := c.view()
	e.emit(Event{Kind: EventAbandoned, At: now, Contact: &v})
	for _, a := range freed {
		e.routeAgent(a, now)
	}
	return v, nil
}

// release takes a connected contact off its agent, who starts wrap-up and
// whose idle clock restarts now. An offer ringing for the agent (another
// chat) goes to the next agent, as when the agent chooses wrap-up.
func (e *Engine) release(c *contact, now time.Time) {
	a := c.agent
	a.contacts = slices.DeleteFunc(a.contacts, func(x *contact) bool { return x == c })
	a.idleSince = now
	if q := e.queues[c.Queue]; q != nil && q.cfg.WrapUpSeconds > 0 {
		if until := now.Add(seconds(q.cfg.WrapUpSeconds)); until.After(a.wrapUntil) {
			a.wrapUntil = until
			e.schedule(timer{at: until, kind: timerWrapUp, agent: a})
		}
	}
	e.dirty[a] = struct{}{}
	e.dirtyQ[c.Queue] = struct{}{}
	if a.offer != nil && now.Before(a.wrapUntil) {
		e.withdrawAndRequeue(a.offer, WithdrawnDeclined, now)
	}
}

// leaveRouting takes a waiting or ringing contact out of routing and
// returns the agents its offers had reserved.
func (e *Engine) leaveRouting(c *contact, why string, now time.Time) []*agent {
	e.leaveLines(c)
	var freed []*agent
	for _, o := range slices.Clone(c.offers) {
		e.dropOffer(o, why, now)
		freed = append(freed, o.agent)
	}
	delete(e.contacts, c.ID)
	e.dirtyQ[c.Queue] = struct{}{}
	return freed
}

// timeOut ends a contact's wait at the queue's maximum; its channel
// decides what happens next (EventTimedOut).
func (e *Engine) timeOut(c *contact, now time.Time) {
	freed := e.leaveRouting(c, WithdrawnMaxWait, now)
	c.status, c.endedAt = TimedOut, now
	if q := e.queues[c.Queue]; q != nil {
		q.stats.timedOut++
	}
	v := c.view()
	e.emit(Event{Kind: EventTimedOut, At: now, Contact: &v})
	for _, a := range freed {
		e.routeAgent(a, now)
	}
}

// Transfer moves a connected contact to another queue. The agent is
// released as at the end of a contact (wrap-up, idle clock); the contact
// keeps its first arrival, so it is served before later arrivals there.
// Errors: not_found, conflict (not connected).
func (e *Engine) Transfer(contactID, queueName string) (ContactView, error) {
	now := e.lock()
	defer e.unlock(now)
	c, ok := e.contacts[contactID]
	if !ok {
		return ContactView{}, errs.E(errs.NotFound, "no live contact %s", contactID)
	}
	q, ok := e.queues[queueName]
	if !ok {
		return ContactView{}, errs.E(errs.NotFound, "no queue %q", queueName)
	}
	if c.status != Connected {
		return ContactView{}, errs.E(errs.Conflict, "only a connected contact can be transferred")
	}
	from := e.passOn(c, now)
	e.enterQueue(c, q, now)
	e.routeContact(c, now)
	e.routeAgent(from, now)
	return c.view(), nil
}

// passOn takes a connected contact off its agent for a transfer and
// returns that agent, released as at the end of a contact; the contact
// is not offered straight back to it.
func (e *Engine) passOn(c *contact, now time.Time) *agent {
	from := c.agent
	e.release(c, now)
	ended := c.view()
	ended.Status, ended.EndedAt = Ended, now
	e.emit(Event{Kind: EventEnded, At: now, Contact: &ended, Reason: EndedTransferred})
	c.agent, c.answeredAt = nil, time.Time{}
	clear(c.declined)
	c.declined[from] = true
	return from
}

// overflow makes a waiting contact eligible in its queue's overflow queue.
func (e *Engine) overflow(c *contact, now time.Time) {
	q := e.queues[c.Queue]
	if q == nil || c.overflowed || e.queues[q.cfg.OverflowTo] == nil {
		return
	}
	c.overflowed = true
	v := c.view()
	e.emit(Event{Kind: EventOverflow, At: now, Contact: &v, Queue: q.cfg.OverflowTo})
	if c.status == Waiting {
		e.waitInLines(c)
		e.routeContact(c, now)
	}
}
