package routing

import (
	"slices"
	"time"

	"github.com/open12345/hotline/errs"
)

// channels is a set of channels.
type channels uint8

func bit(ch Channel) channels {
	switch ch {
	case Voice:
		return 1
	case Chat:
		return 2
	}
	return 0
}

// RequireDevice says whether agents need a device to be offered contacts
// of ch: a registered phone for voice. Off by default, so that contacts
// injected without a channel behind them (supervisors' test contacts)
// reach any ready agent; the voice channel turns it on for voice when it
// starts. Turning it on withdraws the offers of ch ringing for agents
// without a device (reason unreachable); turning it off routes every
// agent. Errors: invalid.
func (e *Engine) RequireDevice(ch Channel, required bool) error {
	if !ch.Valid() {
		return errs.E(errs.Invalid, "channel must be voice or chat")
	}
	now := e.lock()
	defer e.unlock(now)
	was := e.required
	if required {
		e.required |= bit(ch)
	} else {
		e.required &^= bit(ch)
	}
	if e.required == was {
		return nil
	}
	agents := make([]*agent, 0, len(e.agents))
	for _, a := range e.agents {
		agents = append(agents, a)
		e.dirty[a] = struct{}{} // voice_reachable may have changed
	}
	slices.SortFunc(agents, func(a, b *agent) int { return cmpString(a.ID, b.ID) })
	for _, a := range agents {
		e.reroute(a, now)
	}
	return nil
}

// SetReachable records whether a device of the agent can ring for ch now:
// for voice, whether the agent's phone is registered (the registrar calls
// it with true while any of the agent's bindings is live). It follows the
// device, not the console: it may come before the agent logs in and holds
// across logins. Becoming reachable offers the agent what waits for it at
// once; becoming unreachable withdraws an offer of ch ringing for the
// agent (reason unreachable), which goes to the next agent while this one
// stays ready for the other channels. A contact already connected is its
// channel's business. It matters only while RequireDevice is on for ch.
// Errors: invalid.
func (e *Engine) SetReachable(agentID string, ch Channel, reachable bool) error {
	switch {
	case agentID == "" || len(agentID) > 64:
		return errs.E(errs.Invalid, "agent id must be 1-64 bytes")
	case !ch.Valid():
		return errs.E(errs.Invalid, "channel must be voice or chat")
	}
	now := e.lock()
	defer e.unlock(now)
	set := e.devices[agentID]
	if reachable {
		set |= bit(ch)
	} else {
		set &^= bit(ch)
	}
	if set == 0 {
		delete(e.devices, agentID)
	} else {
		e.devices[agentID] = set
	}
	a := e.agents[agentID]
	if a == nil || a.devices == set {
		return nil
	}
	a.devices = set
	e.dirty[a] = struct{}{}
	e.reroute(a, now)
	return nil
}

// reachable reports whether a contact of ch may ring for the agent, as far
// as devices go.
func (e *Engine) reachable(a *agent, ch Channel) bool {
	return e.required&bit(ch) == 0 || a.devices&bit(ch) != 0
}

// canTake is agent.canTake with the agent's devices.
func (e *Engine) canTake(a *agent, ch Channel, now time.Time) bool {
	return e.reachable(a, ch) && a.canTake(ch, now)
}

// reroute withdraws the agent's offer if it can no longer ring, and
// offers the agent what waits for it.
func (e *Engine) reroute(a *agent, now time.Time) {
	if o := a.offer; o != nil && !e.reachable(a, o.contact.Channel) {
		e.withdrawAndRequeue(o, WithdrawnUnreachable, now) // routes the agent too
		return
	}
	e.routeAgent(a, now)
}
