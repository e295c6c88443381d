package clock_test

import (
	"slices"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
)

var start = time.Date(2026, 9, 30, 10, 0, 0, 0, time.UTC)

// fired reports whether ch was closed; it does not wait.
func fired(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// wait fails the test unless ch is closed soon.
func wait(t *testing.T, ch chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the timer did not fire")
	}
}

func TestFake_AfterFunc(t *testing.T) {
	t.Run("FiresWhenTheClockReachesItsTime", func(t *testing.T) {
		f := clock.NewFake(start)
		ch := make(chan struct{})
		f.AfterFunc(time.Second, func() { close(ch) })
		f.Advance(999 * time.Millisecond)
		if fired(ch) || !slices.Equal(f.Timers(), []time.Time{start.Add(time.Second)}) {
			t.Fatalf("fired %v with timers %v pending, before its time", fired(ch), f.Timers())
		}
		f.Advance(time.Millisecond)
		wait(t, ch)
		if len(f.Timers()) != 0 {
			t.Fatalf("timers %v pending after firing", f.Timers())
		}
	})
	t.Run("OnlyTheDueFire", func(t *testing.T) {
		f := clock.NewFake(start)
		late, early := make(chan struct{}), make(chan struct{})
		f.AfterFunc(time.Hour, func() { close(late) })
		f.AfterFunc(time.Second, func() { close(early) })
		if got := f.Timers(); !slices.Equal(got, []time.Time{start.Add(time.Second), start.Add(time.Hour)}) {
			t.Fatalf("timers %v, want the earliest first", got)
		}
		f.Advance(time.Minute)
		wait(t, early)
		if fired(late) || !slices.Equal(f.Timers(), []time.Time{start.Add(time.Hour)}) {
			t.Fatalf("after a minute: late fired %v, timers %v", fired(late), f.Timers())
		}
	})
	t.Run("SetFiresToo", func(t *testing.T) {
		f := clock.NewFake(start)
		ch := make(chan struct{})
		f.AfterFunc(time.Hour, func() { close(ch) })
		f.Set(start.Add(2 * time.Hour))
		wait(t, ch)
	})
	t.Run("NoDelayFiresAtOnce", func(t *testing.T) {
		f := clock.NewFake(start)
		ch := make(chan struct{})
		f.AfterFunc(0, func() { close(ch) })
		wait(t, ch)
	})
	t.Run("StoppedNeverFires", func(t *testing.T) {
		f := clock.NewFake(start)
		ch := make(chan struct{})
		tm := f.AfterFunc(time.Second, func() { close(ch) })
		if !tm.Stop() {
			t.Fatal("Stop of a pending timer reported false")
		}
		if tm.Stop() {
			t.Fatal("second Stop reported true")
		}
		f.Advance(time.Hour)
		if fired(ch) || len(f.Timers()) != 0 {
			t.Fatal("a stopped timer fired")
		}
	})
	t.Run("StopAfterFiringIsFalse", func(t *testing.T) {
		f := clock.NewFake(start)
		ch := make(chan struct{})
		tm := f.AfterFunc(time.Second, func() { close(ch) })
		f.Advance(time.Second)
		wait(t, ch)
		if tm.Stop() {
			t.Fatal("Stop of a fired timer reported true")
		}
	})
}

func TestSystem_AfterFunc(t *testing.T) {
	ch := make(chan struct{})
	clock.System{}.AfterFunc(time.Millisecond, func() { close(ch) })
	wait(t, ch)
}
