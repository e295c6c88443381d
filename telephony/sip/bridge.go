package sip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/emiago/diago/audio"
	"github.com/emiago/diago/media"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
)

// leg is one side's audio: its negotiated G.711 codec and RTP writer.
type leg struct {
	codec media.Codec
	w     *media.RTPPacketWriter
}

// send encodes 16-bit PCM in the leg's codec and writes it as one packet.
func (l leg) send(pcm []byte) error {
	payload, err := encode(l.codec, pcm)
	if err != nil {
		return err
	}
	_, err = l.w.WriteSamples(payload, uint32(len(payload)), false, l.codec.PayloadType)
	return err
}

// decode turns a G.711 payload of codec into 16-bit PCM.
func decode(codec media.Codec, payload []byte) ([]byte, error) {
	pcm := make([]byte, 2*len(payload))
	var err error
	if codec.Name == media.CodecAudioAlaw.Name {
		_, err = audio.DecodeAlawTo(pcm, payload)
	} else {
		_, err = audio.DecodeUlawTo(pcm, payload)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", codec.Name, err)
	}
	return pcm, nil
}

// audioCodec is the G.711 codec the session negotiated.
func audioCodec(s *media.MediaSession) (media.Codec, error) {
	for _, c := range s.CommonCodecs() {
		if c.Name == media.CodecAudioUlaw.Name || c.Name == media.CodecAudioAlaw.Name {
			return c, nil
		}
	}
	return media.Codec{}, errors.New("no G.711 codec negotiated")
}

// bridge passes audio between the caller and the answered agent, 20 ms
// frames as they come, and records both, until one side hangs up or
// routing ends the contact; it returns who ended it, and transferred
// when the agent passed the call on to a queue (the agent's leg is hung
// up either way). The caller's audio comes through readRTP, which keeps
// decoding the caller's telephone-events meanwhile.
func (c *call) bridge(ctx context.Context, a *AgentCall) (by telephony.HangupBy, transferred bool) {
	callerCodec, err := audioCodec(c.med.MediaSession())
	if err != nil {
		c.cs.log.Error("sip: bridge", "call", c.id, "error", err)
		return telephony.HangupSystem, false
	}
	agentCodec, err := audioCodec(a.med.MediaSession())
	if err != nil {
		c.cs.log.Error("sip: bridge", "call", c.id, "agent", a.Agent, "error", err)
		return telephony.HangupSystem, false
	}
	rec := c.recording()
	toAgent := leg{codec: agentCodec, w: a.med.RTPPacketWriter}
	c.setSink(callerCodec, func(pcm []byte) {
		if rec != nil {
			rec.Left(pcm)
		}
		if m := c.mix.Load(); m != nil {
			m.caller.push(pcm) // a three-way call: the mixer sends it on
			return
		}
		if c.held.Load() {
			return // on hold: the agent does not hear the caller
		}
		if err := toAgent.send(pcm); err != nil {
			c.cs.log.Debug("sip: audio to agent", "call", c.id, "error", err)
		}
	})
	lost := make(chan struct{})
	heard := watchRTP(c.cs.clock, c.cs.cfg.RTPTimeout, func() { close(lost) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.fromAgent(a, agentCodec, leg{codec: callerCodec, w: c.med.RTPPacketWriter}, rec, heard)
	}()

	c.setLeg(a)
	by, transferred = c.hold(ctx, a, lost)
	heard.stop()
	c.setLeg(nil)
	c.setSink(media.Codec{}, nil)
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangupTimeout)
	defer cancel()
	if err := a.Hangup(hctx); err != nil {
		c.cs.log.Warn("sip: hang up agent", "call", c.id, "agent", a.Agent, "error", err)
	}
	// The dialog's end closed the media already, unless the BYE failed;
	// closing it again unblocks the reader then.
	if err := a.med.Close(); err != nil {
		c.cs.log.Debug("sip: close agent media", "call", c.id, "error", err)
	}
	<-done
	return by, transferred
}

// recording returns the call's recording, opening it at the first
// bridge: one file for every leg of a transferred call. Nil when
// nothing is recorded (no directory, or it could not be created).
func (c *call) recording() *stereoWAV {
	if c.rec == nil && c.cs.cfg.Recordings != "" && !c.recFailed {
		rec, err := createStereoWAV(filepath.Join(c.cs.cfg.Recordings, c.id+".wav"))
		if err != nil {
			c.cs.log.Error("sip: recording", "call", c.id, "error", err)
			c.recFailed = true
			return nil
		}
		c.rec = rec
	}
	return c.rec
}

// closeRecording closes the call's recording, if there is one, and
// names it in the call's record.
func (c *call) closeRecording(ctx context.Context) {
	if c.rec == nil {
		return
	}
	rec := c.rec
	c.rec = nil
	if err := rec.Close(); err != nil {
		c.cs.log.Error("sip: recording", "call", c.id, "error", err)
		return
	}
	c.record("recorded", c.cs.cdr.Recorded(context.WithoutCancel(ctx), c.id, c.id+".wav"))
}

// hold waits until the bridged call ends; routing's events are drained
// meanwhile, so that its dispatcher never waits on this call. A phone
// that went silent (lost) is the system's end of the call; routing
// ending the contact because the agent transferred it is transferred.
// The console's hold, three-way calls and consultations are carried out
// here, on the call's goroutine.
func (c *call) hold(ctx context.Context, a *AgentCall, lost <-chan struct{}) (telephony.HangupBy, bool) {
	h := &bridgeState{c: c, a: a, stopMusic: func() {}, agentGone: a.dlg.Context().Done(), stopDial: func() {}}
	defer h.close(ctx)
	for {
		select {
		case req := <-c.confs:
			req.reply <- h.conferenceRequest(ctx, req)
		case req := <-c.consults:
			req.reply <- h.consultRequest(ctx, req)
		case r := <-h.dialed:
			h.answeredOrNot(ctx, r)
		case <-h.thirdGone:
			c.endConference(ctx, h.conf)
			h.conf, h.thirdGone = nil, nil
			if h.consult != nil {
				c.endConsult(h.consult) // the consulted agent hung up: back to the caller
				h.consult = nil
				continue
			}
			if h.agentGone == nil {
				return telephony.HangupAgent, false // the agent had left: the call is over
			}
		case on := <-c.holds:
			h.holdRequest(ctx, on)
		case <-ctx.Done():
			return telephony.HangupCaller, false
		case <-h.agentGone:
			if h.consult != nil && h.conf == nil {
				return telephony.HangupAgent, false // hung up while the other phone rang
			}
			if h.consult != nil {
				if err := h.complete(ctx); err == nil {
					continue // hanging up completes the transfer
				}
			}
			if h.conf == nil {
				return telephony.HangupAgent, false
			}
			// The agent leaves the other two talking; routing frees the agent.
			h.leave()
			c.endContact()
			c.cs.log.Info("sip: the agent left the three-way call", "call", c.id, "agent", a.Agent)
		case <-lost:
			if h.agentGone == nil {
				lost = nil // the agent left; the phone's silence is no matter
				continue
			}
			c.cs.log.Warn("sip: no RTP from the agent's phone; hanging up", "call", c.id, "agent", a.Agent)
			return telephony.HangupSystem, false
		case ev := <-c.events:
			if ev.Kind == routing.EventEnded && h.agentGone != nil { // not the end the agent's leaving caused
				return telephony.HangupSystem, ev.Reason == routing.EndedTransferred
			}
		}
	}
}

// bridgeState is what the bridged call's goroutine keeps of the
// console's requests: music on hold, the third party ringing or mixed
// in, a consultation.
type bridgeState struct {
	c         *call
	a         *AgentCall
	stopMusic func()
	conf      *conference     // the three-way call or consultation, once the other party answered
	dialed    chan dialResult // the other party's phone ringing
	stopDial  context.CancelFunc
	thirdGone <-chan struct{}
	agentGone <-chan struct{} // nil once the agent left
	consult   *consultation
}

// close ends what is left when the bridge ends.
func (h *bridgeState) close(ctx context.Context) {
	h.stopMusic()
	h.c.setHeld(false)
	h.stopRinging(ctx)
	if h.conf != nil {
		h.c.endConference(ctx, h.conf)
	}
	if h.consult != nil {
		h.c.endConsult(h.consult)
	}
}

// ring rings the other party on its own goroutine.
func (h *bridgeState) ring(ctx context.Context, req confRequest) {
	dctx, stop := context.WithCancel(ctx)
	h.dialed, h.stopDial = make(chan dialResult, 1), stop
	go func(out chan<- dialResult) {
		leg, err := h.c.dialThird(dctx, req)
		out <- dialResult{leg: leg, err: err}
	}(h.dialed)
}

// stopRinging cancels a ringing party and hangs up a phone that
// answered meanwhile.
func (h *bridgeState) stopRinging(ctx context.Context) {
	h.stopDial()
	if h.dialed != nil {
		if r := <-h.dialed; r.leg != nil {
			h.c.hangUpLeg(ctx, r.leg)
		}
		h.dialed = nil
	}
}

// busy says why another party cannot be brought in now, or nil.
func (h *bridgeState) busy() error {
	if h.conf != nil || h.dialed != nil || h.consult != nil || h.c.held.Load() {
		return errs.E(errs.Conflict, "a third party is in the call or ringing, or the call is on hold")
	}
	return nil
}

func (h *bridgeState) conferenceRequest(ctx context.Context, req confRequest) error {
	if err := h.busy(); err != nil {
		return err
	}
	h.ring(ctx, req)
	h.c.cs.log.Info("sip: ringing a third party", "call", h.c.id, "agent", h.a.Agent, "party", req.user+req.party)
	return nil
}

func (h *bridgeState) consultRequest(ctx context.Context, req consultRequest) error {
	c := h.c
	switch {
	case req.step == consultStart:
		if err := h.busy(); err != nil {
			return err
		}
		k, err := c.startConsult(ctx, req.user)
		if err != nil {
			return err
		}
		h.consult = k
		h.ring(ctx, confRequest{user: req.user})
		c.cs.log.Info("sip: consulting", "call", c.id, "agent", h.a.Agent, "consulted", req.user)
		return nil
	case h.consult == nil:
		return errs.E(errs.Conflict, "no consultation is going on")
	case req.step == consultCancel:
		h.stopRinging(ctx)
		if h.conf != nil {
			c.endConference(ctx, h.conf)
			h.conf, h.thirdGone = nil, nil
		}
		c.endConsult(h.consult)
		h.consult = nil
		c.cs.log.Info("sip: consultation cancelled", "call", c.id, "agent", h.a.Agent)
		return nil
	case h.conf == nil:
		return errs.E(errs.Conflict, "the consulted agent has not answered yet")
	}
	return h.complete(ctx)
}

// complete hands the caller to the consulted agent: routing's contact
// is theirs, the first agent's phone is hung up, and the caller, off
// hold, talks to the consulted agent through the mixer.
func (h *bridgeState) complete(ctx context.Context) error {
	c := h.c
	if err := c.completeConsult(h.consult); err != nil {
		return err
	}
	h.leave()
	c.hangUpLeg(ctx, h.a)
	third := h.conf.third
	c.setLeg(third) // the console's hang-up is the consulted agent's now
	h.consult.stopMusic()
	c.setHeld(false)
	h.conf.m.callerHeld.Store(false)
	h.consult = nil
	c.record("answered", c.cs.cdr.Answered(ctx, c.id, third.Agent, c.cs.clock.Now()))
	c.cs.log.Info("sip: call handed over", "call", c.id, "from", h.a.Agent, "to", third.Agent)
	return nil
}

// leave takes the agent out of the mix.
func (h *bridgeState) leave() {
	h.agentGone = nil
	h.conf.m.agent.gone.Store(true)
}

// answeredOrNot takes the ringing party's answer: it joins the mix (a
// consultation with the caller held), or the call goes on as it was.
func (h *bridgeState) answeredOrNot(ctx context.Context, r dialResult) {
	c := h.c
	h.dialed = nil
	if r.err != nil {
		c.cs.log.Info("sip: the third party did not join", "call", c.id, "error", r.err)
		if h.consult != nil {
			c.endConsult(h.consult)
			h.consult = nil
		}
		return
	}
	conf, err := c.startConference(h.a, r.leg, c.rec, h.consult != nil)
	if err != nil {
		c.cs.log.Error("sip: three-way call", "call", c.id, "error", err)
		c.hangUpLeg(ctx, r.leg)
		return
	}
	h.conf, h.thirdGone = conf, r.leg.dlg.Context().Done()
	c.record("joined", c.cs.cdr.Joined(ctx, c.id, r.leg.Agent, c.cs.clock.Now()))
	c.cs.log.Info("sip: three-way call", "call", c.id, "agent", h.a.Agent, "party", r.leg.Agent, "consultation", h.consult != nil)
}

// holdRequest puts the call on hold or takes it off; a three-way call
// or a consultation is not held.
func (h *bridgeState) holdRequest(ctx context.Context, on bool) {
	c := h.c
	if h.conf != nil || h.consult != nil {
		return
	}
	switch {
	case on && !c.held.Load():
		c.setHeld(true)
		h.stopMusic = c.loopMusic(ctx)
		c.cs.log.Info("sip: call on hold", "call", c.id, "agent", h.a.Agent)
	case !on && c.held.Load():
		h.stopMusic()
		h.stopMusic = func() {}
		c.setHeld(false)
		c.cs.log.Info("sip: call resumed", "call", c.id, "agent", h.a.Agent)
	}
}

// dialThird rings the third party of a three-way call: a registered
// user's phone, or a number through the trunk, From the caller's number.
func (c *call) dialThird(ctx context.Context, req confRequest) (*AgentCall, error) {
	if req.number == "" {
		return c.cs.agents.(Dialer).Dial(ctx, req.user, c.caller, thirdRingFor)
	}
	d, med, err := c.cs.dialTrunk(ctx, req.number)
	if err != nil {
		return nil, err
	}
	return &AgentCall{Agent: req.party + " " + req.number, dlg: d, med: med}, nil
}

// dialResult is the end of the third party's ringing.
type dialResult struct {
	leg *AgentCall
	err error
}

// hangUpLeg hangs up a leg that is not bridged.
func (c *call) hangUpLeg(ctx context.Context, l *AgentCall) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangupTimeout)
	defer cancel()
	if err := l.Hangup(hctx); err != nil {
		c.cs.log.Warn("sip: hang up", "call", c.id, "party", l.Agent, "error", err)
	}
}

// setHeld puts the call on hold or takes it off, under toCaller, so
// that the agent's audio and the music never write to the caller at
// once.
func (c *call) setHeld(on bool) {
	c.toCaller.Lock()
	defer c.toCaller.Unlock()
	c.held.Store(on)
}

// fromAgent passes the agent's audio to the caller until the agent's
// media closes, noting each packet in heard.
func (c *call) fromAgent(a *AgentCall, codec media.Codec, toCaller leg, rec *stereoWAV, heard *rtpWatch) {
	buf := make([]byte, media.RTPBufSize)
	r := a.med.RTPPacketReader
	for {
		n, err := r.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.cs.log.Debug("sip: agent RTP read", "call", c.id, "error", err)
			}
			return
		}
		if n == 0 {
			continue
		}
		heard.touch()
		if r.PacketHeader.PayloadType != codec.PayloadType {
			continue
		}
		pcm, err := decode(codec, buf[:n])
		if err != nil {
			c.cs.log.Debug("sip: agent audio", "call", c.id, "error", err)
			continue
		}
		c.toCaller.Lock()
		if m := c.mix.Load(); m != nil {
			m.agent.push(pcm) // a three-way call: the mixer sends it on and records it
		} else {
			if rec != nil {
				rec.Right(pcm)
			}
			if !c.held.Load() {
				err = toCaller.send(pcm)
			}
		}
		c.toCaller.Unlock()
		if err != nil {
			c.cs.log.Debug("sip: audio to caller", "call", c.id, "error", err)
		}
	}
}
