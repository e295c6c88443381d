package auth

import "time"

// Failures counts failed logins for one key (a username or a client
// address) in the current window.
type Failures struct {
	Count int
	First time.Time // start of the window
}

// Throttle limits failed logins: at most Max failures per key within
// Window; after that the key is refused until the window ends.
type Throttle struct {
	Max    int
	Window time.Duration
}

// RetryAfter returns how long the key must wait, or 0 if it may try now.
func (t Throttle) RetryAfter(f Failures, now time.Time) time.Duration {
	if f.Count < t.Max {
		return 0
	}
	end := f.First.Add(t.Window)
	if !now.Before(end) {
		return 0
	}
	return end.Sub(now)
}
