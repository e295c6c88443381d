package routing

import (
	"time"

	"github.com/open12345/hotline/errs"
)

// EndedTransferred is the Reason of the EventEnded a transfer emits for
// the agent who passed the contact on: the contact itself lives on.
const EndedTransferred = "transferred"

// TransferToAgent moves a connected contact to another agent: it rings
// for that agent alone, in its queue, and should the agent decline it or
// let it ring out, it waits there for any other agent but the one who
// passed it on. That agent is released as by Transfer. Errors: not_found
// (no such contact or agent), conflict (the contact is not connected, or
// the agent cannot take it now: offline, not ready, in wrap-up, ringing,
// or without room for it).
func (e *Engine) TransferToAgent(contactID, agentID string) (ContactView, error) {
	now := e.lock()
	defer e.unlock(now)
	c, ok := e.contacts[contactID]
	if !ok {
		return ContactView{}, errs.E(errs.NotFound, "no live contact %s", contactID)
	}
	if c.status != Connected {
		return ContactView{}, errs.E(errs.Conflict, "only a connected contact can be transferred")
	}
	to, ok := e.agents[agentID]
	if !ok {
		return ContactView{}, errs.E(errs.NotFound, "no agent %s", agentID)
	}
	if to == c.agent {
		return ContactView{}, errs.E(errs.Conflict, "agent %s has this contact already", agentID)
	}
	if err := e.cannotTake(to, c.Channel, now); err != nil {
		return ContactView{}, err
	}
	q := e.queues[c.Queue]
	if q == nil {
		return ContactView{}, errs.E(errs.NotFound, "no queue %q", c.Queue)
	}
	from := e.passOn(c, now)
	e.enterQueue(c, q, now)
	e.leaveLines(c)
	c.status = Offered
	e.ring(c, to, now.Add(seconds(q.cfg.RingSeconds)), false, now)
	e.routeAgent(from, now)
	return c.view(), nil
}

// cannotTake says why the agent may not be offered a contact of ch now,
// or returns nil. Errors: conflict.
func (e *Engine) cannotTake(a *agent, ch Channel, now time.Time) error {
	voice, chats := a.load()
	switch {
	case !a.online:
		return errs.E(errs.Conflict, "agent %s is not logged in", a.ID)
	case !e.reachable(a, ch):
		return errs.E(errs.Conflict, "agent %s has no device for %s", a.ID, ch)
	case voice > 0 || ch == Voice && chats > 0:
		return errs.E(errs.Conflict, "agent %s is busy with another contact", a.ID)
	case ch == Chat && chats >= a.ChatCapacity:
		return errs.E(errs.Conflict, "agent %s has no room for another chat (%d of %d)", a.ID, chats, a.ChatCapacity)
	case !a.ready:
		return errs.E(errs.Conflict, "agent %s is not ready", a.ID)
	case a.heldWrap || now.Before(a.wrapUntil):
		return errs.E(errs.Conflict, "agent %s is in wrap-up", a.ID)
	case a.offer != nil:
		return errs.E(errs.Conflict, "agent %s has a contact ringing; try again in a moment", a.ID)
	case !e.canTake(a, ch, now):
		return errs.E(errs.Conflict, "agent %s cannot take a contact now", a.ID)
	}
	return nil
}

// CanTake returns nil when the agent could be offered a contact of ch
// now, or why not: what TransferToAgent would answer. Errors: not_found,
// conflict.
func (e *Engine) CanTake(agentID string, ch Channel) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.agents[agentID]
	if !ok {
		return errs.E(errs.NotFound, "no agent %s", agentID)
	}
	return e.cannotTake(a, ch, e.now())
}

// Place connects an outbound contact the agent places (a callback, a
// 回访 call) to the agent at once: the agent is busy with it, and ending
// it starts the wrap-up of its queue, as for a call the agent answered.
// It counts in no queue's figures. The agent must be logged in with a
// phone for voice and free: no other contact and none ringing; an agent
// who is not ready may place one (agents step out of the queue to call
// back), one in wrap-up too. Errors: invalid, not_found (no such agent or
// queue), conflict (the agent is busy, offline or without a phone).
func (e *Engine) Place(agentID string, in Contact) (ContactView, error) {
	switch {
	case in.Channel != Voice:
		return ContactView{}, errs.E(errs.Invalid, "only a voice contact can be placed")
	case len(in.ID) > 128 || len(in.Caller) > 64 || len(in.Ref) > 128:
		return ContactView{}, errs.E(errs.Invalid, "contact id, caller or ref too long")
	}
	now := e.lock()
	defer e.unlock(now)
	a, ok := e.agents[agentID]
	if !ok {
		return ContactView{}, errs.E(errs.NotFound, "no agent %s", agentID)
	}
	if _, ok := e.queues[in.Queue]; !ok {
		return ContactView{}, errs.E(errs.NotFound, "no queue %q", in.Queue)
	}
	switch {
	case !a.online:
		return ContactView{}, errs.E(errs.Conflict, "agent %s is not logged in", a.ID)
	case !e.reachable(a, Voice):
		return ContactView{}, errs.E(errs.Conflict, "agent %s has no phone registered", a.ID)
	case len(a.contacts) > 0:
		return ContactView{}, errs.E(errs.Conflict, "agent %s is busy with another contact", a.ID)
	case a.offer != nil:
		return ContactView{}, errs.E(errs.Conflict, "agent %s has a contact ringing; try again in a moment", a.ID)
	}
	if in.ID == "" {
		in.ID = e.nextID("c")
	} else if _, taken := e.contacts[in.ID]; taken {
		return ContactView{}, errs.E(errs.Conflict, "contact %s is already routed", in.ID)
	}
	in.Outbound = true
	e.seq++
	c := &contact{Contact: in, status: Connected, arrived: now, seq: e.seq, agent: a, answeredAt: now,
		lines: map[*line]int{}, declined: map[*agent]bool{}}
	e.contacts[c.ID] = c
	a.contacts = append(a.contacts, c)
	e.dirty[a] = struct{}{}
	v := c.view()
	e.emit(Event{Kind: EventAssigned, At: now, Contact: &v})
	return v, nil
}

// Missed sets an online agent not ready (missed), as an offer that rang
// out does: for work given to the agent outside routing's offers (a
// placed callback whose phone did not answer). Errors: not_found,
// conflict (offline).
func (e *Engine) Missed(agentID string) error {
	now := e.lock()
	defer e.unlock(now)
	a, ok := e.agents[agentID]
	if !ok {
		return errs.E(errs.NotFound, "no agent %s", agentID)
	}
	if !a.online {
		return errs.E(errs.Conflict, "agent %s is offline", agentID)
	}
	a.ready, a.reason = false, ReasonMissed
	e.dirty[a] = struct{}{}
	return nil
}

// Handover moves a connected contact to another agent at once, without
// an offer: the consulted agent of a consultative transfer, who talks to
// the citizen already. The first agent is released as by Transfer
// (wrap-up); the new one must be online and have no other call (a placed
// contact that held the agent for the consultation must end first).
// Errors: not_found, conflict (not connected, the same agent, offline or
// on another call).
func (e *Engine) Handover(contactID, agentID string) (ContactView, error) {
	now := e.lock()
	defer e.unlock(now)
	c, ok := e.contacts[contactID]
	if !ok {
		return ContactView{}, errs.E(errs.NotFound, "no live contact %s", contactID)
	}
	to, ok := e.agents[agentID]
	switch {
	case !ok:
		return ContactView{}, errs.E(errs.NotFound, "no agent %s", agentID)
	case c.status != Connected:
		return ContactView{}, errs.E(errs.Conflict, "only a connected contact can be handed over")
	case to == c.agent:
		return ContactView{}, errs.E(errs.Conflict, "agent %s has this contact already", agentID)
	case !to.online:
		return ContactView{}, errs.E(errs.Conflict, "agent %s is not logged in", agentID)
	}
	if voice, _ := to.load(); voice > 0 {
		return ContactView{}, errs.E(errs.Conflict, "agent %s is on another call", agentID)
	}
	from := e.passOn(c, now)
	c.status, c.agent, c.answeredAt = Connected, to, now
	to.contacts = append(to.contacts, c)
	e.dirty[to] = struct{}{}
	v := c.view()
	e.emit(Event{Kind: EventAssigned, At: now, Contact: &v})
	e.routeAgent(from, now)
	return v, nil
}
