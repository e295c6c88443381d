package routing

import "time"

// load counts an agent's voice and chat contacts, connected or ringing.
func (a *agent) load() (voice, chats int) {
	for _, c := range a.contacts {
		if c.Channel == Voice {
			voice++
		} else {
			chats++
		}
	}
	if a.offer != nil {
		if a.offer.contact.Channel == Voice {
			voice++
		} else {
			chats++
		}
	}
	return voice, chats
}

// available reports whether the agent may be offered anything now: online,
// ready by choice, out of wrap-up, and with no offer already ringing.
func (a *agent) available(now time.Time) bool {
	return a.online && a.ready && !a.heldWrap && !now.Before(a.wrapUntil) && a.offer == nil
}

// canTake reports whether the agent may be offered a contact of ch now. A
// voice call takes the agent's whole attention; chats run side by side up
// to the agent's chat capacity, and never beside a call.
func (a *agent) canTake(ch Channel, now time.Time) bool {
	if !a.available(now) {
		return false
	}
	voice, chats := a.load()
	if ch == Voice {
		return voice == 0 && chats == 0
	}
	return voice == 0 && chats < a.ChatCapacity
}

// routeContact offers a waiting contact to the agents its queue's
// strategy picks among those free to take it (with a device for it when
// its channel needs one): first in its own queue, then, once overflowed,
// in the overflow queue.
func (e *Engine) routeContact(c *contact, now time.Time) {
	if c.status != Waiting {
		return
	}
	q := e.queues[c.Queue]
	if q == nil {
		return
	}
	candidates := []*queue{q}
	if c.overflowed {
		if o := e.queues[q.cfg.OverflowTo]; o != nil {
			candidates = append(candidates, o)
		}
	}
	for _, q := range candidates {
		var ready []*agent
		for _, a := range q.members {
			if e.canTake(a, c.Channel, now) && !c.declined[a] {
				ready = append(ready, a)
			}
		}
		if len(ready) == 0 {
			continue
		}
		if q.cfg.Strategy == RingAll {
			e.offer(c, ready, q, now)
		} else {
			e.offer(c, []*agent{q.pick(ready)}, q, now)
		}
		return
	}
}

// pick chooses one of the ready agents by the queue's strategy.
func (q *queue) pick(ready []*agent) *agent {
	name := q.cfg.Name
	switch q.cfg.Strategy {
	case RoundRobin:
		// ready is in member order (by id): the first after the last one
		// offered, wrapping around. offer remembers the last one.
		for _, a := range ready {
			if a.ID > q.rrLast {
				return a
			}
		}
		return ready[0]
	case FewestAnswered:
		return best(ready, func(a, b *agent) bool {
			if a.answered != b.answered {
				return a.answered < b.answered
			}
			return idleLonger(a, b)
		})
	case SkillLevel:
		return best(ready, func(a, b *agent) bool {
			if a.Skills[name] != b.Skills[name] {
				return a.Skills[name] > b.Skills[name]
			}
			return idleLonger(a, b)
		})
	default:
		return best(ready, idleLonger)
	}
}

func idleLonger(a, b *agent) bool {
	if !a.idleSince.Equal(b.idleSince) {
		return a.idleSince.Before(b.idleSince)
	}
	return a.ID < b.ID
}

func best(agents []*agent, better func(a, b *agent) bool) *agent {
	top := agents[0]
	for _, a := range agents[1:] {
		if better(a, top) {
			top = a
		}
	}
	return top
}

// routeAgent offers a newly available agent the best contact waiting in
// any of the agent's queues: the highest priority, then the one that has
// waited longest since first arriving.
func (e *Engine) routeAgent(a *agent, now time.Time) {
	if top, from := e.bestFor(a, now); top != nil {
		e.offer(top, []*agent{a}, from, now)
	}
}

// bestFor returns the best waiting contact the agent may be offered now,
// and the queue it would be offered from (nil: none).
func (e *Engine) bestFor(a *agent, now time.Time) (top *contact, from *queue) {
	if !a.available(now) {
		return nil, nil
	}
	for name := range a.Skills {
		q := e.queues[name]
		if q == nil {
			continue
		}
		for ch, l := range q.lines {
			if !e.canTake(a, ch, now) {
				continue
			}
			// An overflowed contact is in two of the agent's queues: it is
			// offered from its own, whatever order the map gives.
			if c := l.bestFor(a); c != nil && (top == nil || outranks(c, top) || c == top && c.Queue == q.cfg.Name) {
				top, from = c, q
			}
		}
	}
	return top, from
}

// offer rings the contact for the agents; the contact leaves the lines
// until every offer has ended.
func (e *Engine) offer(c *contact, agents []*agent, q *queue, now time.Time) {
	e.leaveLines(c)
	c.status = Offered
	expires := now.Add(seconds(q.cfg.RingSeconds))
	if q.cfg.Strategy == RoundRobin {
		// Also when an agent freeing up is offered the contact: that
		// agent is the last one offered.
		q.rrLast = agents[0].ID
	}
	for _, a := range agents {
		e.ring(c, a, expires, q.cfg.Strategy == RingAll, now)
	}
}

// ring makes one offer of c to a until expires.
func (e *Engine) ring(c *contact, a *agent, expires time.Time, ringAll bool, now time.Time) {
	o := &offer{id: e.nextID("o"), contact: c, agent: a, expires: expires, ringAll: ringAll}
	a.offer = o
	c.offers = append(c.offers, o)
	e.offers[o.id] = o
	e.dirty[a] = struct{}{}
	e.schedule(timer{at: expires, kind: timerRing, offer: o})
	v := o.view()
	e.emit(Event{Kind: EventOffer, At: now, Offer: &v})
}
