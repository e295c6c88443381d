package sip

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
)

// progress runs the ticket progress lookup of a menu choice whose
// action is progress: the caller keys a ticket number and hears its
// status, department and deadline, or after telephony.MaxProgressMisses
// wrong lookups that none was found; then key 0 waits in queue for an
// agent, anything else (or nothing) ends the call with goodbye, outcome
// ivr.
func (c *call) progress(ctx context.Context, queue string) telephony.Outcome {
	if c.cs.cfg.Progress == nil {
		c.cs.log.Warn("sip: no progress lookup configured; the caller waits in the queue", "call", c.id)
		return c.wait(ctx, queue)
	}
	p, found, err := c.lookup(ctx)
	if err != nil {
		if ctx.Err() == nil {
			if _, perr := c.play(ctx, prompts.Busy, false); perr != nil {
				c.cs.log.Warn("sip: busy prompt", "call", c.id, "error", perr)
			}
		}
		return c.failed("progress lookup", err, telephony.OutcomeIVR)
	}
	if found {
		err = c.readBack(ctx, p)
	} else {
		_, err = c.play(ctx, prompts.ProgressFailed, false)
	}
	if err != nil {
		return c.failed("progress", err, telephony.OutcomeIVR)
	}
	key, err := c.play(ctx, prompts.ProgressEnd, true)
	if err == nil && key == 0 {
		key, err = c.waitKey(ctx, c.cs.cfg.MenuTimeout)
	}
	if err != nil {
		return c.failed("progress", err, telephony.OutcomeIVR)
	}
	if key == '0' {
		return c.wait(ctx, queue)
	}
	if _, err := c.play(ctx, prompts.Goodbye, false); err != nil {
		return c.failed("goodbye", err, telephony.OutcomeIVR)
	}
	return telephony.OutcomeIVR
}

// lookup asks for a ticket number and looks it up with the calling
// number; when that finds nothing, it asks for the last four digits of
// the registered phone and looks it up with those. A lookup that finds
// nothing (no number keyed, a wrong number, the wrong four digits: the
// caller cannot tell which) counts, and after MaxProgressMisses of them
// the lookup ends with found false. Errors: those of the lookup other
// than not_found, and ctx's.
func (c *call) lookup(ctx context.Context) (p telephony.TicketProgress, found bool, err error) {
	for misses := 0; misses < telephony.MaxProgressMisses; misses++ {
		if misses > 0 {
			// No barge-in: a key pressed meanwhile starts the next number.
			if _, err := c.play(ctx, prompts.ProgressMismatch, false); err != nil {
				return p, false, err
			}
		}
		number, err := c.keyIn(ctx, prompts.ProgressNumber, telephony.MaxTicketNumberKeys)
		if err != nil {
			return p, false, err
		}
		if number == "" {
			continue
		}
		if p, found, err = c.find(ctx, number, ""); found || err != nil {
			return p, found, err
		}
		last4, err := c.keyIn(ctx, prompts.ProgressLast4, 4)
		if err != nil {
			return p, false, err
		}
		if len(last4) == 4 {
			if p, found, err = c.find(ctx, number, last4); found || err != nil {
				return p, found, err
			}
		}
	}
	return p, false, nil
}

// find looks number up for the caller; found false when the lookup
// says not_found.
func (c *call) find(ctx context.Context, number, last4 string) (telephony.TicketProgress, bool, error) {
	p, err := c.cs.cfg.Progress.Progress(ctx, number, c.caller, last4)
	switch {
	case err == nil:
		return p, true, nil
	case errs.Is(err, errs.NotFound):
		return p, false, nil
	}
	return p, false, fmt.Errorf("look up ticket %s: %w", number, err)
}

// keyIn plays prompt with barge-in and returns the digits the caller
// keys (keyEntry): up to '#', the max-th digit, or a pause without a key
// (MenuTimeout before the first, KeyTimeout after). "" when nothing was
// keyed. Errors: ctx's, and the prompt's.
func (c *call) keyIn(ctx context.Context, prompt string, maxDigits int) (string, error) {
	key, err := c.play(ctx, prompt, true)
	e := keyEntry{max: maxDigits}
	timeout := c.cs.cfg.MenuTimeout
	for err == nil {
		if key == 0 {
			if key, err = c.waitKey(ctx, timeout); err != nil {
				break
			}
			if key == 0 {
				return e.String(), nil
			}
		}
		if e.add(key) {
			return e.String(), nil
		}
		key, timeout = 0, c.cs.cfg.KeyTimeout
	}
	return "", err
}

// keyEntry collects the digits of a number keyed on the phone.
type keyEntry struct {
	max    int // digits at most
	digits []byte
}

// add takes one key and reports whether the entry is complete: '#' ends
// it, and so does the max-th digit; '*' clears what was keyed (to start
// again); other keys (A–D) are ignored.
func (e *keyEntry) add(key rune) bool {
	switch {
	case key == '#':
		return true
	case key == '*':
		e.digits = e.digits[:0]
	case key >= '0' && key <= '9':
		e.digits = append(e.digits, byte(key))
	}
	return len(e.digits) >= e.max
}

// String returns the digits keyed.
func (e *keyEntry) String() string { return string(e.digits) }

// readBack says the ticket's status, then its department if an operator
// recorded the department's name (prompts.Department), then its
// deadline, if it has one to tell. Keys wait for the prompt after it.
func (c *call) readBack(ctx context.Context, p telephony.TicketProgress) error {
	var names []string
	if st := prompts.Status(p.Status); prompts.Known(st) {
		names = append(names, prompts.StatusPrefix, st)
	} else {
		c.cs.log.Warn("sip: no prompt for a ticket status", "call", c.id, "status", p.Status)
	}
	if p.DepartmentCode != "" {
		name := prompts.Department(p.DepartmentCode)
		_, err := c.cs.prompts.Open(name)
		switch {
		case err == nil:
			names = append(names, prompts.DepartmentPrefix, name)
		case !errs.Is(err, errs.NotFound):
			c.cs.log.Warn("sip: department prompt", "call", c.id, "prompt", name, "error", err)
		}
	}
	if p.DueAt != nil {
		names = append(names, prompts.DueBefore)
		names = append(names, dateNames(*p.DueAt)...)
	}
	for _, name := range names {
		if _, err := c.play(ctx, name, false); err != nil {
			return err
		}
	}
	return nil
}

// dateNames are the prompts that say t's date: 2026年12月3日 as the
// year's digits 2 0 2 6, 年, 十 2, 月, 3, 日.
func dateNames(t time.Time) []string {
	var names []string
	for _, d := range strconv.Itoa(t.Year()) {
		names = append(names, prompts.Digit(int(d-'0')))
	}
	names = append(names, prompts.Year)
	names = append(names, prompts.Number(int(t.Month()))...)
	names = append(names, prompts.Month)
	names = append(names, prompts.Number(t.Day())...)
	return append(names, prompts.Day)
}
