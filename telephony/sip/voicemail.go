package sip

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
	"github.com/open12345/hotline/ticketing"
)

// Hours say whether agents answer calls now (ticketing.Schedule: the
// service hours on the hotline's calendar).
type Hours interface {
	OpenAt(ctx context.Context, t time.Time) (bool, error)
}

// The keys of the choice a waiting caller has (prompts.QueueOptions).
const (
	keyVoicemail = '1'
	keyCallback  = '2'
)

// Bounds of a keyed number.
const (
	maxNumberKeys = 20
	minPhoneKeys  = 7
)

// voicemailThreshold is the mean absolute sample level of a 20 ms frame
// that counts as the caller speaking: about −40 dBFS, above a line's hiss.
const voicemailThreshold = 330

// offersMessages reports whether waiting callers are offered a voicemail
// and a callback: only with somewhere to file voicemails and record them.
func (cs *Calls) offersMessages() bool {
	return cs.cfg.Voicemail != nil && cs.cfg.Recordings != ""
}

// afterHours reports whether the call came outside the service hours; a
// calendar that cannot be read counts as open, so that no call is sent
// to voicemail by a database error.
func (c *call) afterHours(ctx context.Context) bool {
	if c.cs.cfg.Hours == nil {
		return false
	}
	open, err := c.cs.cfg.Hours.OpenAt(ctx, c.cs.clock.Now())
	if err != nil {
		c.cs.log.Error("sip: service hours", "call", c.id, "error", err)
		return false
	}
	return !open
}

// closed is the call outside the service hours: the caller hears so and
// may leave a voicemail, filed under the menu's fallback queue.
func (c *call) closed(ctx context.Context) telephony.Outcome {
	for _, name := range []string{prompts.Welcome, prompts.AfterHours} {
		if _, err := c.play(ctx, name, false); err != nil {
			return c.failed("after hours", err, telephony.OutcomeIVR)
		}
	}
	if !c.cs.offersMessages() {
		c.goodbye(ctx)
		return telephony.OutcomeIVR
	}
	return c.voicemail(ctx, c.cs.cfg.Menus.Menu().Fallback, true)
}

// queueOption carries out the waiting caller's choice (queueKey): a
// voicemail or a callback.
func (c *call) queueOption(ctx context.Context, key rune, queue string) telephony.Outcome {
	if key == keyVoicemail {
		return c.voicemail(ctx, queue, false)
	}
	return c.callbackRequest(ctx)
}

// goodbye plays the last prompt of a call the flow ends, unless the
// caller is gone.
func (c *call) goodbye(ctx context.Context) {
	if _, err := c.play(ctx, prompts.Goodbye, false); err != nil && ctx.Err() == nil {
		c.cs.log.Warn("sip: goodbye", "call", c.id, "error", err)
	}
}

// voicemail records the caller after the prompt and the beep until `#`,
// VoicemailSilence without speech, VoicemailMax or the caller hanging
// up — most callers end a message by hanging up, and what they said is
// kept — then files it (CallConfig.Voicemail) and names it as the call's
// recording. A message without any speech is not filed.
func (c *call) voicemail(ctx context.Context, queue string, afterHours bool) telephony.Outcome {
	for _, name := range []string{prompts.Voicemail, prompts.Beep} {
		if _, err := c.play(ctx, name, false); err != nil {
			return c.failed("voicemail prompt", err, telephony.OutcomeAbandoned)
		}
	}
	codec, err := audioCodec(c.med.MediaSession())
	if err != nil {
		return c.failed("voicemail codec", err, telephony.OutcomeAbandoned)
	}
	file := c.id + "-voicemail.wav"
	path := filepath.Join(c.cs.cfg.Recordings, file)
	w, err := createMonoWAV(path)
	if err != nil {
		return c.failed("voicemail", err, telephony.OutcomeAbandoned)
	}
	c.drainKeys()
	var spoke atomic.Int64 // when the caller last spoke (UnixNano); 0: not yet
	start := c.cs.clock.Now()
	c.setSink(codec, func(pcm []byte) {
		w.Write(pcm)
		if loud(pcm) {
			spoke.Store(c.cs.clock.Now().UnixNano())
		}
	})
	c.listen(ctx, start, &spoke)
	c.setSink(codec, nil)
	seconds := w.Seconds()
	if err := w.Close(); err != nil {
		c.cs.log.Error("sip: voicemail", "call", c.id, "error", err)
	}
	if spoke.Load() == 0 {
		if err := os.Remove(path); err != nil {
			c.cs.log.Warn("sip: remove a silent voicemail", "call", c.id, "error", err)
		}
		c.goodbye(ctx)
		return telephony.OutcomeAbandoned
	}
	c.record("recorded", c.cs.cdr.Recorded(ctx, c.id, file))
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fileTimeout)
	number, err := c.cs.cfg.Voicemail.Leave(lctx, telephony.Voicemail{CallID: c.id, Caller: c.caller, Queue: queue,
		Path: path, Seconds: max(seconds, 1), AfterHours: afterHours})
	cancel()
	if err != nil {
		// The recording stays, named by the call's record, and the call
		// goes on the missed-call list as a voicemail: nothing is lost.
		c.cs.log.Error("sip: file the voicemail", "call", c.id, "error", err)
	} else {
		c.cs.log.Info("sip: voicemail filed", "call", c.id, "ticket", number, "seconds", seconds)
	}
	if _, err := c.play(ctx, prompts.VoicemailSaved, false); err == nil {
		c.goodbye(ctx)
	}
	return telephony.OutcomeVoicemail
}

// fileTimeout bounds filing a voicemail after the call.
const fileTimeout = 10 * time.Second

// listen waits for the end of a voicemail: `#`, the caller silent for
// VoicemailSilence (since the start or the last speech), VoicemailMax
// from start, or the call's end.
func (c *call) listen(ctx context.Context, start time.Time, spoke *atomic.Int64) {
	silence, limit := c.cs.cfg.VoicemailSilence, c.cs.cfg.VoicemailMax
	check := make(chan struct{}, 1)
	arm := func(d time.Duration) func() bool {
		return c.cs.clock.AfterFunc(d, func() {
			select {
			case check <- struct{}{}:
			default:
			}
		}).Stop
	}
	stop := arm(min(silence, limit))
	defer func() { stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case key := <-c.digits:
			if key == '#' {
				return
			}
		case <-check:
			now := c.cs.clock.Now()
			last := start
			if n := spoke.Load(); n != 0 {
				last = time.Unix(0, n)
			}
			quiet, long := now.Sub(last), now.Sub(start)
			if quiet >= silence || long >= limit {
				return
			}
			stop = arm(min(silence-quiet, limit-long))
		}
	}
}

// loud reports whether a 20 ms frame of 16-bit PCM holds speech.
func loud(pcm []byte) bool {
	if len(pcm) < 2 {
		return false
	}
	var sum int
	for i := 0; i+1 < len(pcm); i += 2 {
		v := int(int16(binary.LittleEndian.Uint16(pcm[i:])))
		if v < 0 {
			v = -v
		}
		sum += v
	}
	return sum/(len(pcm)/2) >= voicemailThreshold
}

// callbackRequest asks for the number to call back — `#` alone for the
// calling number — and puts it on the missed-call list through the
// call's record. Three numbers that are not phone numbers end the call.
func (c *call) callbackRequest(ctx context.Context) telephony.Outcome {
	for range 3 {
		number, err := c.keyNumber(ctx, prompts.CallbackNumber)
		if err != nil {
			return c.failed("callback number", err, telephony.OutcomeAbandoned)
		}
		if number == "" {
			number = c.caller
		}
		if phone, err := ticketing.NormalizePhone(number); err == nil && len(phone) >= minPhoneKeys {
			c.record("callback", c.cs.cdr.CallbackTo(ctx, c.id, phone, c.cs.clock.Now()))
			if _, err := c.play(ctx, prompts.Callback, false); err == nil {
				c.goodbye(ctx)
			}
			return telephony.OutcomeCallbackRequested
		}
		if _, err := c.play(ctx, prompts.Invalid, false); err != nil {
			return c.failed("callback number", err, telephony.OutcomeAbandoned)
		}
	}
	c.goodbye(ctx)
	return telephony.OutcomeIVR
}

// errNoNumber: the caller keyed nothing in time.
var errNoNumber = errors.New("no number keyed")

// keyNumber plays prompt (keys stop it, and keys pressed ahead count)
// and collects digits until `#`, maxNumberKeys digits, or MenuTimeout
// after the last key; `*` starts again. It returns "" for a lone `#`
// and, when nothing at all was keyed in time, "" after a second prompt.
func (c *call) keyNumber(ctx context.Context, prompt string) (string, error) {
	for range 2 {
		key, err := c.play(ctx, prompt, true)
		if err != nil {
			return "", err
		}
		number, err := c.collect(ctx, key)
		if !errors.Is(err, errNoNumber) {
			return number, err
		}
	}
	return "", nil
}

// collect gathers digits after first (0: none yet) as keyNumber says.
func (c *call) collect(ctx context.Context, first rune) (string, error) {
	var digits []rune
	key := first
	for {
		if key == 0 {
			var err error
			if key, err = c.waitKey(ctx, c.cs.cfg.MenuTimeout); err != nil {
				return "", err
			}
			if key == 0 { // timed out
				if len(digits) == 0 {
					return "", errNoNumber
				}
				return string(digits), nil
			}
		}
		switch {
		case key == '#':
			return string(digits), nil
		case key == '*':
			digits = digits[:0]
		case key >= '0' && key <= '9':
			if digits = append(digits, key); len(digits) == maxNumberKeys {
				return string(digits), nil
			}
		}
		key = 0
	}
}

// drainKeys forgets keys pressed before now, so that a key pressed for
// an earlier prompt does not answer the next one.
func (c *call) drainKeys() {
	for {
		select {
		case <-c.digits:
		default:
			return
		}
	}
}
