package routing

import (
	"container/heap"
	"context"
	"time"
)

type timerKind int

const (
	timerRing timerKind = iota
	timerWrapUp
	timerOverflow
	timerMaxWait
)

// timer is a moment something may happen. Timers are never cancelled:
// when one fires, it checks that what it was set for still holds.
type timer struct {
	at      time.Time
	kind    timerKind
	offer   *offer
	agent   *agent
	contact *contact
	visit   uint64 // the contact's stay in a queue this timer belongs to
}

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = timer{}
	*h = old[:len(old)-1]
	return t
}

func (e *Engine) schedule(t timer) {
	earliest := len(e.timers) == 0 || t.at.Before(e.timers[0].at)
	heap.Push(&e.timers, t)
	if earliest {
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
}

// NextDeadline returns when the next timer is due (false: none).
func (e *Engine) NextDeadline() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.timers) == 0 {
		return time.Time{}, false
	}
	return e.timers[0].at, true
}

// Expire fires every timer due at the clock's current time: offers ring
// out, wrap-ups end, contacts overflow or reach their maximum wait.
//
// Ended wrap-ups go first. Every due timer fires at the current time, so an
// agent whose wrap-up ended is already free while the others fire; routed
// first, it gets the best contact that was waiting for it rather than one
// that a ring-out puts back in line within the same call.
func (e *Engine) Expire() {
	now := e.lock()
	defer e.unlock(now)
	for len(e.timers) > 0 && !now.Before(e.timers[0].at) {
		var rest []timer
		for len(e.timers) > 0 && !now.Before(e.timers[0].at) {
			t := heap.Pop(&e.timers).(timer)
			if t.kind == timerWrapUp {
				e.fire(t, now)
			} else {
				rest = append(rest, t)
			}
		}
		for _, t := range rest {
			e.fire(t, now)
		}
	}
}

func (e *Engine) fire(t timer, now time.Time) {
	switch t.kind {
	case timerRing:
		if e.offers[t.offer.id] == t.offer {
			e.ringOut(t.offer, now)
		}
	case timerWrapUp:
		a := t.agent
		if !now.Before(a.wrapUntil) {
			e.dirty[a] = struct{}{}
			e.routeAgent(a, now)
		}
	case timerOverflow:
		if c := t.contact; e.contacts[c.ID] == c && c.visit == t.visit && (c.status == Waiting || c.status == Offered) {
			e.overflow(c, now)
		}
	case timerMaxWait:
		c := t.contact
		if e.contacts[c.ID] == c && c.visit == t.visit && (c.status == Waiting || c.status == Offered) && !now.Before(c.deadline) {
			e.timeOut(c, now)
		}
	}
}

// Run fires timers on time until ctx ends. It is for the system clock; tests
// with a simulated clock call Expire after moving it.
func (e *Engine) Run(ctx context.Context) {
	for {
		var due <-chan time.Time
		var t *time.Timer
		if at, ok := e.NextDeadline(); ok {
			t = time.NewTimer(max(at.Sub(e.clock.Now()), 0))
			due = t.C
		}
		select {
		case <-ctx.Done():
			if t != nil {
				t.Stop()
			}
			return
		case <-e.wake:
		case <-due:
			e.Expire()
		}
		if t != nil {
			t.Stop()
		}
	}
}
