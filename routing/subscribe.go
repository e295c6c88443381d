package routing

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// ErrClosed is what Next returns once the subscription is closed.
var ErrClosed = errors.New("routing: subscription closed")

// Subscription is one subscriber's feed of the engine's events: every
// event, in the order things happened, none dropped. The engine only
// queues; the subscriber takes events with Next on its own goroutine,
// where it may call the engine (Accept, End, …): the events that call
// causes are queued behind the one being handled.
//
// The queue has no bound, because the alternatives are worse: dropping
// loses offers and hang-ups, and making the engine wait for a full queue
// deadlocks a subscriber that calls the engine from inside an event. It
// holds only what the subscriber has not taken yet: the events of the
// changes since it last caught up, one to a few per change and a few
// hundred bytes each with the views they carry (about 250 B measured
// with agents holding three chats), so a subscriber a minute behind at
// 100 changes a second holds a few megabytes. It shrinks again once
// drained; Len tells how far behind a subscriber is. A subscriber that
// stops reading must Close, or its queue grows with every change.
type Subscription struct {
	e    *Engine
	wake chan struct{} // holds a token while events may be queued
	done chan struct{} // closed by Close

	mu     sync.Mutex
	ring   []Event // the queue: n events from head, wrapping around
	head   int
	n      int
	closed bool
}

// minRing is the smallest ring; a drained ring larger than this is let
// go, so that one burst does not hold memory for the rest of the day.
const minRing = 64

// Subscribe returns a subscription to the events of every change that
// completes after it returns. Close it when done.
func (e *Engine) Subscribe() *Subscription {
	s := &Subscription{e: e, wake: make(chan struct{}, 1), done: make(chan struct{})}
	e.mu.Lock()
	e.subs = append(e.subs, s)
	e.mu.Unlock()
	return s
}

// Next returns the next event, waiting for one. Errors: ErrClosed after
// Close, or ctx's error when ctx ends first.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Event{}, err
		}
		ev, ok, err := s.take()
		if ok || err != nil {
			return ev, err
		}
		select {
		case <-s.wake:
		case <-s.done:
		case <-ctx.Done():
		}
	}
}

// TryNext returns the next event if one is queued, without waiting; false
// when none is (or the subscription is closed). It suits a subscriber that
// drives the engine from the same goroutine, as simulations do: the events
// of a change are queued by the time the engine's method returns.
func (s *Subscription) TryNext() (Event, bool) {
	ev, ok, _ := s.take()
	return ev, ok
}

// Len returns how many events are queued and not yet taken.
func (s *Subscription) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Close ends the subscription: queued events are let go, nothing more is
// queued, and Next returns ErrClosed. It may be called more than once, and
// from inside an event.
func (s *Subscription) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed, s.ring, s.head, s.n = true, nil, 0, 0
	close(s.done)
	s.mu.Unlock()
	s.e.unsubscribe(s)
}

func (e *Engine) unsubscribe(s *Subscription) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.subs = slices.DeleteFunc(e.subs, func(x *Subscription) bool { return x == s })
}

// take removes the first queued event.
func (s *Subscription) take() (Event, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Event{}, false, ErrClosed
	}
	if s.n == 0 {
		return Event{}, false, nil
	}
	ev := s.ring[s.head]
	s.ring[s.head] = Event{} // let the views go
	s.head = (s.head + 1) % len(s.ring)
	s.n--
	switch {
	case s.n == 0 && len(s.ring) > minRing:
		s.ring, s.head = nil, 0
	case s.n > 0:
		s.signal() // another reader, if any, may take the rest
	}
	return ev, true, nil
}

// push queues the events of one change. The engine calls it under its
// lock, so every subscriber gets the changes in the same order.
func (s *Subscription) push(events []Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(events) == 0 {
		return
	}
	if need := s.n + len(events); need > len(s.ring) {
		s.grow(need)
	}
	for _, ev := range events {
		s.ring[(s.head+s.n)%len(s.ring)] = ev
		s.n++
	}
	s.signal()
}

// grow makes room for at least need events, keeping their order.
func (s *Subscription) grow(need int) {
	size := max(len(s.ring), minRing)
	for size < need {
		size *= 2
	}
	ring := make([]Event, size)
	for i := range s.n {
		ring[i] = s.ring[(s.head+i)%len(s.ring)]
	}
	s.ring, s.head = ring, 0
}

func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
