package sip

import (
	"context"
	"fmt"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// Consultative transfer (咨询转接): the agent puts the caller on hold
// (music), rings another agent's phone and talks to that agent through
// the mixer, the caller hearing neither; then completes the transfer
// (the other agent has the caller, in routing too, and the first leaves)
// or cancels it (the first has the caller back). The consulted agent is
// held in routing by a placed contact meanwhile, so that no other call
// is offered to that phone. Hanging up while consulting completes the
// transfer, as a desk phone's attended transfer does.

// consultStep is what the console asks of a consultation.
type consultStep int

// Steps of a consultation.
const (
	consultStart consultStep = iota
	consultComplete
	consultCancel
)

// consultRequest asks the bridged call's goroutine for a step.
type consultRequest struct {
	step  consultStep
	user  string // the consulted agent, to start
	reply chan error
}

// ConsultStart puts the caller of routing's contact on hold and rings
// user's phone; it returns once the phone rings. Errors: not_found,
// conflict (not bridged, a third party in or ringing, held, user busy),
// unavailable (user has no phone).
func (cs *Calls) ConsultStart(ctx context.Context, contactID, user string) error {
	return cs.consult(ctx, contactID, consultStart, user)
}

// ConsultComplete hands the caller to the consulted agent. Errors:
// not_found, conflict (no consultation, or its phone has not answered).
func (cs *Calls) ConsultComplete(ctx context.Context, contactID string) error {
	return cs.consult(ctx, contactID, consultComplete, "")
}

// ConsultCancel ends the consultation and gives the caller back to the
// agent. Errors: not_found, conflict (no consultation).
func (cs *Calls) ConsultCancel(ctx context.Context, contactID string) error {
	return cs.consult(ctx, contactID, consultCancel, "")
}

func (cs *Calls) consult(ctx context.Context, contactID string, step consultStep, user string) error {
	c := cs.byContact(contactID)
	if c == nil {
		return errs.E(errs.NotFound, "no call is in contact %s", contactID)
	}
	if c.leg() == nil {
		return errNotBridged
	}
	if step == consultStart {
		d, ok := cs.agents.(Dialer)
		if !ok || !d.HasPhone(user) {
			return errs.E(errs.Unavailable, "%s has no phone registered", user)
		}
	}
	req := consultRequest{step: step, user: user, reply: make(chan error, 1)}
	select {
	case c.consults <- req:
	case <-c.done:
		return errs.E(errs.NotFound, "the call of contact %s has ended", contactID)
	case <-ctx.Done():
		return fmt.Errorf("consult on call %s: %w", c.id, ctx.Err())
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("consult on call %s: %w", c.id, ctx.Err())
	}
}

// consultation is a consultative transfer in progress, the bridged
// call's goroutine's own.
type consultation struct {
	agent     string // the consulted agent
	reserved  string // the placed contact holding that agent in routing
	stopMusic func()
}

// startConsult holds the caller and reserves the consulted agent in
// routing; the caller's goroutine then rings the agent's phone. Errors:
// conflict (the agent is busy or cannot take a call).
func (c *call) startConsult(ctx context.Context, user string) (*consultation, error) {
	placer, ok := c.cs.router.(interface {
		Place(agentID string, in routing.Contact) (routing.ContactView, error)
	})
	if !ok {
		return nil, errs.E(errs.Unavailable, "consultations need routing's placed contacts")
	}
	v, ok := c.contactView(c.contactID())
	if !ok {
		return nil, errs.E(errs.NotFound, "the call's contact has ended")
	}
	held, err := placer.Place(user, routing.Contact{Channel: routing.Voice, Queue: v.Queue, Caller: c.caller, Ref: c.id + "-consult"})
	if err != nil {
		return nil, err
	}
	c.setHeld(true)
	return &consultation{agent: user, reserved: held.ID, stopMusic: c.loopMusic(ctx)}, nil
}

// endConsult frees the consulted agent's reservation and gives the
// caller the bridge back (or to the mixer, once handed over).
func (c *call) endConsult(k *consultation) {
	k.stopMusic()
	c.setHeld(false)
	if _, err := c.cs.router.End(k.reserved); err != nil && !errs.Is(err, errs.NotFound) {
		c.cs.log.Error("sip: end the consultation's reservation", "call", c.id, "error", err)
	}
}

// completeConsult hands routing's contact to the consulted agent, whose
// reservation ends first. Errors: those of routing.
func (c *call) completeConsult(k *consultation) error {
	handover, ok := c.cs.router.(interface {
		Handover(contactID, agentID string) (routing.ContactView, error)
	})
	if !ok {
		return errs.E(errs.Unavailable, "consultations need routing's hand-over")
	}
	if _, err := c.cs.router.End(k.reserved); err != nil && !errs.Is(err, errs.NotFound) {
		return fmt.Errorf("end the consultation's reservation: %w", err)
	}
	if _, err := handover.Handover(c.contactID(), k.agent); err != nil {
		return err
	}
	return nil
}
