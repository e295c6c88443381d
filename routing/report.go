package routing

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

func (c *contact) view() ContactView {
	v := ContactView{Contact: c.Contact, Status: c.status, ArrivedAt: c.arrived,
		AnsweredAt: c.answeredAt, EndedAt: c.endedAt, Overflowed: c.overflowed}
	if c.agent != nil && c.status == Connected {
		v.Agent = c.agent.ID
	}
	return v
}

func (o *offer) view() OfferView {
	return OfferView{ID: o.id, Agent: o.agent.ID, Contact: o.contact.view(), ExpiresAt: o.expires}
}

// stateOf is what supervisors see: busy while any contact is connected,
// then offline, wrap-up, and finally the agent's own choice.
func (a *agent) stateOf(now time.Time) (State, Reason) {
	switch {
	case len(a.contacts) > 0:
		return Busy, ReasonNone
	case !a.online:
		return Offline, ReasonNone
	case a.heldWrap || now.Before(a.wrapUntil):
		return WrapUp, ReasonNone
	case a.ready:
		return Ready, ReasonNone
	}
	return NotReady, a.reason
}

// refresh restarts the time in state when the state changed.
func (e *Engine) refresh(a *agent, now time.Time) {
	if s, r := a.stateOf(now); s != a.state || r != a.shown {
		a.state, a.shown, a.since = s, r, now
	}
}

func (e *Engine) agentView(a *agent, now time.Time) AgentView {
	e.refresh(a, now)
	v := AgentView{ID: a.ID, Name: a.Name, State: a.state, Reason: a.shown, Since: a.since,
		IdleSince: a.idleSince, Answered: a.answered, Skills: maps.Clone(a.Skills),
		ChatLimit: a.ChatCapacity, Contacts: make([]ContactView, 0, len(a.contacts)),
		VoiceReachable: e.reachable(a, Voice)}
	if a.state == WrapUp && !a.heldWrap {
		v.WrapUpUntil = a.wrapUntil
	}
	for _, c := range a.contacts {
		v.Contacts = append(v.Contacts, c.view())
		if c.Channel == Voice {
			v.Voice++
		} else {
			v.Chats++
		}
	}
	if a.offer != nil {
		o := a.offer.view()
		v.Offer = &o
	}
	return v
}

// Agent returns one agent's view. Errors: none; false when unknown.
func (e *Engine) Agent(id string) (AgentView, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.agents[id]
	if !ok {
		return AgentView{}, false
	}
	now := e.now()
	e.rollDay(now)
	return e.agentView(a, now), true
}

// Agents returns every known agent's view, by id.
func (e *Engine) Agents() []AgentView {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.rollDay(now)
	out := make([]AgentView, 0, len(e.agents))
	for _, a := range e.agents {
		out = append(out, e.agentView(a, now))
	}
	slices.SortFunc(out, func(a, b AgentView) int { return cmpString(a.ID, b.ID) })
	return out
}

// Contact returns one contact's view; false when it is not waiting,
// ringing or connected.
func (e *Engine) Contact(id string) (ContactView, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.contacts[id]
	if !ok {
		return ContactView{}, false
	}
	return c.view(), true
}

// Contacts returns every waiting, ringing or connected contact, oldest first.
func (e *Engine) Contacts() []ContactView {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := make([]*contact, 0, len(e.contacts))
	for _, c := range e.contacts {
		cs = append(cs, c)
	}
	// Oldest first; contacts arriving at once in the order they came.
	slices.SortFunc(cs, func(a, b *contact) int { return cmp.Or(a.arrived.Compare(b.arrived), cmp.Compare(a.seq, b.seq)) })
	out := make([]ContactView, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.view())
	}
	return out
}

// Stats returns every queue's figures for today, by queue name.
func (e *Engine) Stats() []QueueStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.rollDay(now)
	byQueue := make(map[string]*QueueStats, len(e.queues))
	out := make([]QueueStats, 0, len(e.queues))
	for name, q := range e.queues {
		s := QueueStats{Queue: name, Title: q.cfg.Title, Answered: q.stats.answered,
			Abandoned: q.stats.abandoned, TimedOut: q.stats.timedOut,
			ServiceLevel: map[string]*float64{}, AnsweredWithin: map[string]int{}}
		total := q.stats.answered + q.stats.abandoned + q.stats.timedOut
		s.AnswerRate = share(q.stats.answered, total)
		for i, sl := range e.cfg.ServiceLevels {
			key := strconv.Itoa(int(sl / time.Second))
			s.ServiceLevel[key], s.AnsweredWithin[key] = share(q.stats.within[i], total), q.stats.within[i]
		}
		for _, a := range q.members {
			switch st, _ := a.stateOf(now); st {
			case Ready:
				s.ReadyAgents++
			case Busy:
				s.BusyAgents++
			}
			if a.online {
				s.AgentsOnline++
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b QueueStats) int { return cmpString(a.Queue, b.Queue) })
	for i := range out {
		byQueue[out[i].Queue] = &out[i]
	}
	for _, c := range e.contacts {
		if c.status != Waiting && c.status != Offered {
			continue
		}
		if s := byQueue[c.Queue]; s != nil {
			s.Waiting++
			s.LongestWait = max(s.LongestWait, now.Sub(c.enqueued).Seconds())
		}
	}
	return out
}

// share is n ÷ total, or nil when total is 0: nothing to measure, which
// a wallboard must not show as 100%.
func share(n, total int) *float64 {
	if total == 0 {
		return nil
	}
	r := float64(n) / float64(total)
	return &r
}

// Check verifies the engine's invariants and returns every violation: no
// agent above capacity; offers only to online, ready agents out of
// wrap-up, with a device for the channel when it needs one; no agent
// reserved or busy without a live contact; every live contact in exactly
// the lines its status calls for; and no contact left waiting while an
// agent free to take it (and reachable for it) is idle. Tests call it after
// every step; it is cheap enough for a health check.
func (e *Engine) Check() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	for _, a := range e.agents {
		voice, chats := a.load()
		if voice > 1 || (voice == 1 && chats > 0) || chats > a.ChatCapacity {
			bad("agent %s above capacity: %d calls, %d chats (limit %d)", a.ID, voice, chats, a.ChatCapacity)
		}
		if o := a.offer; o != nil {
			if e.offers[o.id] != o || o.contact.status != Offered || e.contacts[o.contact.ID] != o.contact {
				bad("agent %s reserved by offer %s without a live contact", a.ID, o.id)
			}
			if !a.online || !a.ready || a.heldWrap || now.Before(a.wrapUntil) {
				bad("agent %s has an offer but is not ready", a.ID)
			}
			if !e.reachable(a, o.contact.Channel) {
				bad("agent %s has a %s offer but no device for it", a.ID, o.contact.Channel)
			}
		}
		for _, c := range a.contacts {
			if c.status != Connected || c.agent != a || e.contacts[c.ID] != c {
				bad("agent %s holds contact %s which is %s", a.ID, c.ID, c.status)
			}
		}
	}
	for id, c := range e.contacts {
		inLines := len(c.lines) > 0
		switch c.status {
		case Waiting:
			if !inLines {
				bad("waiting contact %s is in no line", id)
			}
			e.checkServed(c, now, bad)
		case Offered:
			if inLines || len(c.offers) == 0 {
				bad("offered contact %s: %d lines, %d offers", id, len(c.lines), len(c.offers))
			}
		case Connected:
			if inLines || c.agent == nil || len(c.offers) > 0 {
				bad("connected contact %s still routed", id)
			}
		default:
			bad("contact %s is %s but still live", id, c.status)
		}
	}
	for id, o := range e.offers {
		if o.agent.offer != o {
			bad("offer %s is not its agent's", id)
		}
	}
	return errors.Join(problems...)
}

// checkServed reports a waiting contact that an idle agent could take.
func (e *Engine) checkServed(c *contact, now time.Time, bad func(string, ...any)) {
	for l := range c.lines {
		for _, a := range l.queue.members {
			if e.canTake(a, c.Channel, now) && !c.declined[a] {
				bad("contact %s waits in %s while agent %s could take it", c.ID, l.queue.cfg.Name, a.ID)
				return
			}
		}
	}
}
