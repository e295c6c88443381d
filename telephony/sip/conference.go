package sip

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/diago/media"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/telephony"
)

// Three-way calls (三方通话): the agent brings a third party — a
// department's staff or another agent, on a registered phone — into a
// bridged call. The three hear each other through a mixer; the agent may
// leave the other two talking.

// frameBytes is 20 ms of 8 kHz 16-bit PCM.
const frameBytes = 320

// thirdRingFor bounds how long the third party's phone rings.
const thirdRingFor = 30 * time.Second

// Dialer rings a registered phone without a routing offer (Phones).
type Dialer interface {
	// HasPhone reports whether user has a phone registered.
	HasPhone(user string) bool
	Dial(ctx context.Context, user, caller string, ringFor time.Duration) (*AgentCall, error)
}

// confRequest asks the bridged call's goroutine to bring user's
// registered phone in, or number through the trunk (party names it).
type confRequest struct {
	user          string
	number, party string
	reply         chan error
}

// Conference rings user's registered phone and, once it answers, joins it
// to the bridged call of routing's contact: the caller, the agent and
// user hear each other. It returns once the phone rings; a phone that
// does not answer is logged and the call goes on as it was. Errors:
// not_found, conflict (not bridged, or a third party is in or ringing),
// unavailable (no phone to ring).
func (cs *Calls) Conference(ctx context.Context, contactID, user string) error {
	c := cs.byContact(contactID)
	if c == nil {
		return errs.E(errs.NotFound, "no call is in contact %s", contactID)
	}
	if c.leg() == nil {
		return errNotBridged
	}
	d, ok := cs.agents.(Dialer)
	if !ok {
		return errs.E(errs.Unavailable, "no phones can be rung from this server")
	}
	if !d.HasPhone(user) {
		return errs.E(errs.Unavailable, "%s has no phone registered", user)
	}
	return c.conference(ctx, confRequest{user: user, reply: make(chan error, 1)})
}

// ConferenceNumber brings number (a department's phone) into the bridged
// call of routing's contact through the trunk, as Conference does a
// registered phone; party names it in the call's record. Errors:
// invalid (not a number), not_found, conflict, unavailable (no trunk).
func (cs *Calls) ConferenceNumber(ctx context.Context, contactID, number, party string) error {
	if !telephony.Dialable(number) {
		return errs.E(errs.Invalid, "%q is not a phone number to dial", number)
	}
	if err := cs.Ready(); err != nil {
		return err
	}
	c := cs.byContact(contactID)
	if c == nil {
		return errs.E(errs.NotFound, "no call is in contact %s", contactID)
	}
	if c.leg() == nil {
		return errNotBridged
	}
	return c.conference(ctx, confRequest{number: number, party: party, reply: make(chan error, 1)})
}

// conference hands req to the bridged call's goroutine and waits for its
// answer.
func (c *call) conference(ctx context.Context, req confRequest) error {
	contactID := c.contactID()
	select {
	case c.confs <- req:
	case <-c.done:
		return errs.E(errs.NotFound, "the call of contact %s has ended", contactID)
	case <-ctx.Done():
		return fmt.Errorf("conference call %s: %w", c.id, ctx.Err())
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("conference call %s: %w", c.id, ctx.Err())
	}
}

// mixParty is one side of a three-way call: what it sent, and how to
// send to it.
type mixParty struct {
	out  leg
	mu   sync.Mutex
	q    [][]byte    // frames received, oldest first, at most 3 (60 ms)
	gone atomic.Bool // its leg has ended
}

// push keeps a frame the party sent, dropping the oldest beyond three so
// that a party sending fast adds no delay.
func (p *mixParty) push(pcm []byte) {
	if p.gone.Load() || len(pcm) != frameBytes {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.q) >= 3 {
		p.q = p.q[1:]
	}
	p.q = append(p.q, append([]byte(nil), pcm...))
}

// take returns the party's oldest frame, nil when none came.
func (p *mixParty) take() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.q) == 0 {
		return nil
	}
	f := p.q[0]
	p.q = p.q[1:]
	return f
}

// mixer carries a three-way call: every 20 ms it takes a frame of each
// party (silence when none came) and sends each party the sum of the
// others; the recording's right channel gets the agent and the third
// party together (the caller's left channel is written as before).
type mixer struct {
	caller, agent, third *mixParty
	rec                  *stereoWAV
	stop, done           chan struct{}
	// callerHeld keeps the caller out of the mix, and the mix from the
	// caller, who hears music: a consultation. Set before the mixer runs;
	// cleared once the music has stopped.
	callerHeld atomic.Bool
}

func (m *mixer) run(log func(err error)) {
	defer close(m.done)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	parties := []*mixParty{m.caller, m.agent, m.third}
	frames := make([][]byte, len(parties))
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		for i, p := range parties {
			frames[i] = p.take()
		}
		held := m.callerHeld.Load()
		if held {
			frames[0] = nil
		}
		for i, p := range parties {
			if p.gone.Load() || i == 0 && held {
				continue
			}
			if err := p.out.send(mixFrames(frames, i)); err != nil {
				log(err)
			}
		}
		if m.rec != nil {
			m.rec.Right(mixFrames(frames[1:], -1))
		}
	}
}

// mixFrames sums the frames but the one at skip (-1: none), clipping to
// 16 bits; nil frames are silence.
func mixFrames(frames [][]byte, skip int) []byte {
	out := make([]byte, frameBytes)
	for i := 0; i < frameBytes; i += 2 {
		sum := 0
		for j, f := range frames {
			if j != skip && f != nil {
				sum += int(int16(binary.LittleEndian.Uint16(f[i:])))
			}
		}
		binary.LittleEndian.PutUint16(out[i:], uint16(int16(max(-32768, min(32767, sum)))))
	}
	return out
}

// conference is a three-way call in progress on the call's bridge.
type conference struct {
	m      *mixer
	third  *AgentCall
	reader sync.WaitGroup
}

// startConference hands the caller's and the agent's audio to a mixer
// with the third party's leg. The sink (the caller's audio, under
// sinkMu) and fromAgent (under toCaller) stop writing to the agent and
// the caller once mix is set under both locks; only the mixer writes
// from then on.
func (c *call) startConference(a, third *AgentCall, rec *stereoWAV, callerHeld bool) (*conference, error) {
	callerCodec, err := audioCodec(c.med.MediaSession())
	if err != nil {
		return nil, err
	}
	agentCodec, err := audioCodec(a.med.MediaSession())
	if err != nil {
		return nil, err
	}
	thirdCodec, err := audioCodec(third.med.MediaSession())
	if err != nil {
		return nil, fmt.Errorf("third party %s: %w", third.Agent, err)
	}
	m := &mixer{rec: rec, stop: make(chan struct{}), done: make(chan struct{}),
		caller: &mixParty{out: leg{codec: callerCodec, w: c.med.RTPPacketWriter}},
		agent:  &mixParty{out: leg{codec: agentCodec, w: a.med.RTPPacketWriter}},
		third:  &mixParty{out: leg{codec: thirdCodec, w: third.med.RTPPacketWriter}}}
	m.callerHeld.Store(callerHeld)
	conf := &conference{m: m, third: third}
	c.sinkMu.Lock()
	c.toCaller.Lock()
	c.mix.Store(m)
	c.toCaller.Unlock()
	c.sinkMu.Unlock()
	conf.reader.Add(1)
	go func() {
		defer conf.reader.Done()
		readLeg(third, thirdCodec, m.third.push, func(err error) {
			c.cs.log.Debug("sip: third party audio", "call", c.id, "error", err)
		})
	}()
	go m.run(func(err error) { c.cs.log.Debug("sip: conference audio", "call", c.id, "error", err) })
	return conf, nil
}

// end stops the mixer, hangs up the third party and gives the caller
// and the agent their bridge back.
func (c *call) endConference(ctx context.Context, conf *conference) {
	close(conf.m.stop)
	<-conf.m.done
	c.sinkMu.Lock()
	c.toCaller.Lock()
	c.mix.Store(nil)
	c.toCaller.Unlock()
	c.sinkMu.Unlock()
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hangupTimeout)
	defer cancel()
	if err := conf.third.Hangup(hctx); err != nil {
		c.cs.log.Warn("sip: hang up the third party", "call", c.id, "party", conf.third.Agent, "error", err)
	}
	if err := conf.third.med.Close(); err != nil {
		c.cs.log.Debug("sip: close third party media", "call", c.id, "error", err)
	}
	conf.reader.Wait()
}

// readLeg decodes a leg's audio into push until its media closes.
func readLeg(l *AgentCall, codec media.Codec, push func([]byte), logErr func(error)) {
	buf := make([]byte, media.RTPBufSize)
	r := l.med.RTPPacketReader
	for {
		n, err := r.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				logErr(err)
			}
			return
		}
		if n == 0 || r.PacketHeader.PayloadType != codec.PayloadType {
			continue
		}
		pcm, err := decode(codec, buf[:n])
		if err != nil {
			logErr(err)
			continue
		}
		push(pcm)
	}
}
