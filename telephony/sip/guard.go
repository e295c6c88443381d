package sip

import (
	"log/slog"
	"sync"
	"time"

	"github.com/open12345/hotline/clock"
)

// Limits per source address (IP, any port).
const (
	failWindow     = 15 * time.Minute // failures counted within
	challengeAgain = 2                // failures answered 401 (a typo); then 403
	blockAfter     = 10               // failures that block the source
	blockFor       = 15 * time.Minute
	floodWindow    = 10 * time.Second
	floodMax       = 20 // REGISTERs, or new INVITEs by default, per source and window
	maxSources     = 50000
)

// guard counts each source's requests of one kind (REGISTERs, new
// INVITEs) and, for REGISTERs, digest failures: a source flooding is
// answered 503, one failing repeatedly is blocked. Each is logged once
// per episode.
type guard struct {
	what  string // the requests counted, for the log
	max   int    // requests a source may send per floodWindow
	clock clock.Clock
	log   *slog.Logger
	mu    sync.Mutex
	m     map[string]*source
	// Requests refused since the start, for the metrics.
	floods, blocks uint64
}

type source struct {
	windowStart  time.Time
	requests     int
	floodLogged  bool
	failStart    time.Time
	failures     int
	blockedUntil time.Time
}

func newGuard(what string, max int, clk clock.Clock, log *slog.Logger) *guard {
	return &guard{what: what, max: max, clock: clk, log: log, m: map[string]*source{}}
}

// get returns the record of ip, pruning old ones when there are too many.
// The caller holds g.mu.
func (g *guard) get(ip string, now time.Time) *source {
	s, ok := g.m[ip]
	if ok {
		return s
	}
	if len(g.m) >= maxSources {
		for k, x := range g.m {
			if now.After(x.blockedUntil) && now.Sub(x.windowStart) > floodWindow && now.Sub(x.failStart) > failWindow {
				delete(g.m, k)
			}
		}
	}
	s = &source{}
	g.m[ip] = s
	return s
}

// admit counts a request from ip and says whether it may be processed:
// retryAfter > 0 when the source floods, blocked when it is blocked.
func (g *guard) admit(ip string) (retryAfter time.Duration, blocked bool) {
	now := g.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.get(ip, now)
	if now.Before(s.blockedUntil) {
		g.blocks++
		return 0, true
	}
	if now.Sub(s.windowStart) >= floodWindow {
		s.windowStart, s.requests, s.floodLogged = now, 0, false
	}
	s.requests++
	if s.requests > g.max {
		g.floods++
		if !s.floodLogged {
			s.floodLogged = true
			g.log.Warn("sip: "+g.what+" flood limited", "source", ip, "limit", g.max, "window", floodWindow.String())
		}
		return s.windowStart.Add(floodWindow).Sub(now), false
	}
	return 0, false
}

// refusals returns how many requests admit refused since the start: for
// flooding, and from a blocked source.
func (g *guard) refusals() (floods, blocks uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.floods, g.blocks
}

// fail counts a failed authentication from ip and returns how many the
// current window holds; reaching blockAfter blocks the source.
func (g *guard) fail(ip string) int {
	now := g.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.get(ip, now)
	if now.Sub(s.failStart) >= failWindow {
		s.failStart, s.failures = now, 0
	}
	s.failures++
	n := s.failures
	if n >= blockAfter {
		s.blockedUntil = now.Add(blockFor)
		s.failures = 0
		g.log.Warn("sip: source blocked after failed authentications", "source", ip, "for", blockFor.String())
	}
	return n
}

// succeed forgets ip's failures.
func (g *guard) succeed(ip string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.m[ip]; ok {
		s.failures = 0
	}
}
