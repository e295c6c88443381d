package sip

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/open12345/hotline/clock"
)

// rtpWatch calls silent, once, when a leg has sent no RTP for timeout on
// the clock — a caller or a phone gone from the network would otherwise
// hold a call forever. touch notes a packet; stop ends the watch.
type rtpWatch struct {
	clock   clock.Clock
	timeout time.Duration
	silent  func()
	last    atomic.Int64 // clock time of the last packet, UnixNano

	mu      sync.Mutex
	timer   clock.Timer
	stopped bool
}

// watchRTP starts a watch, counting from now.
func watchRTP(clk clock.Clock, timeout time.Duration, silent func()) *rtpWatch {
	w := &rtpWatch{clock: clk, timeout: timeout, silent: silent}
	w.touch()
	w.mu.Lock()
	w.timer = clk.AfterFunc(timeout, w.check)
	w.mu.Unlock()
	return w
}

func (w *rtpWatch) touch() { w.last.Store(w.clock.Now().UnixNano()) }

func (w *rtpWatch) check() {
	idle := w.clock.Now().Sub(time.Unix(0, w.last.Load()))
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	if idle >= w.timeout {
		w.stopped = true
		w.mu.Unlock()
		w.silent()
		return
	}
	w.timer = w.clock.AfterFunc(w.timeout-idle, w.check)
	w.mu.Unlock()
}

func (w *rtpWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.stopped = true
		w.timer.Stop()
	}
}
