// Package clock puts time behind an interface so that deadlines, sweeps and
// throttles are tested with simulated time instead of sleeps.
package clock

import (
	"slices"
	"sync"
	"time"
)

// Clock tells the time and calls functions later.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed (at once
	// if d <= 0), unless the Timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a call that AfterFunc has scheduled.
type Timer interface {
	// Stop cancels the call and reports whether it had not started yet.
	Stop() bool
}

// System is the real clock.
type System struct{}

// Now returns the current time.
func (System) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (System) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Fake is a settable clock for tests: its timers fire when Set or Advance
// moves it to their time. It is safe for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer // pending, in the order they were set
}

// NewFake returns a fake clock showing t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the clock to t and fires the timers whose time has come.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	due := f.takeDue()
	f.mu.Unlock()
	fire(due)
}

// Advance moves the clock forward by d and fires the timers whose time
// has come.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	due := f.takeDue()
	f.mu.Unlock()
	fire(due)
}

// AfterFunc calls f in its own goroutine once the fake time has moved d
// past now (at once if d <= 0), unless the Timer is stopped first.
func (f *Fake) AfterFunc(d time.Duration, call func()) Timer {
	f.mu.Lock()
	f.timers = append(f.timers, &fakeTimer{fake: f, at: f.now.Add(d), call: call})
	t := f.timers[len(f.timers)-1]
	due := f.takeDue()
	f.mu.Unlock()
	fire(due)
	return t
}

// Timers returns the times of the pending AfterFunc calls, earliest
// first, so that a test can see a timer set before it moves the clock.
func (f *Fake) Timers() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := make([]time.Time, len(f.timers))
	for i, t := range f.timers {
		at[i] = t.at
	}
	slices.SortFunc(at, time.Time.Compare)
	return at
}

// takeDue removes and returns the timers due at f.now, earliest first.
// The caller holds f.mu.
func (f *Fake) takeDue() []*fakeTimer {
	var due []*fakeTimer
	f.timers = slices.DeleteFunc(f.timers, func(t *fakeTimer) bool {
		if t.at.After(f.now) {
			return false
		}
		due = append(due, t)
		return true
	})
	slices.SortStableFunc(due, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	return due
}

// fire starts the calls of due timers, each in its own goroutine as
// time.AfterFunc does.
func fire(due []*fakeTimer) {
	for _, t := range due {
		go t.call()
	}
}

// fakeTimer is a pending AfterFunc call of a Fake.
type fakeTimer struct {
	fake *Fake
	at   time.Time
	call func()
}

// Stop cancels the call and reports whether it had not started yet.
func (t *fakeTimer) Stop() bool {
	t.fake.mu.Lock()
	defer t.fake.mu.Unlock()
	n := len(t.fake.timers)
	t.fake.timers = slices.DeleteFunc(t.fake.timers, func(x *fakeTimer) bool { return x == t })
	return len(t.fake.timers) < n
}
