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
	payload := make([]byte, len(pcm)/2)
	var err error
	if l.codec.Name == media.CodecAudioAlaw.Name {
		_, err = audio.EncodeAlawTo(payload, pcm)
	} else {
		_, err = audio.EncodeUlawTo(payload, pcm)
	}
	if err != nil {
		return fmt.Errorf("encode %s: %w", l.codec.Name, err)
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
func (c *call) hold(ctx context.Context, a *AgentCall, lost <-chan struct{}) (telephony.HangupBy, bool) {
	stopMusic := func() {}
	var conf *conference                // the three-way call, once the third party answered
	var dialed chan dialResult          // the third party's phone ringing
	agentGone := a.dlg.Context().Done() // nil once the agent left a three-way call
	dctx, stopDial := context.WithCancel(ctx)
	defer func() {
		stopMusic()
		c.setHeld(false)
		stopDial()
		if dialed != nil {
			if r := <-dialed; r.leg != nil {
				c.hangUpLeg(ctx, r.leg)
			}
		}
		if conf != nil {
			c.endConference(ctx, conf)
		}
	}()
	var thirdGone <-chan struct{}
	for {
		select {
		case req := <-c.confs:
			if conf != nil || dialed != nil || c.held.Load() {
				req.reply <- errs.E(errs.Conflict, "a third party is in the call or ringing, or the call is on hold")
				continue
			}
			dialed = make(chan dialResult, 1)
			go func(out chan<- dialResult) {
				leg, err := c.dialThird(dctx, req)
				out <- dialResult{leg: leg, err: err}
			}(dialed)
			c.cs.log.Info("sip: ringing a third party", "call", c.id, "agent", a.Agent, "party", req.user+req.party)
			req.reply <- nil
		case r := <-dialed:
			dialed = nil
			if r.err != nil {
				c.cs.log.Info("sip: the third party did not join", "call", c.id, "error", r.err)
				continue
			}
			var err error
			if conf, err = c.startConference(a, r.leg, c.rec); err != nil {
				c.cs.log.Error("sip: three-way call", "call", c.id, "error", err)
				c.hangUpLeg(ctx, r.leg)
				continue
			}
			thirdGone = r.leg.dlg.Context().Done()
			c.record("joined", c.cs.cdr.Joined(ctx, c.id, r.leg.Agent, c.cs.clock.Now()))
			c.cs.log.Info("sip: three-way call", "call", c.id, "agent", a.Agent, "party", r.leg.Agent)
		case <-thirdGone:
			c.endConference(ctx, conf)
			conf, thirdGone = nil, nil
			if agentGone == nil {
				return telephony.HangupAgent, false // the agent had left: the call is over
			}
		case on := <-c.holds:
			if conf != nil {
				continue // a three-way call is not held
			}
			switch {
			case on && !c.held.Load():
				c.setHeld(true)
				stopMusic = c.loopMusic(ctx)
				c.cs.log.Info("sip: call on hold", "call", c.id, "agent", a.Agent)
			case !on && c.held.Load():
				stopMusic()
				stopMusic = func() {}
				c.setHeld(false)
				c.cs.log.Info("sip: call resumed", "call", c.id, "agent", a.Agent)
			}
		case <-ctx.Done():
			return telephony.HangupCaller, false
		case <-agentGone:
			if conf == nil {
				return telephony.HangupAgent, false
			}
			// The agent leaves the other two talking; routing frees the agent.
			agentGone = nil
			conf.m.agent.gone.Store(true)
			c.endContact()
			c.cs.log.Info("sip: the agent left the three-way call", "call", c.id, "agent", a.Agent)
		case <-lost:
			c.cs.log.Warn("sip: no RTP from the agent's phone; hanging up", "call", c.id, "agent", a.Agent)
			return telephony.HangupSystem, false
		case ev := <-c.events:
			if ev.Kind == routing.EventEnded && agentGone != nil { // not the end the agent's leaving caused
				return telephony.HangupSystem, ev.Reason == routing.EndedTransferred
			}
		}
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
