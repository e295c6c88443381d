package sip

import (
	"context"
	"strconv"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
)

// flow runs the IVR menu, then the wait in a queue or the progress
// lookup, and returns how the call ended.
func (c *call) flow() telephony.Outcome {
	if c.afterHours(c.ctx) {
		return c.closed(c.ctx)
	}
	choice, err := c.menu(c.ctx)
	if err != nil {
		return c.failed("menu", err, telephony.OutcomeIVR)
	}
	if choice.Prompt != "" {
		if _, err := c.play(c.ctx, choice.Prompt, false); err != nil {
			return c.failed("prompt", err, telephony.OutcomeIVR)
		}
	}
	if choice.Action == telephony.ActionProgress {
		return c.progress(c.ctx, choice.Queue)
	}
	return c.wait(c.ctx, choice.Queue)
}

// failed logs an error of the flow unless the call simply ended, and
// returns outcome, or failed for an error of the flow itself.
func (c *call) failed(what string, err error, outcome telephony.Outcome) telephony.Outcome {
	if c.ctx.Err() != nil {
		return outcome
	}
	c.cs.log.Error("sip: call flow", "call", c.id, "what", what, "error", err)
	return telephony.OutcomeFailed
}

// MenuSource gives the IVR menu a call plays; telephony.Menus is one,
// which an admin changes while calls go on.
type MenuSource interface {
	// Menu returns the current menu.
	Menu() telephony.Menu
}

// fixedMenu is a menu that never changes.
type fixedMenu telephony.Menu

// Menu returns the menu.
func (m fixedMenu) Menu() telephony.Menu { return telephony.Menu(m) }

// menu plays the welcome and the menu and returns the caller's choice. A
// timeout or an invalid key replays the menu MenuRepeats times, then the
// fallback queue is chosen; the repeat key replays it without counting.
// The menu is read once, when the call reaches it: a change made during
// the call applies from the next call on.
func (c *call) menu(ctx context.Context) (telephony.MenuChoice, error) {
	m := c.cs.cfg.Menus.Menu()
	key, err := c.play(ctx, prompts.Welcome, true)
	for misses := 0; err == nil; {
		if key == 0 {
			key, err = c.play(ctx, prompts.Menu, true)
		}
		if err == nil && key == 0 {
			key, err = c.waitKey(ctx, c.cs.cfg.MenuTimeout)
		}
		if err != nil {
			break
		}
		if key != 0 {
			c.record("ivr digit", c.cs.cdr.IVRDigit(ctx, c.id, key, c.cs.clock.Now()))
		}
		if choice, ok := m.Choice(key); ok {
			return choice, nil
		}
		if key == telephony.RepeatKey {
			key = 0
			continue
		}
		if misses++; misses > c.cs.cfg.MenuRepeats {
			return telephony.MenuChoice{Queue: m.Fallback}, nil
		}
		if key != 0 {
			key, err = c.play(ctx, prompts.Invalid, true)
		}
	}
	return telephony.MenuChoice{}, err
}

// wait puts the caller in queue, then waits there (waitIn) with music
// on hold and position announcements until the caller hangs up, routing
// ends the wait or the call is shut down. Offers go to the agent leg,
// when there is one.
func (c *call) wait(ctx context.Context, queue string) telephony.Outcome {
	c.drainKeys() // keys pressed for the menu; from now on they choose a voicemail or a callback
	v, err := c.cs.router.Enqueue(routing.Contact{Channel: routing.Voice, Queue: queue, Caller: c.caller, Ref: c.id})
	if err != nil {
		return c.failed("enqueue", err, telephony.OutcomeIVR)
	}
	c.mu.Lock()
	c.contact = v.ID
	c.mu.Unlock()
	c.record("queued", c.cs.cdr.Queued(ctx, c.id, queue, c.cs.clock.Now()))
	return c.waitIn(ctx, v)
}

// waitIn is the wait of the call's contact v in its queue: at first, or
// again after an agent transferred the call there.
func (c *call) waitIn(ctx context.Context, v routing.ContactView) telephony.Outcome {
	queue := v.Queue
	c.enter(stateQueued)
	announce := make(chan struct{}, 1)
	arm := func() clock.Timer {
		return c.cs.clock.AfterFunc(c.cs.cfg.AnnounceEvery, func() {
			select {
			case announce <- struct{}{}:
			default:
			}
		})
	}
	stopMusic, t := c.music(ctx), arm()
	defer func() { t.Stop() }()
	rs := newRings() // the offered agents' phones ringing
	defer rs.stop(c.cs.log)
	for {
		select {
		case <-ctx.Done():
			stopMusic()
			return c.abandon()
		case <-announce:
			stopMusic()
			if err := c.announce(ctx, v); err != nil {
				return c.failed("announce", err, c.abandon())
			}
			stopMusic, t = c.music(ctx), arm()
		case key := <-c.digits:
			if !c.queueKey(key) {
				continue // keep waiting
			}
			t.Stop()
			stopMusic()
			return c.leaveQueue(ctx, key, queue)
		case res := <-rs.results:
			still := rs.taken(res)
			if res.err != nil {
				if ctx.Err() == nil {
					c.cs.log.Info("sip: agent not connected", "call", c.id, "error", res.err)
				}
				if !still {
					c.enter(stateQueued)
				}
				continue
			}
			t.Stop()
			stopMusic()
			rs.stop(c.cs.log) // the other phones of a ring-all offer
			return c.connected(ctx, res.agent)
		case ev := <-c.events:
			switch {
			case ev.Kind == routing.EventOffer && c.cs.agents != nil:
				c.ring(ctx, rs, *ev.Offer)
				continue
			case ev.Kind == routing.EventWithdrawn && ev.Reason != routing.WithdrawnAccepted:
				rs.cancel(ev.Offer.ID)
				continue
			}
			if outcome, done := c.routed(ctx, ev); done {
				stopMusic()
				if outcome == telephony.OutcomeAbandoned && ctx.Err() == nil {
					return c.waitedTooLong(ctx, queue)
				}
				return outcome
			}
		}
	}
}

// music plays music on hold in a loop until the returned stop is called,
// which waits for the playback to end. Where waiting callers may leave a
// voicemail or ask for a callback, the choice is said first; the keys
// reach the wait, which goes on meanwhile (an offer rings at once).
func (c *call) music(ctx context.Context) (stop func()) {
	if c.cs.offersMessages() {
		return c.loopMusic(ctx, prompts.QueueOptions)
	}
	return c.loopMusic(ctx)
}

// loopMusic plays the intro prompts, then music on hold in a loop, until
// the returned stop, which waits for the playback to end.
func (c *call) loopMusic(ctx context.Context, intro ...string) (stop func()) {
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; mctx.Err() == nil; i++ {
			name := prompts.HoldMusic
			if i < len(intro) {
				name = intro[i]
			}
			if _, err := c.play(mctx, name, false); err != nil {
				if mctx.Err() == nil {
					c.cs.log.Warn("sip: music on hold", "call", c.id, "prompt", name, "error", err)
				}
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// abandon ends the waiting contact in routing (abandoned); routing may
// have ended it first (not_found).
func (c *call) abandon() telephony.Outcome {
	c.mu.Lock()
	id := c.contact
	c.mu.Unlock()
	if _, err := c.cs.router.End(id); err != nil && !errs.Is(err, errs.NotFound) {
		c.cs.log.Error("sip: end contact", "call", c.id, "contact", id, "error", err)
	}
	if c.peer.Context().Err() != nil { // the caller hung up, not a timeout or shutdown
		c.cs.stats.abandoned.Add(1)
	}
	return telephony.OutcomeAbandoned
}

// routed handles one routing event; done when the call is over.
func (c *call) routed(ctx context.Context, ev routing.Event) (telephony.Outcome, bool) {
	switch ev.Kind {
	case routing.EventOffer:
		c.cs.log.Info("sip: call offered; no agent leg, the caller keeps waiting", "call", c.id, "agent", ev.Offer.Agent)
		return "", false
	case routing.EventAbandoned, routing.EventTimedOut:
		return telephony.OutcomeAbandoned, true
	case routing.EventEnded:
		return telephony.OutcomeAnswered, true
	}
	return "", false
}

// announce says the caller's place in the queue: "you are number N".
// Keys pressed meanwhile wait for the wait's loop.
func (c *call) announce(ctx context.Context, v routing.ContactView) error {
	n := routing.Position(c.cs.router.Contacts(), v)
	if n == 0 {
		return nil
	}
	names := []string{prompts.PositionBefore}
	for _, d := range strconv.Itoa(n) {
		names = append(names, prompts.Digit(int(d-'0')))
	}
	names = append(names, prompts.PositionAfter)
	for _, name := range names {
		if _, err := c.play(ctx, name, false); err != nil {
			return err
		}
	}
	return nil
}

// queueKey reports whether key is one of the waiting caller's choices.
func (c *call) queueKey(key rune) bool {
	return (key == keyVoicemail || key == keyCallback) && c.cs.offersMessages()
}

// leaveQueue carries out a waiting caller's choice (queueKey): the
// contact leaves routing (the phones ringing for it are cancelled as the
// wait returns), then the voicemail or the callback request.
func (c *call) leaveQueue(ctx context.Context, key rune, queue string) telephony.Outcome {
	c.mu.Lock()
	id := c.contact
	c.mu.Unlock()
	if _, err := c.cs.router.End(id); err != nil && !errs.Is(err, errs.NotFound) {
		c.cs.log.Error("sip: end contact", "call", c.id, "contact", id, "error", err)
	}
	c.enter(stateIVR)
	return c.queueOption(ctx, key, queue)
}

// waitedTooLong is the end of the queue's maximum wait: the caller may
// still leave a voicemail or ask for a callback, else hears goodbye.
func (c *call) waitedTooLong(ctx context.Context, queue string) telephony.Outcome {
	c.enter(stateIVR)
	if c.cs.offersMessages() {
		key, err := c.play(ctx, prompts.QueueOptions, true)
		if err == nil && key == 0 {
			key, err = c.waitKey(ctx, c.cs.cfg.MenuTimeout)
		}
		if err != nil {
			return c.failed("queue options", err, telephony.OutcomeAbandoned)
		}
		if c.queueKey(key) {
			return c.queueOption(ctx, key, queue)
		}
	}
	c.goodbye(ctx)
	return telephony.OutcomeAbandoned
}
