package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
)

// OfferRouter is what the agent leg needs of routing's engine.
type OfferRouter interface {
	// Accept connects the offered contact to the agent.
	Accept(agentID, offerID string) (routing.ContactView, error)
	// Decline passes the offer to the next agent.
	Decline(agentID, offerID string) error
}

// AgentCall is an agent's phone that answered an offer routing then
// accepted: its dialog and media, until Hangup.
type AgentCall struct {
	Agent string
	dlg   *diago.DialogClientSession
	med   *diago.DialogMedia
}

// Hangup sends BYE unless the phone hung up, and frees the media.
func (a *AgentCall) Hangup(ctx context.Context) error {
	var err error
	if a.dlg.Context().Err() == nil {
		err = a.dlg.Hangup(ctx)
		if err != nil {
			err = fmt.Errorf("hang up %s: %w", a.Agent, err)
		}
	}
	return errors.Join(err, a.dlg.Close())
}

// Phones is the agent leg: it rings the phone an agent registered last,
// from the SIP edge, and accepts the offer in routing once it answers.
type Phones struct {
	registrar *telephony.Registrar
	router    OfferRouter
	clock     clock.Clock
	log       *slog.Logger

	mu   sync.Mutex
	dg   *diago.Diago // the edge's, set when the call flow attaches
	host string       // the edge's host, of the From of INVITEs
}

var _ AgentLeg = (*Phones)(nil)

// NewPhones returns the agent leg over the registrar's bindings.
func NewPhones(registrar *telephony.Registrar, router OfferRouter, clk clock.Clock, log *slog.Logger) *Phones {
	return &Phones{registrar: registrar, router: router, clock: clk, log: log}
}

func (p *Phones) attach(dg *diago.Diago, host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dg, p.host = dg, host
}

// Ring INVITEs the offered agent's phone, From the caller's number, until
// the offer expires or ctx ends (CANCEL). A refusal or no answer declines
// the offer; an answer accepts it. Errors: unavailable (no phone, not
// answered), conflict or not_found (the offer ended meanwhile: the phone
// is hung up), or ctx's.
func (p *Phones) Ring(ctx context.Context, offer routing.OfferView, call CallInfo) (*AgentCall, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	expired := make(chan struct{})
	t := p.clock.AfterFunc(offer.ExpiresAt.Sub(p.clock.Now()), func() {
		close(expired)
		cancel()
	})
	defer t.Stop()
	a, err := p.invite(rctx, offer.Agent, call.Caller)
	if err != nil {
		select {
		case <-expired:
			return nil, p.decline(offer, errs.E(errs.Unavailable, "agent %s did not answer", offer.Agent))
		default:
		}
		if ctx.Err() != nil {
			return nil, errors.Join(ctx.Err(), err) // withdrawn: nothing to decline
		}
		return nil, p.decline(offer, err)
	}
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer acancel()
	if _, err := p.router.Accept(offer.Agent, offer.ID); err != nil {
		return nil, errors.Join(fmt.Errorf("accept offer %s: %w", offer.ID, err), a.Hangup(actx))
	}
	return a, nil
}

// HasPhone reports whether user has a phone registered.
func (p *Phones) HasPhone(user string) bool {
	_, ok := p.registrar.Lookup(user)
	return ok
}

// Dial rings the phone user registered last, From caller, for at most
// ringFor (or until ctx ends), without any offer: the third party of a
// three-way call. Errors: unavailable (no phone, not answered), ctx's.
func (p *Phones) Dial(ctx context.Context, user, caller string, ringFor time.Duration) (*AgentCall, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := p.clock.AfterFunc(ringFor, cancel)
	defer t.Stop()
	a, err := p.invite(rctx, user, caller)
	if err != nil && ctx.Err() == nil && rctx.Err() != nil {
		return nil, errs.E(errs.Unavailable, "%s did not answer", user)
	}
	return a, err
}

// invite INVITEs the phone user registered last, sent where it registered
// from, and acknowledges its answer. Errors: unavailable (no phone), the
// INVITE's.
func (p *Phones) invite(ctx context.Context, user, caller string) (*AgentCall, error) {
	p.mu.Lock()
	dg, host := p.dg, p.host
	p.mu.Unlock()
	reg, ok := p.registrar.Lookup(user)
	if dg == nil || !ok {
		return nil, errs.E(errs.Unavailable, "%s has no phone registered", user)
	}
	var uri sip.Uri
	if err := sip.ParseUri(reg.Contact, &uri); err != nil {
		return nil, fmt.Errorf("contact of %s: %w", user, err)
	}
	d, err := dg.NewDialog(uri, diago.NewDialogOptions{Transport: reg.Transport})
	if err != nil {
		return nil, fmt.Errorf("dialog to %s: %w", user, err)
	}
	// Phones behind NAT, or with *.invalid contacts, answer only where
	// they registered from.
	d.InviteRequest.SetDestination(reg.Source)
	from := &sip.FromHeader{DisplayName: caller, Address: sip.Uri{Scheme: "sip", User: caller, Host: host}, Params: sip.NewParams()}
	med, err := d.Invite(ctx, diago.InviteClientOptions{Headers: []sip.Header{from}})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("ring %s: %w", user, err), d.Close())
	}
	a := &AgentCall{Agent: user, dlg: d, med: med}
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer acancel()
	if err := d.Ack(actx); err != nil {
		return nil, errors.Join(fmt.Errorf("ack %s: %w", user, err), a.Hangup(actx))
	}
	return a, nil
}

// decline declines the offer in routing and returns cause; an offer that
// has ended already needs nothing.
func (p *Phones) decline(offer routing.OfferView, cause error) error {
	if err := p.router.Decline(offer.Agent, offer.ID); err != nil && !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.NotFound) {
		return errors.Join(cause, fmt.Errorf("decline offer %s: %w", offer.ID, err))
	}
	return cause
}
