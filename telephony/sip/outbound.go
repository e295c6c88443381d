package sip

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
)

// Ring times of an outbound call: the agent's own phone, then the
// citizen's.
const (
	agentRingFor   = 30 * time.Second
	citizenRingFor = 45 * time.Second
)

var _ telephony.Dialer = (*Calls)(nil)

// Place runs an outbound call (回拨, 回访) to its end: the agent's phone
// rings first, From the citizen's number; once it answers the agent
// hears a ringback tone while the citizen's number is dialled through the
// trunk, From the hotline's number. A citizen who answers is bridged to
// the agent and recorded as an inbound call is (hold, three-way calls and
// transfers from the console work the same), and rates the call if the
// agent hangs up first. The call's record hears every step.
func (cs *Calls) Place(ctx context.Context, o telephony.OutboundCall) telephony.OutboundResult {
	cctx, cancel := context.WithCancelCause(ctx)
	c := newCallIn(cs, cctx, cancel, o.ID, o.Phone)
	c.placed = true
	c.contact = o.ContactID
	if !cs.register(c) {
		cancel(errShutdown)
		return cs.notPlaced(c, telephony.NotReachedFailed, telephony.HangupSystem)
	}
	defer cs.handlers.Done()
	defer cs.unregister(c)
	defer close(c.done)
	defer cancel(nil)
	return c.place(o.Agent)
}

// Ready returns nil when outbound calls can leave: the edge runs and a
// trunk is configured. Errors: unavailable.
func (cs *Calls) Ready() error {
	cs.mu.Lock()
	dg := cs.dg
	cs.mu.Unlock()
	if _, _, ok := cs.trunk.callee("0"); !ok || dg == nil {
		return errs.E(errs.Unavailable, "outbound calls need a carrier trunk (HOTLINE_SIP_TRUNK)")
	}
	return nil
}

// notPlaced ends the record of an outbound call that reached nobody.
func (cs *Calls) notPlaced(c *call, reason string, by telephony.HangupBy) telephony.OutboundResult {
	ctx := context.WithoutCancel(c.ctx)
	c.record("not reached", cs.cdr.NotReached(ctx, c.id, reason, cs.clock.Now()))
	c.record("ended", cs.cdr.Ended(ctx, c.id, telephony.OutcomeFailed, by, cs.clock.Now()))
	cs.log.Info("sip: outbound call not placed", "call", c.id, "reason", reason)
	return telephony.OutboundResult{NotReached: reason, Dialled: reason != telephony.NotReachedAgent && reason != telephony.NotReachedHungUp}
}

func (c *call) place(agent string) telephony.OutboundResult {
	cs := c.cs
	dialer, ok := cs.agents.(Dialer)
	if !ok {
		return cs.notPlaced(c, telephony.NotReachedAgent, telephony.HangupSystem)
	}
	c.record("rang", cs.cdr.Rang(c.ctx, c.id, agent, cs.clock.Now()))
	a, err := dialer.Dial(c.ctx, agent, c.caller, agentRingFor)
	if err != nil {
		cs.log.Info("sip: the agent's phone did not answer an outbound call", "call", c.id, "error", err)
		return cs.notPlaced(c, telephony.NotReachedAgent, telephony.HangupSystem)
	}
	c.record("dialled", cs.cdr.Dialled(c.ctx, c.id, c.caller, cs.clock.Now()))
	stopTone := cs.ringback(a)
	dctx, giveUp := context.WithCancel(c.ctx)
	stopWatch := context.AfterFunc(a.dlg.Context(), giveUp) // the agent hung up
	d, med, err := cs.dialTrunk(dctx, c.caller)
	stopWatch()
	giveUp()
	stopTone()
	if err != nil {
		reason, by := notReached(err), telephony.HangupSystem
		if a.dlg.Context().Err() != nil {
			reason, by = telephony.NotReachedHungUp, telephony.HangupAgent
		}
		cs.log.Info("sip: the citizen was not reached", "call", c.id, "reason", reason, "error", err)
		c.hangUpLeg(c.ctx, a)
		res := cs.notPlaced(c, reason, by)
		res.Dialled = true
		return res
	}
	return c.talk(d, med, a)
}

// talk bridges the citizen who answered to the agent until the call
// ends, then frees the citizen's dialog and media.
func (c *call) talk(d *diago.DialogClientSession, med *diago.DialogMedia, a *AgentCall) telephony.OutboundResult {
	cs := c.cs
	c.peer, c.med = d, med
	c.voice = &voice{w: med.RTPPacketWriter, codec: media.CodecAudioFromSession(med.MediaSession())}
	stopWatch := context.AfterFunc(d.Context(), func() { c.cancel(nil) })
	defer stopWatch()
	c.rtpPort.Store(int64(c.med.MediaSession().Laddr.Port))
	c.media.Store(true)
	c.rtp = watchRTP(cs.clock, cs.cfg.RTPTimeout, func() { c.cancel(errRTPTimeout) })
	var reader sync.WaitGroup
	reader.Add(1)
	go func() {
		defer reader.Done()
		c.readRTP()
	}()
	cs.log.Info("sip: outbound call answered", "call", c.id, "agent", a.Agent, "rtp_port", c.rtpPort.Load())
	rated := make(chan int, 1)
	c.rated = func(score int) { rated <- score }
	outcome := c.connected(c.ctx, a)
	c.enter(stateNone)
	c.closeRecording(c.ctx)
	c.rtp.stop()
	by := c.party()
	hctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), hangupTimeout)
	defer cancel()
	if d.Context().Err() == nil {
		if err := d.Hangup(hctx); err != nil {
			cs.log.Warn("sip: hang up the citizen", "call", c.id, "error", err)
		}
	}
	if err := c.med.Close(); err != nil {
		cs.log.Debug("sip: close media", "call", c.id, "error", err)
	}
	c.media.Store(false)
	reader.Wait()
	if err := d.Close(); err != nil {
		cs.log.Debug("sip: close dialog", "call", c.id, "error", err)
	}
	c.record("ended", cs.cdr.Ended(hctx, c.id, outcome, by, cs.clock.Now()))
	cs.log.Info("sip: outbound call ended", "call", c.id, "outcome", outcome, "hangup_by", by)
	res := telephony.OutboundResult{Dialled: true, Reached: true}
	select {
	case res.Satisfaction = <-rated:
	default:
	}
	return res
}

// dialTrunk INVITEs phone through the trunk, From the hotline's number,
// answering the carrier's digest challenge with the trunk's account,
// until the citizen answers, citizenRingFor passes (errNoAnswer) or ctx
// ends (CANCEL). Errors: unavailable (no trunk), the INVITE's.
func (cs *Calls) dialTrunk(ctx context.Context, phone string) (*diago.DialogClientSession, *diago.DialogMedia, error) {
	cs.mu.Lock()
	dg, host := cs.dg, cs.host
	cs.mu.Unlock()
	uri, dest, ok := cs.trunk.callee(phone)
	if dg == nil || !ok {
		return nil, nil, errs.E(errs.Unavailable, "no carrier trunk is configured (HOTLINE_SIP_TRUNK)")
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := cs.clock.AfterFunc(citizenRingFor, cancel)
	defer t.Stop()
	d, err := dg.NewDialog(uri, diago.NewDialogOptions{Transport: cs.trunk.Transport})
	if err != nil {
		return nil, nil, fmt.Errorf("dialog to the trunk: %w", err)
	}
	d.InviteRequest.SetDestination(dest)
	number := cs.cfg.Number
	from := &sip.FromHeader{DisplayName: number, Address: sip.Uri{Scheme: "sip", User: number, Host: host}, Params: sip.NewParams()}
	pai := sip.NewHeader("P-Asserted-Identity", fmt.Sprintf("<sip:%s@%s>", number, host))
	med, err := d.Invite(rctx, diago.InviteClientOptions{Headers: []sip.Header{from, pai},
		Username: cs.trunk.Username, Password: cs.trunk.Password})
	if err != nil {
		if rctx.Err() != nil && ctx.Err() == nil {
			err = errNoAnswer
		}
		return nil, nil, errors.Join(fmt.Errorf("call %s: %w", phone, err), d.Close())
	}
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), hangupTimeout)
	defer acancel()
	if err := d.Ack(actx); err != nil {
		hangErr := d.Hangup(actx)
		return nil, nil, errors.Join(fmt.Errorf("ack %s: %w", phone, err), hangErr, d.Close())
	}
	return d, med, nil
}

// errNoAnswer: the citizen's phone rang out.
var errNoAnswer = errors.New("no answer")

// notReached names why a trunk INVITE failed.
func notReached(err error) string {
	var res sipgo.ErrDialogResponse
	switch {
	case errors.Is(err, errNoAnswer):
		return telephony.NotReachedNoAnswer
	case errors.As(err, &res) && res.Res != nil:
		switch code := res.Res.StatusCode; {
		case code == sip.StatusBusyHere || code == 600:
			return telephony.NotReachedBusy
		case code == sip.StatusTemporarilyUnavailable || code == sip.StatusRequestTimeout:
			return telephony.NotReachedNoAnswer
		case code == 603 || code == sip.StatusNotFound || code == 484 || code == 604:
			return telephony.NotReachedRejected
		}
	}
	return telephony.NotReachedFailed
}

// ringback plays the ringback tone to the agent (China's: 450 Hz, 1 s on
// and 4 s off) through the pacer until stop, which returns once the
// agent's RTP writer is free for the bridge.
func (cs *Calls) ringback(a *AgentCall) (stop func()) {
	codec, err := audioCodec(a.med.MediaSession())
	if err != nil {
		return func() {}
	}
	v := &voice{w: a.med.RTPPacketWriter, codec: codec}
	tone := &prompts.Prompt{Name: "ringback", PCM: ringbackPCM()}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			o, err := cs.pacer.start(v, tone)
			if err != nil {
				cs.log.Debug("sip: ringback", "agent", a.Agent, "error", err)
				return
			}
			select {
			case err := <-o.done:
				if err != nil {
					cs.log.Debug("sip: ringback", "agent", a.Agent, "error", err) // the agent hung up
					return
				}
			case <-quit:
				cs.pacer.stop(o)
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// ringbackPCM is one cadence of the ringback tone, 8 kHz 16-bit mono.
var ringbackPCM = sync.OnceValue(func() []byte {
	const rate, on, all = 8000, 8000, 5 * 8000
	pcm := make([]byte, 2*all)
	for i := range on {
		v := int16(6000 * math.Sin(2*math.Pi*450*float64(i)/rate))
		pcm[2*i], pcm[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	return pcm
})
