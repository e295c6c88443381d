package sip

import (
	"context"
	"errors"
	"fmt"

	"github.com/open12345/hotline/errs"
)

// errEndedByConsole: an agent or a supervisor ended the call in the
// console.
var errEndedByConsole = errors.New("ended in the console")

// End ends the call whose routing contact is contactID, for the console
// (agentui.ContactControl): a bridged call's agent leg hangs up, as if
// the agent put the phone down, so the caller is still asked to rate the
// call; a call waiting or ringing is hung up. Routing hears of it from
// the call flow. Errors: not_found.
func (cs *Calls) End(ctx context.Context, contactID string) error {
	c := cs.byContact(contactID)
	if c == nil {
		return errs.E(errs.NotFound, "no call is in contact %s", contactID)
	}
	if a := c.leg(); a != nil {
		if err := a.Hangup(ctx); err != nil {
			return fmt.Errorf("hang up agent %s: %w", a.Agent, err)
		}
		return nil
	}
	c.cancel(errEndedByConsole)
	return nil
}

// errNotBridged: hold needs a call talking to an agent.
var errNotBridged = errs.E(errs.Conflict, "the call is not connected to an agent")

// Hold puts the bridged call of routing's contact on hold (on) or takes
// it off: held, the caller hears music on hold and the agent hears
// nothing of the caller; the agent's phone stays up. Errors: not_found,
// conflict (not bridged).
func (cs *Calls) Hold(ctx context.Context, contactID string, on bool) error {
	c := cs.byContact(contactID)
	if c == nil {
		return errs.E(errs.NotFound, "no call is in contact %s", contactID)
	}
	if c.leg() == nil {
		return errNotBridged
	}
	if c.mix.Load() != nil {
		return errs.E(errs.Conflict, "a three-way call is not held")
	}
	select {
	case c.holds <- on:
		return nil
	case <-c.done:
		return errs.E(errs.NotFound, "the call of contact %s has ended", contactID)
	case <-ctx.Done():
		return fmt.Errorf("hold call %s: %w", c.id, ctx.Err())
	}
}

// AnsweredOnDevice: calls are answered on the agent's phone.
func (cs *Calls) AnsweredOnDevice() bool { return true }

// byContact returns the call of routing's contact id, or nil.
func (cs *Calls) byContact(contactID string) *call {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, c := range cs.byID {
		if c.contactID() == contactID {
			return c
		}
	}
	return nil
}

func (c *call) contactID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.contact
}

// setLeg sets (nil: clears) the agent's leg of the bridged call.
func (c *call) setLeg(a *AgentCall) {
	c.legMu.Lock()
	defer c.legMu.Unlock()
	c.agentLeg = a
}

func (c *call) leg() *AgentCall {
	c.legMu.Lock()
	defer c.legMu.Unlock()
	return c.agentLeg
}
