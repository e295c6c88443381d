package auth

import (
	"sync"
	"time"
)

// sessionCache remembers recently authenticated tokens for a short time,
// so that most requests skip the token lookup in the database. An entry
// never outlives its token's expiry. Logout and password changes evict at
// once on this instance; on other instances a revoked token lives at most
// ttl longer.
type sessionCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[string]cachedSession
}

type cachedSession struct {
	user  User
	until time.Time
}

func newSessionCache(ttl time.Duration, max int) *sessionCache {
	return &sessionCache{ttl: ttl, max: max, entries: map[string]cachedSession{}}
}

func (c *sessionCache) get(hash []byte, now time.Time) (*User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(hash)]
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	u := e.user
	return &u, true
}

// put remembers u for the cache's time, but never past the token's expiry.
func (c *sessionCache) put(hash []byte, u *User, now, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	until := now.Add(c.ttl)
	if expires.Before(until) {
		until = expires
	}
	c.entries[string(hash)] = cachedSession{user: *u, until: until}
}

func (c *sessionCache) evict(hash []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, string(hash))
}

func (c *sessionCache) evictAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
