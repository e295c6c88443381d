package httpx

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is how fast one key (a client address, a chat) may go: PerSecond
// tokens a second, Burst at once. Both must be positive.
type Rate struct {
	PerSecond float64
	Burst     int
}

// maxTrackedKeys bounds a limiter's memory; past it, idle entries go.
const maxTrackedKeys = 100000

// Limiter keeps one token bucket per key, on this node.
type Limiter struct {
	rate  Rate
	mu    sync.Mutex
	byKey map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter returns a Limiter whose buckets fill at r.
func NewLimiter(r Rate) *Limiter {
	return &Limiter{rate: r, byKey: map[string]*bucket{}}
}

// Allow takes a token for key, or tells how long to wait.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.byKey[key]
	if b == nil {
		if len(l.byKey) >= maxTrackedKeys {
			l.evictIdle(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.rate.PerSecond), l.rate.Burst)}
		l.byKey[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evictIdle forgets keys whose bucket has refilled (they lose nothing).
func (l *Limiter) evictIdle(now time.Time) {
	full := time.Duration(float64(l.rate.Burst) / l.rate.PerSecond * float64(time.Second))
	for k, b := range l.byKey {
		if now.Sub(b.seen) > full {
			delete(l.byKey, k)
		}
	}
}
