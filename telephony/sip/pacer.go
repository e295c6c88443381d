package sip

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/emiago/diago/audio"
	"github.com/emiago/diago/media"

	"github.com/open12345/hotline/telephony/prompts"
)

// The prompts' RTP goes out on one clock: a pacer sends the next G.711
// frame of every prompt playing from one goroutine and one ticker, each
// call's at the same moment of every 20 ms. diago's playback has a
// ticker per call: hundreds of goroutines woken at their own moments of
// each 20 ms, run one after the other on a busy CPU in an order that
// varies from tick to tick, so that each call's packets are spaced by
// 20 ms give or take the time the others take (cmd/hotline-bench's media
// benchmark). The calls are dealt among slots, a tick of the pacer's
// each, so that a packet waits for a quarter of the others at most.

const (
	frameTime    = 20 * time.Millisecond // of audio in an RTP packet
	frameSamples = 160                   // 8 kHz samples in a frame: G.711 bytes and RTP timestamp units
	slots        = 4                     // the pacer's ticks in a frame
)

// pacer sends the prompts playing, a frame of each of a slot's every
// frameTime/slots. Its goroutine runs while a prompt plays.
type pacer struct {
	mu      sync.Mutex
	playing [slots][]*playout // each slot's, in the order they started
	ticks   int               // the ticks so far: the next tick's slot
	dealt   int               // the voices given a slot so far
	running bool              // the goroutine ticks

	encMu   sync.Mutex
	encoded map[encodedKey][]byte // the built-in prompts in each codec
}

// encodedKey is a built-in prompt in a codec.
type encodedKey struct {
	name string
	pt   uint8
}

// voice is a call's prompt output: its RTP writer and codec; its slot
// and when its last prompt frame went (under the pacer's mu), whence the
// next prompt's RTP timestamp counts.
type voice struct {
	w     *media.RTPPacketWriter
	codec media.Codec
	slot  int
	dealt bool // slot is set
	last  time.Time
}

// playout is one prompt going to one call.
type playout struct {
	to      *voice
	audio   []byte     // G.711 in to's codec
	sent    int        // bytes of audio sent
	stopped bool       // the player left; under the pacer's mu
	done    chan error // the end: nil after the last frame, else the write's error
}

// newPacer returns an idle pacer.
func newPacer() *pacer { return &pacer{encoded: map[encodedKey][]byte{}} }

// start queues p's audio for v from the next tick of v's slot; the
// result receives the end of the prompt. stop ends it sooner.
func (pc *pacer) start(v *voice, p *prompts.Prompt) (*playout, error) {
	g711, err := pc.encode(p, v.codec)
	if err != nil {
		return nil, err
	}
	o := &playout{to: v, audio: g711, done: make(chan error, 1)}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if !v.dealt {
		v.slot, v.dealt = pc.dealt%slots, true
		pc.dealt++
	}
	pc.playing[v.slot] = append(pc.playing[v.slot], o)
	if !pc.running {
		pc.running = true
		go pc.run()
	}
	return o, nil
}

// stop ends o: no frame of it goes out once stop returns.
func (pc *pacer) stop(o *playout) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	o.stopped = true
}

// run sends a frame of every prompt of a slot each tick, until none
// plays.
func (pc *pacer) run() {
	t := time.NewTicker(frameTime / slots)
	defer t.Stop()
	for now := range t.C {
		if !pc.tick(now) {
			return
		}
	}
}

// tick sends the next frame of each prompt of the tick's slot; false
// when none plays any more, which ends the goroutine.
func (pc *pacer) tick(now time.Time) bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	s := pc.ticks % slots
	pc.ticks++
	pc.playing[s] = slices.DeleteFunc(pc.playing[s], func(o *playout) bool { return o.stopped || !o.send(now) })
	pc.running = slices.ContainsFunc(pc.playing[:], func(p []*playout) bool { return len(p) > 0 })
	return pc.running
}

// send writes o's next frame at now; false once o is over, its end
// sent on done: at once after the last frame, so that the next prompt's
// first frame follows at the next tick.
func (o *playout) send(now time.Time) bool {
	if len(o.audio) == 0 {
		o.done <- nil
		return false
	}
	marker := o.sent == 0
	if marker && !o.to.last.IsZero() {
		// The RTP clock goes on through the silence since the last prompt.
		if skipped := (now.Sub(o.to.last)+frameTime/2)/frameTime - 1; skipped > 0 {
			o.to.w.DelayTimestamp(uint32(skipped) * frameSamples)
		}
	}
	frame := o.audio[o.sent:min(o.sent+frameSamples, len(o.audio))]
	if _, err := o.to.w.WriteSamples(frame, frameSamples, marker, o.to.codec.PayloadType); err != nil {
		o.done <- fmt.Errorf("write RTP: %w", err)
		return false
	}
	o.sent += len(frame)
	o.to.last = now
	if o.sent == len(o.audio) {
		o.done <- nil
		return false
	}
	return true
}

// encode returns p's audio in codec: encoded once for a built-in prompt,
// which is shared and unchanging; at each play for a recording, which
// the operator may replace.
func (pc *pacer) encode(p *prompts.Prompt, codec media.Codec) ([]byte, error) {
	if p.Path != "" {
		return encode(codec, p.PCM)
	}
	key := encodedKey{name: p.Name, pt: codec.PayloadType}
	pc.encMu.Lock()
	defer pc.encMu.Unlock()
	if g711, ok := pc.encoded[key]; ok {
		return g711, nil
	}
	g711, err := encode(codec, p.PCM)
	if err != nil {
		return nil, err
	}
	pc.encoded[key] = g711
	return g711, nil
}

// encode turns 16-bit PCM into G.711 of codec.
func encode(codec media.Codec, pcm []byte) ([]byte, error) {
	g711 := make([]byte, len(pcm)/2)
	pcm = pcm[:2*len(g711)]
	var err error
	switch codec.Name {
	case media.CodecAudioAlaw.Name:
		_, err = audio.EncodeAlawTo(g711, pcm)
	case media.CodecAudioUlaw.Name:
		_, err = audio.EncodeUlawTo(g711, pcm)
	default:
		err = errors.New("not G.711")
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", codec.Name, err)
	}
	return g711, nil
}
