package sip

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/diago/media"
	"github.com/pion/rtp"

	"github.com/open12345/hotline/telephony/prompts"
)

// sentRTP keeps the headers and payload sizes of the packets written.
type sentRTP struct {
	mu    sync.Mutex
	heads []rtp.Header
	sizes []int
}

func (s *sentRTP) WriteRTP(p *rtp.Packet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heads = append(s.heads, p.Header)
	s.sizes = append(s.sizes, len(p.Payload))
	return nil
}

func (s *sentRTP) sent() ([]rtp.Header, []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]rtp.Header(nil), s.heads...), append([]int(nil), s.sizes...)
}

// recording is a prompt of n 20 ms frames and a half, of an operator's
// recording (encoded at each play).
func recording(n int) *prompts.Prompt {
	return &prompts.Prompt{Name: "test", Path: "test.wav", PCM: make([]byte, (2*n+1)*frameSamples)}
}

func playTo(t *testing.T, pc *pacer, v *voice, p *prompts.Prompt) {
	t.Helper()
	o, err := pc.start(v, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-o.done; err != nil {
		t.Fatal(err)
	}
}

// The pacer's clock is the bubble's (testing/synctest): the silence
// between prompts passes without waiting, and exactly.
func TestPacer_FramesTimestampsAndMarkers(t *testing.T) {
	synctest.Test(t, testPacerFrames)
}

func testPacerFrames(t *testing.T) {
	pc := newPacer()
	out := &sentRTP{}
	v := &voice{w: media.NewRTPPacketWriter(out, media.CodecAudioAlaw), codec: media.CodecAudioAlaw}
	playTo(t, pc, v, recording(2)) // 3 packets, the last of half a frame
	playTo(t, pc, v, recording(1)) // at once: the next tick
	time.Sleep(5 * frameTime)      // silence: the timestamp goes on
	playTo(t, pc, v, recording(0))
	heads, sizes := out.sent()
	if len(heads) != 6 {
		t.Fatalf("got %d packets, want 6", len(heads))
	}
	wantSizes := []int{160, 160, 80, 160, 80, 80}
	for i, h := range heads {
		if h.PayloadType != media.CodecAudioAlaw.PayloadType || sizes[i] != wantSizes[i] {
			t.Errorf("packet %d: payload type %d of %d bytes, want %d of %d", i, h.PayloadType, sizes[i], media.CodecAudioAlaw.PayloadType, wantSizes[i])
		}
		if marker := i == 0 || i == 3 || i == 5; h.Marker != marker {
			t.Errorf("packet %d: marker %v, want %v", i, h.Marker, marker)
		}
		if i == 0 {
			continue
		}
		if h.SequenceNumber != heads[i-1].SequenceNumber+1 {
			t.Errorf("packet %d: sequence number %d after %d", i, h.SequenceNumber, heads[i-1].SequenceNumber)
		}
		step := h.Timestamp - heads[i-1].Timestamp
		if i == 5 {
			if step%frameSamples != 0 || step < 5*frameSamples {
				t.Errorf("after the silence: timestamp +%d, want a multiple of %d, at least 5 frames", step, frameSamples)
			}
		} else if step != frameSamples {
			t.Errorf("packet %d: timestamp +%d, want +%d", i, step, frameSamples)
		}
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.running {
		t.Error("the pacer still ticks with nothing to play")
	}
}

func TestPacer_StoppedPromptSendsNoMore(t *testing.T) {
	pc := newPacer()
	long, other := &sentRTP{}, &sentRTP{}
	v := &voice{w: media.NewRTPPacketWriter(long, media.CodecAudioUlaw), codec: media.CodecAudioUlaw}
	o, err := pc.start(v, recording(1000))
	if err != nil {
		t.Fatal(err)
	}
	w := &voice{w: media.NewRTPPacketWriter(other, media.CodecAudioUlaw), codec: media.CodecAudioUlaw}
	playTo(t, pc, w, recording(1)) // the long prompt is under way meanwhile
	pc.stop(o)
	before, _ := long.sent()
	playTo(t, pc, w, recording(2)) // ticks after the stop
	after, _ := long.sent()
	if len(before) == 0 || len(after) != len(before) {
		t.Errorf("the stopped prompt: %d packets at the stop, %d three frames later; want some, then no more", len(before), len(after))
	}
}

func TestEncode_RefusesOtherCodecs(t *testing.T) {
	if _, err := encode(media.CodecAudioOpus, make([]byte, 320)); err == nil {
		t.Error("encode opus: no error")
	}
}
