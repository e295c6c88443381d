package agentui

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/open12345/hotline/errs"
)

// CitizenLimit is how fast one address may call the citizens' endpoints.
type CitizenLimit struct {
	PerSecond float64
	Burst     int
}

// DefaultCitizenLimit allows a person typing in a search box, not a scraper.
var DefaultCitizenLimit = CitizenLimit{PerSecond: 2, Burst: 20}

// maxTrackedClients bounds the limiter's memory; past it, idle entries go.
const maxTrackedClients = 100000

// clientLimiter keeps one token bucket per client address.
type clientLimiter struct {
	limit CitizenLimit
	mu    sync.Mutex
	byIP  map[string]*clientBucket
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newClientLimiter(l CitizenLimit) *clientLimiter {
	if l.PerSecond <= 0 || l.Burst <= 0 {
		l = DefaultCitizenLimit
	}
	return &clientLimiter{limit: l, byIP: map[string]*clientBucket{}}
}

// allow takes a token for addr, or tells how long to wait.
func (c *clientLimiter) allow(addr string, now time.Time) (bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.byIP[addr]
	if b == nil {
		if len(c.byIP) >= maxTrackedClients {
			c.evictIdle(now)
		}
		b = &clientBucket{lim: rate.NewLimiter(rate.Limit(c.limit.PerSecond), c.limit.Burst)}
		c.byIP[addr] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evictIdle forgets clients whose bucket has refilled (they lose nothing).
func (c *clientLimiter) evictIdle(now time.Time) {
	full := time.Duration(float64(c.limit.Burst) / c.limit.PerSecond * float64(time.Second))
	for ip, b := range c.byIP {
		if now.Sub(b.seen) > full {
			delete(c.byIP, ip)
		}
	}
}

// citizen wraps a handler for the public, rate-limited per client address.
func (s *Server) citizen(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return s.public(func(w http.ResponseWriter, r *http.Request) error {
		if ok, wait := s.citizens.allow(clientKey(r), s.clock.Now()); !ok {
			return &errs.Error{Code: errs.RateLimited, Message: "too many requests; try again shortly", RetryAfter: wait}
		}
		return h(w, r)
	})
}
