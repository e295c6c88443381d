package sip

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/dtmf"
	"github.com/open12345/hotline/telephony/prompts"
)

// Router is what the call flow needs of routing's engine.
type Router interface {
	// Enqueue puts a contact in its queue (routing.Engine.Enqueue).
	Enqueue(in routing.Contact) (routing.ContactView, error)
	// End ends a contact; a waiting or ringing one is abandoned.
	End(contactID string) (routing.ContactView, error)
	// Contacts lists the live contacts, oldest first, for positions.
	Contacts() []routing.ContactView
	// Subscribe returns a subscription to routing's events.
	Subscribe() *routing.Subscription
}

// AgentLeg rings the agent routing offered a waiting call to (Phones).
// Without one (nil) an offered call keeps waiting with music until the
// offer is withdrawn or accepted.
type AgentLeg interface {
	// Ring rings the offered agent until the offer expires or ctx ends
	// (the offer withdrawn) and returns the phone that answered, once
	// routing accepted the offer; the flow then bridges the call to it.
	Ring(ctx context.Context, offer routing.OfferView, call CallInfo) (*AgentCall, error)
}

// CallInfo is what the flow tells about a call.
type CallInfo struct {
	ID      string // the call id, routing's Ref
	Caller  string // the caller's number (callerNumber)
	RTPPort int    // the local RTP port
}

// PortRange is a range of UDP ports for RTP, both ends included.
type PortRange struct{ Min, Max int }

// CallConfig is the call flow's configuration; zero values take the
// defaults.
type CallConfig struct {
	Number        string        // the hotline's number (default 12345)
	Menus         MenuSource    // the menu each call plays (default telephony.DefaultMenu())
	MenuTimeout   time.Duration // waiting for a key after the menu (default 8 s)
	MenuRepeats   int           // replays after a timeout or invalid key (default 2)
	AnnounceEvery time.Duration // position announcements while queued (default 30 s)
	RTPTimeout    time.Duration // a call without RTP for this long ends (default 30 s)
	SurveyTimeout time.Duration // waiting for the rating after the survey (default 10 s)
	KeyTimeout    time.Duration // waiting for the next key of a number being keyed (default 5 s)
	// Progress looks tickets up for menu choices of ActionProgress; nil:
	// such a choice waits in its queue.
	Progress telephony.ProgressLookup
	// Played, if set, hears the name of every prompt a call starts to
	// play (for tests); it must not block.
	Played func(call, prompt string)
	// Recordings is the directory of the answered calls' recordings
	// (<call id>.wav); empty records nothing.
	Recordings string
	// Voicemail files the voicemails of waiting callers and of calls
	// outside Hours; nil (or no Recordings) offers waiting callers
	// neither a voicemail nor a callback.
	Voicemail        telephony.VoicemailBox
	VoicemailSilence time.Duration // a voicemail ends after this long without speech (default 5 s)
	VoicemailMax     time.Duration // the longest voicemail (default telephony.MaxVoicemail s)
	// Hours say when agents answer calls; outside them a call goes to
	// voicemail after the welcome. Nil: always.
	Hours Hours
	// RTPPorts is where RTP listens (zero: any free port). Diago keeps the
	// range in package variables of diago/media, so it holds for every
	// call flow in the process.
	RTPPorts PortRange
}

func (c CallConfig) withDefaults() CallConfig {
	if c.Number == "" {
		c.Number = "12345"
	}
	if c.Menus == nil {
		c.Menus = fixedMenu(telephony.DefaultMenu())
	}
	if c.MenuTimeout <= 0 {
		c.MenuTimeout = 8 * time.Second
	}
	if c.MenuRepeats <= 0 {
		c.MenuRepeats = 2
	}
	if c.AnnounceEvery <= 0 {
		c.AnnounceEvery = 30 * time.Second
	}
	if c.RTPTimeout <= 0 {
		c.RTPTimeout = 30 * time.Second
	}
	if c.SurveyTimeout <= 0 {
		c.SurveyTimeout = 10 * time.Second
	}
	if c.KeyTimeout <= 0 {
		c.KeyTimeout = 5 * time.Second
	}
	if c.VoicemailSilence <= 0 {
		c.VoicemailSilence = 5 * time.Second
	}
	if c.VoicemailMax <= 0 {
		c.VoicemailMax = telephony.MaxVoicemail * time.Second
	}
	return c
}

// Calls is the inbound call flow: it answers INVITEs to the hotline's
// number, runs the IVR menu and keeps callers waiting in routing's queues.
type Calls struct {
	cfg     CallConfig
	router  Router
	prompts *prompts.Library
	cdr     telephony.CallLog
	agents  AgentLeg
	clock   clock.Clock
	log     *slog.Logger
	stats   callStats // calls offered, answered, abandoned
	trunk   Trunk     // whose P-Asserted-Identity is trusted
	pacer   *pacer    // sends the prompts

	mu       sync.Mutex
	dg       *diago.Diago // the edge's, once attached: outbound calls leave from it
	host     string       // the edge's host, of the From of outbound INVITEs
	closing  bool
	byID     map[string]*call
	byDialog map[string]*call
	handlers sync.WaitGroup
	stop     context.CancelFunc
	events   sync.WaitGroup
}

// NewCalls returns the call flow. cdr hears each call's progress (nil:
// telephony.NopCallLog); agents rings agents (nil: calls only wait).
func NewCalls(cfg CallConfig, router Router, lib *prompts.Library, cdr telephony.CallLog, agents AgentLeg, clk clock.Clock, log *slog.Logger) *Calls {
	if cdr == nil {
		cdr = telephony.NopCallLog{}
	}
	cfg = cfg.withDefaults()
	if cfg.RTPPorts.Min > 0 && cfg.RTPPorts.Max > cfg.RTPPorts.Min {
		media.RTPPortStart, media.RTPPortEnd = cfg.RTPPorts.Min, cfg.RTPPorts.Max
	}
	return &Calls{cfg: cfg, router: router, prompts: lib, cdr: cdr, agents: agents, clock: clk, pacer: newPacer(),
		log: log, byID: map[string]*call{}, byDialog: map[string]*call{}}
}

// attach makes the flow diago's INVITE handler and the server's INFO
// handler (diago v0.42.1 refuses every INFO of a server dialog with 406),
// and follows routing's events until shutdown. Phones ring from dg, with
// host in the From of their INVITEs.
func (cs *Calls) attach(dg *diago.Diago, host string, trunk Trunk, srv *sipgo.Server, mw func(sipgo.RequestHandler) sipgo.RequestHandler) {
	cs.trunk = trunk
	cs.mu.Lock()
	cs.dg, cs.host = dg, host
	cs.mu.Unlock()
	dg.HandleFunc(cs.serve)
	if p, ok := cs.agents.(*Phones); ok {
		p.attach(dg, host)
	}
	srv.OnInfo(mw(cs.info))
	ctx, stop := context.WithCancel(context.Background())
	cs.stop = stop
	sub := cs.router.Subscribe()
	cs.events.Add(1)
	go func() {
		defer cs.events.Done()
		defer sub.Close()
		cs.dispatch(ctx, sub)
	}()
}

// shutdown refuses new calls (503), hangs up every call and waits for
// their handlers, then stops following routing.
func (cs *Calls) shutdown() {
	cs.mu.Lock()
	cs.closing = true
	for _, c := range cs.byID {
		c.cancel(errShutdown)
	}
	cs.mu.Unlock()
	cs.handlers.Wait()
	if cs.stop != nil {
		cs.stop()
	}
	cs.events.Wait()
}

// Active lists the calls in progress.
func (cs *Calls) Active() []CallInfo {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]CallInfo, 0, len(cs.byID))
	for _, c := range cs.byID {
		out = append(out, c.info())
	}
	return out
}

// serve is diago's handler of a new INVITE; the call lasts as long as it
// runs.
//
// Every user of ours reaches the IVR, as DESIGN.md's contract has it: the
// hotline's number, and whatever form a carrier gives the dialled number
// (012345, +8620…12345); the record keeps what was dialled.
func (cs *Calls) serve(d *diago.DialogServerSession) {
	callee := d.InviteRequest.Recipient.User
	if callee == "" {
		callee = cs.cfg.Number
	}
	caller := callerNumber(d.InviteRequest, cs.trunk.Trusts(d.InviteRequest.Source()))
	id, err := cs.cdr.Started(d.Context(), caller, callee, cs.clock.Now())
	if err != nil {
		id = telephony.LocalCallID()
		cs.log.Error("sip: call log", "call", id, "what", "started", "error", err)
	}
	c := newCall(cs, d, id, caller)
	if !cs.register(c) {
		cs.respond(d, sip.StatusServiceUnavailable, "Service Unavailable")
		c.record("ended", cs.cdr.Ended(d.Context(), id, telephony.OutcomeFailed, telephony.HangupSystem, cs.clock.Now()))
		return
	}
	defer cs.handlers.Done()
	defer cs.unregister(c)
	c.run()
}

func (cs *Calls) respond(d *diago.DialogServerSession, code int, reason string) {
	if err := d.Respond(code, reason, nil); err != nil {
		cs.log.Warn("sip: respond to INVITE", "status", code, "error", err)
	}
}

func (cs *Calls) register(c *call) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closing {
		return false
	}
	cs.handlers.Add(1)
	cs.byID[c.id] = c
	if c.dlg != nil {
		cs.byDialog[c.dlg.ID] = c
	}
	return true
}

func (cs *Calls) unregister(c *call) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.byID, c.id)
	if c.dlg != nil {
		delete(cs.byDialog, c.dlg.ID)
	}
}

// info takes a key press sent by SIP INFO within a call's dialog.
func (cs *Calls) info(req *sip.Request, tx sip.ServerTransaction) {
	status, reason := sip.StatusOK, "OK"
	id, err := sip.DialogIDFromRequestUAS(req)
	cs.mu.Lock()
	c := cs.byDialog[id]
	cs.mu.Unlock()
	var in dtmf.Info
	switch {
	case err != nil || c == nil:
		status, reason = sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist"
	case req.ContentType() == nil:
		status, reason = sip.StatusUnsupportedMediaType, "Unsupported Media Type"
	default:
		if in, err = dtmf.ParseInfo(req.ContentType().Value(), req.Body()); err != nil {
			cs.log.Debug("sip: INFO without a key", "call", c.id, "error", err)
			status, reason = sip.StatusBadRequest, "Bad Request"
		}
	}
	// The key is queued before the answer: a phone sends its next INFO
	// only after this 200, and sipgo handles each request on its own
	// goroutine, so pressing later could swap two keys.
	if status == sip.StatusOK {
		c.press(in.Digit)
	}
	if err := tx.Respond(sip.NewResponseFromRequest(req, status, reason, nil)); err != nil {
		cs.log.Warn("sip: respond to INFO", "error", err)
	}
}

// dispatch hands routing's events about voice contacts to their calls.
func (cs *Calls) dispatch(ctx context.Context, sub *routing.Subscription) {
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				cs.log.Error("sip: routing events", "error", err)
			}
			return
		}
		var contact *routing.ContactView
		switch {
		case ev.Contact != nil:
			contact = ev.Contact
		case ev.Offer != nil:
			contact = &ev.Offer.Contact
		default:
			continue
		}
		if contact.Channel != routing.Voice {
			continue
		}
		cs.mu.Lock()
		c := cs.byID[contact.Ref]
		cs.mu.Unlock()
		if c != nil {
			c.deliver(ev)
		}
	}
}
