package sip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"

	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/dtmf"
)

// Why the flow, not the caller, ended a call.
var (
	errShutdown   = errors.New("the SIP edge is shutting down")
	errRTPTimeout = errors.New("no RTP from the caller")
)

// hangupTimeout bounds a BYE.
const hangupTimeout = 5 * time.Second

// peer is the citizen's side of a call: the inbound call's server
// dialog, or the outbound call's client dialog once the citizen answered.
type peer interface {
	Context() context.Context
	Hangup(ctx context.Context) error
}

// call is one call with a citizen: its dialog, media and the keys
// pressed. An inbound call runs the IVR first; an outbound one (placed)
// starts bridged to the agent who placed it.
type call struct {
	cs     *Calls
	dlg    *diago.DialogServerSession // an inbound call's; nil for an outbound one
	peer   peer                       // the citizen's dialog; set before the flow reads it
	placed bool                       // an outbound call, placed by an agent
	id     string
	caller string
	ctx    context.Context
	cancel context.CancelCauseFunc

	digits   chan rune           // keys from RTP and INFO, oldest first
	events   chan routing.Event  // routing's events about this call
	holds    chan bool           // the console's hold (true) and resume (false), while bridged
	confs    chan confRequest    // the console's three-way call requests, while bridged
	consults chan consultRequest // the console's consultative transfer steps, while bridged
	done     chan struct{}       // closed when the call's handler ends

	med     *diago.DialogMedia
	voice   *voice // the prompts' RTP, from the answer
	rtpPort atomic.Int64
	rtp     *rtpWatch    // ends the call when the caller's RTP stops
	state   atomic.Int32 // the callState, moved by the call's goroutine
	media   atomic.Bool  // the caller's media is open (holds its RTP port)

	mu      sync.Mutex
	contact string // routing's contact id while queued

	sinkMu    sync.Mutex
	sinkCodec media.Codec  // the caller's audio codec, while bridged
	sink      func([]byte) // takes the caller's audio as PCM, while bridged

	rated       func(int)  // a placed call hears the citizen's rating; the flow's own
	agentHungUp bool       // the agent ended the bridged call; the flow's own
	offered     bool       // an agent's phone rang for the call; the flow's own
	answered    bool       // an agent answered the call; the flow's own
	rec         *stereoWAV // the recording, from the first bridge; the flow's own
	recFailed   bool       // the recording could not be created

	legMu    sync.Mutex
	agentLeg *AgentCall // the agent's phone, while bridged

	// held is set while the bridged call is on hold: the caller's audio
	// does not reach the agent, and the agent's does not reach the
	// caller, who hears music. toCaller hands the caller's RTP writer
	// over between the agent's audio and the music: the agent's side
	// writes under it only while not held.
	held     atomic.Bool
	toCaller sync.Mutex
	// mix is the three-way call's mixer, set under sinkMu and toCaller:
	// while set, the caller's and the agent's audio go to it alone.
	mix atomic.Pointer[mixer]
}

func newCall(cs *Calls, d *diago.DialogServerSession, id, caller string) *call {
	ctx, cancel := context.WithCancelCause(d.Context())
	c := newCallIn(cs, ctx, cancel, id, caller)
	c.dlg, c.peer = d, d
	return c
}

func newCallIn(cs *Calls, ctx context.Context, cancel context.CancelCauseFunc, id, caller string) *call {
	return &call{cs: cs, id: id, caller: caller, ctx: ctx, cancel: cancel,
		digits: make(chan rune, 16), events: make(chan routing.Event, 32), holds: make(chan bool), confs: make(chan confRequest), consults: make(chan consultRequest), done: make(chan struct{})}
}

func (c *call) info() CallInfo {
	return CallInfo{ID: c.id, Caller: c.caller, RTPPort: int(c.rtpPort.Load())}
}

// run answers the call, runs the flow and frees everything: the RTP
// reader, the watchdog, the media and the dialog (BYE unless the caller
// hung up).
func (c *call) run() {
	defer close(c.done)
	defer c.cancel(nil)
	log := c.cs.log.With("call", c.id, "caller", c.caller)
	med, err := c.dlg.Answer(diago.AnswerOptions{})
	if err != nil {
		log.Warn("sip: answer", "error", err)
		c.record("ended", c.cs.cdr.Ended(context.WithoutCancel(c.ctx), c.id, telephony.OutcomeFailed, c.party(), c.cs.clock.Now()))
		return
	}
	c.med = med
	c.voice = &voice{w: med.RTPPacketWriter, codec: media.CodecAudioFromSession(med.MediaSession())}
	c.rtpPort.Store(int64(med.MediaSession().Laddr.Port))
	c.media.Store(true)
	c.enter(stateIVR)
	c.rtp = watchRTP(c.cs.clock, c.cs.cfg.RTPTimeout, func() { c.cancel(errRTPTimeout) })
	var reader sync.WaitGroup
	reader.Add(1)
	go func() {
		defer reader.Done()
		c.readRTP()
	}()
	log.Info("sip: call answered", "rtp_port", c.rtpPort.Load())

	outcome := c.flow()
	c.enter(stateNone)
	c.closeRecording(c.ctx) // a transferred call whose caller hung up while waiting again

	c.rtp.stop()
	by := c.party()
	if c.dlg.Context().Err() == nil {
		hctx, cancel := context.WithTimeout(context.Background(), hangupTimeout)
		if err := c.dlg.Hangup(hctx); err != nil {
			log.Warn("sip: hang up", "error", err)
		}
		cancel()
	}
	if err := med.Close(); err != nil {
		log.Warn("sip: close media", "error", err)
	}
	c.media.Store(false)
	reader.Wait()
	c.record("ended", c.cs.cdr.Ended(context.WithoutCancel(c.ctx), c.id, outcome, by, c.cs.clock.Now()))
	log.Info("sip: call ended", "outcome", outcome, "hangup_by", by, "cause", context.Cause(c.ctx))
}

// party says who ended the call, once its context is done; a flow that
// ended by itself (a timeout of routing, an agent) is the system's.
func (c *call) party() telephony.HangupBy {
	if c.agentHungUp {
		return telephony.HangupAgent
	}
	if c.peer != nil && c.peer.Context().Err() != nil {
		return telephony.HangupCaller
	}
	return telephony.HangupSystem
}

func (c *call) record(what string, err error) {
	if err != nil {
		c.cs.log.Error("sip: call log", "call", c.id, "what", what, "error", err)
	}
}

// readRTP reads the caller's RTP until the media closes: every packet
// feeds the watchdog, telephone-events feed the DTMF decoder.
func (c *call) readRTP() {
	pt, ok := telephoneEvent(c.med.MediaSession())
	dec := dtmf.NewDecoder(pt)
	buf := make([]byte, media.RTPBufSize)
	r := c.med.RTPPacketReader
	for {
		n, err := r.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.cs.log.Debug("sip: RTP read", "call", c.id, "error", err)
			}
			return
		}
		if n == 0 {
			continue
		}
		c.rtp.touch()
		h := r.PacketHeader
		if !ok || h.PayloadType != pt {
			c.toSink(h.PayloadType, buf[:n])
			continue
		}
		digit, isKey, err := dec.Decode(dtmf.Packet{PayloadType: h.PayloadType, SequenceNumber: h.SequenceNumber,
			Timestamp: h.Timestamp, Marker: h.Marker, Payload: buf[:n]})
		if err != nil {
			c.cs.log.Debug("sip: telephone-event", "call", c.id, "error", err)
			continue
		}
		if isKey {
			c.press(digit)
		}
	}
}

// setSink sets (or, with nil, clears) where the caller's audio in codec
// goes.
func (c *call) setSink(codec media.Codec, sink func([]byte)) {
	c.sinkMu.Lock()
	defer c.sinkMu.Unlock()
	c.sinkCodec, c.sink = codec, sink
}

// toSink decodes an audio payload for the sink, if there is one.
func (c *call) toSink(pt uint8, payload []byte) {
	c.sinkMu.Lock()
	defer c.sinkMu.Unlock()
	if c.sink == nil || pt != c.sinkCodec.PayloadType {
		return
	}
	pcm, err := decode(c.sinkCodec, payload)
	if err != nil {
		c.cs.log.Debug("sip: caller audio", "call", c.id, "error", err)
		return
	}
	c.sink(pcm)
}

// telephoneEvent returns the payload type the caller sends
// telephone-events with, if negotiated.
func telephoneEvent(s *media.MediaSession) (uint8, bool) {
	for _, codec := range s.CommonCodecs() {
		if codec.Matches(media.CodecTelephoneEvent8000) {
			return codec.PayloadTypeRecv(), true
		}
	}
	return 0, false
}

// press queues a key; keys beyond the buffer's room are dropped, as no
// menu waits for sixteen.
func (c *call) press(digit rune) {
	select {
	case c.digits <- digit:
	default:
		c.cs.log.Debug("sip: key dropped", "call", c.id, "key", string(digit))
	}
}

// deliver hands a routing event to the call, unless the call is over.
func (c *call) deliver(ev routing.Event) {
	select {
	case c.events <- ev:
	case <-c.done:
	}
}

// play plays a prompt to its end. With bargeIn, a key pressed meanwhile
// stops it and is returned; without, keys wait in the buffer. The error
// is ctx's once the call ends.
func (c *call) play(ctx context.Context, name string, bargeIn bool) (rune, error) {
	p, err := c.cs.prompts.Open(name)
	if err != nil {
		return 0, fmt.Errorf("open prompt %s: %w", name, err)
	}
	if played := c.cs.cfg.Played; played != nil {
		played(c.id, name)
	}
	o, err := c.cs.pacer.start(c.voice, p)
	if err != nil {
		return 0, fmt.Errorf("play %s: %w", name, err)
	}
	defer c.cs.pacer.stop(o)
	var keys <-chan rune
	if bargeIn {
		keys = c.digits
	}
	select {
	case err := <-o.done:
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if err != nil {
			return 0, fmt.Errorf("play %s: %w", name, err)
		}
		return 0, nil
	case key := <-keys:
		return key, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// waitKey waits up to d for a key; 0 when none came.
func (c *call) waitKey(ctx context.Context, d time.Duration) (rune, error) {
	expired := make(chan struct{})
	t := c.cs.clock.AfterFunc(d, func() { close(expired) })
	defer t.Stop()
	select {
	case key := <-c.digits:
		return key, nil
	case <-expired:
		return 0, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
