package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/audio"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
)

// The agent's tone: loud and high, told apart from the citizen's speech
// in the recording.
const agentToneHz, agentToneAmp = 1000, 12000

// The whole call, with sipp as the citizen: 1 in the IVR (RFC 4733 from
// sip-tester's pcap), the queue, agent1's phone rings and answers, the two
// talk, the agent hangs up, the citizen keys 5 in the survey. The call
// record has it all, and its recording carries the citizen on the left and
// the agent on the right; a supervisor may hear it, a department may not.
func TestServe_SippCallBridgedRecordedAndRated(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatal("sipp missing: install sip-tester (bash deploy/local/services.sh test-tools)")
	}
	m := startDemo(t)
	if _, err := m.Routing.Login(routing.Profile{ID: "agent1", Name: "agent1", Skills: map[string]int{"consultation": 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Routing.SetPresence("agent1", routing.Ready, routing.ReasonNone); err != nil {
		t.Fatal(err)
	}
	phone := newTonePhone(t, m, "agent1", browserPassword)
	events := m.Routing.Subscribe()
	defer events.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, "-sf", "testdata/call_talk_rate.xml", "-s", "12345",
		"-i", "127.0.0.1", "-mi", "127.0.0.1", "-mp", strconv.Itoa(testenv.FreeUDPPort(t)), "-m", "1",
		"-timeout", "80s", "-timeout_error", "-nostdin", m.SIPAddr())
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = cmd.CombinedOutput()
		done <- err
	}()

	offer := nextOffer(t, events)
	if offer.Agent != "agent1" || offer.Contact.Caller != "13800138000" || offer.Contact.Queue != "consultation" {
		t.Fatalf("offer %+v, want agent1 offered the citizen's call in consultation", offer)
	}
	testenv.Eventually(t, "the agent hears the citizen", func() bool { return phone.heard.Load() > 50 })
	close(phone.hangUp)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sipp: %v\n%s", err, out)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the citizen was not hung up after rating the call")
	}

	sup := bearer(t, m, "supervisor")
	var list struct {
		Items []struct {
			ID           string `json:"id"`
			IVRPath      string `json:"ivr_path"`
			Queue        string `json:"queue"`
			Agent        string `json:"agent"`
			Outcome      string `json:"outcome"`
			HangupBy     string `json:"hangup_by"`
			Wait         int    `json:"wait_seconds"`
			Talk         int    `json:"talk_seconds"`
			Satisfaction *int   `json:"satisfaction"`
			RecordingURL string `json:"recording_url"`
			AnsweredAt   string `json:"answered_at"`
		} `json:"items"`
	}
	testenv.Eventually(t, "the call record", func() bool {
		res := apiGet(t, m, sup, "/api/v1/calls?caller=13800138000", nil)
		return res.StatusCode == 200 && json.NewDecoder(res.Body).Decode(&list) == nil && len(list.Items) == 1 && list.Items[0].Outcome != ""
	})
	c := list.Items[0]
	if c.IVRPath != "1" || c.Queue != "consultation" || c.Agent != "agent1" || c.Outcome != "answered" || c.HangupBy != "agent" ||
		c.Satisfaction == nil || *c.Satisfaction != 5 || c.Talk < 1 || c.Wait < 0 || c.AnsweredAt == "" || c.RecordingURL == "" {
		t.Fatalf("call record %+v", c)
	}

	res := apiGet(t, m, sup, c.RecordingURL, nil)
	wav, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("the supervisor gets the recording: %d %s %v", res.StatusCode, res.Header.Get("Content-Type"), err)
	}
	left, right := channelRMS(t, wav)
	if left < 300 {
		t.Errorf("left channel RMS %.0f: the citizen's speech is missing", left)
	}
	if want := agentToneAmp / math.Sqrt2; right < want*0.5 || right > want*1.2 {
		t.Errorf("right channel RMS %.0f, want the agent's tone (%.0f)", right, want)
	}
	part := apiGet(t, m, sup, c.RecordingURL, map[string]string{"Range": "bytes=44-1043"})
	if body, _ := io.ReadAll(part.Body); part.StatusCode != 206 || len(body) != 1000 {
		t.Errorf("a range of the recording: %d, %d bytes; want 206 and 1000", part.StatusCode, len(body))
	}
	if res := apiGet(t, m, bearer(t, m, "dept-rsj"), c.RecordingURL, nil); res.StatusCode != 403 {
		t.Errorf("a department asked for the recording: %d, want 403", res.StatusCode)
	}
}

// nextOffer waits for routing's next offer.
func nextOffer(t *testing.T, events *routing.Subscription) routing.OfferView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.EventuallyWithin)
	defer cancel()
	for {
		ev, err := events.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for an offer: %v", err)
		}
		if ev.Kind == routing.EventOffer {
			return *ev.Offer
		}
	}
}

// tonePhone is an agent's phone speaking PCMU: it answers, sends its tone,
// counts the packets it hears with sound in them, and hangs up when told.
type tonePhone struct {
	heard  atomic.Int64
	hangUp chan struct{}
}

func newTonePhone(t *testing.T, m *Main, user, password string) *tonePhone {
	t.Helper()
	p := &tonePhone{hangUp: make(chan struct{})}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user + "-phone"))
	if err != nil {
		t.Fatal(err)
	}
	dg := diago.NewDiago(ua, diago.WithTransport(diago.Transport{Transport: "udp", BindHost: "127.0.0.1", BindPort: 0}),
		diago.WithMediaConfig(diago.MediaConfig{Codecs: []media.Codec{media.CodecAudioUlaw, media.CodecTelephoneEvent8000}}))
	sctx, stop := context.WithCancel(context.Background())
	t.Cleanup(func() {
		stop()
		if err := ua.Close(); err != nil {
			t.Errorf("close the phone: %v", err)
		}
	})
	err = dg.ServeBackground(sctx, func(d *diago.DialogServerSession) {
		med, err := d.Answer(diago.AnswerOptions{})
		if err != nil {
			t.Errorf("the phone answers: %v", err)
			return
		}
		tctx, cancel := context.WithCancel(d.Context())
		defer cancel()
		go p.speak(tctx, med)
		go p.listen(med)
		select {
		case <-p.hangUp:
		case <-d.Context().Done():
			return
		}
		hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer hcancel()
		if err := d.Hangup(hctx); err != nil {
			t.Errorf("the phone hangs up: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := dg.RegisterTransaction(rctx, sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: int(m.sip.Addr().Port())},
		diago.RegisterOptions{Username: user, Password: password, Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.WhenBound(func() error { return tx.Register(rctx) }); err != nil {
		t.Fatalf("%s's phone registers: %v", user, err)
	}
	return p
}

// speak sends the agent's tone, 20 ms a packet, until ctx ends; a
// 1 kHz tone is 20 whole periods a packet, so one packet repeats.
func (p *tonePhone) speak(ctx context.Context, med *diago.DialogMedia) {
	w, err := med.AudioWriter()
	if err != nil {
		return
	}
	frame := make([]byte, 160)
	if _, err := audio.EncodeUlawTo(frame, testenv.Sine(160, agentToneHz, agentToneAmp, 8000)); err != nil {
		return
	}
	for ctx.Err() == nil {
		if _, err := w.Write(frame); err != nil {
			return
		}
	}
}

// listen counts the packets with sound until the media closes.
func (p *tonePhone) listen(med *diago.DialogMedia) {
	r, err := med.AudioReader()
	if err != nil {
		return
	}
	buf, pcm := make([]byte, media.RTPBufSize), make([]byte, 2*media.RTPBufSize)
	for {
		n, err := r.Read(buf)
		if err != nil {
			return
		}
		k, err := audio.DecodeUlawTo(pcm, buf[:n])
		if err == nil && rms(pcm[:k], 0, 2) > 300 {
			p.heard.Add(1)
		}
	}
}

// rms is the RMS of the 16-bit samples of pcm from byte off, every step bytes.
func rms(pcm []byte, off, step int) float64 {
	var sum float64
	n := 0
	for i := off; i+1 < len(pcm); i += step {
		v := float64(int16(binary.LittleEndian.Uint16(pcm[i:])))
		sum += v * v
		n++
	}
	if n == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(n))
}

// channelRMS is the RMS of each channel of a 16-bit stereo WAV.
func channelRMS(t *testing.T, wav []byte) (left, right float64) {
	t.Helper()
	if len(wav) < 44+8000*4 || string(wav[:4]) != "RIFF" || binary.LittleEndian.Uint16(wav[22:]) != 2 || binary.LittleEndian.Uint32(wav[24:]) != 8000 {
		t.Fatalf("the recording is not at least a second of 8 kHz stereo WAV (%d bytes)", len(wav))
	}
	data := wav[44:]
	return rms(data, 0, 4), rms(data, 2, 4)
}

// bearer is a bearer token of the demo user.
func bearer(t *testing.T, m *Main, user string) string {
	t.Helper()
	tok, err := m.Auth.IssueToken(context.Background(), user, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// apiGet GETs path with the token and extra headers; the body is closed
// when the test ends.
func apiGet(t *testing.T, m *Main, tok, path string, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+m.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(fmt.Errorf("GET %s: %w", path, err))
	}
	t.Cleanup(func() {
		if err := res.Body.Close(); err != nil {
			t.Errorf("close %s: %v", path, err)
		}
	})
	return res
}
