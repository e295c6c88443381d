// Package quota counts uses of a key in fixed windows, shared by every
// instance through a Store: failed logins, SMS codes sent to a phone,
// tickets filed from one address. A use is taken before the work it
// allows, atomically with the check, so that parallel requests cannot all
// pass the check before any of them is counted.
package quota

import (
	"context"
	"fmt"
	"time"

	"github.com/open12345/hotline/errs"
)

// Rule allows at most Max uses of a key per Window. A window starts with
// the first use after the previous one ended.
type Rule struct {
	Max    int
	Window time.Duration
}

// Unlimited counts uses without ever refusing one (a tally within Window).
func Unlimited(window time.Duration) Rule { return Rule{Max: 1 << 30, Window: window} }

// Claim asks for one use of Key under Rule.
type Claim struct {
	Key  string
	Rule Rule
}

// Store keeps the counters. Keys are at most MaxKeyBytes long.
type Store interface {
	// Take counts one use of every claim's key, all or none: if any key has
	// used up its rule in the current window, nothing is counted and wait
	// says how long until that window ends (the longest of them).
	Take(ctx context.Context, now time.Time, claims ...Claim) (wait time.Duration, err error)
	// Release gives back one use of each key (work that turned out not to
	// count, such as a successful login).
	Release(ctx context.Context, keys ...string) error
	// Reset forgets the keys.
	Reset(ctx context.Context, keys ...string) error
	// Uses returns each key's uses in its current window at now (keys
	// without a running window are absent).
	Uses(ctx context.Context, now time.Time, keys ...string) (map[string]Use, error)
}

// Use is a key's count in its running window.
type Use struct {
	Count     int
	WindowEnd time.Time
}

// Refusal is the rate_limited error of a used-up rule: what, the
// user-facing reason, and the wait.
func Refusal(what string, wait time.Duration) error {
	return &errs.Error{Code: errs.RateLimited, RetryAfter: wait,
		Message: fmt.Sprintf("%s; try again in %s", what, humanWait(wait))}
}

// MaxKeyBytes bounds a key; longer keys are the caller's bug.
const MaxKeyBytes = 300

// Take is Store.Take that answers a refusal as a rate_limited error with
// what, the user-facing reason, and the wait.
func Take(ctx context.Context, s Store, now time.Time, what string, claims ...Claim) error {
	for _, c := range claims {
		if len(c.Key) > MaxKeyBytes {
			return fmt.Errorf("quota key of %d bytes", len(c.Key))
		}
	}
	wait, err := s.Take(ctx, now, claims...)
	if err != nil {
		return err
	}
	if wait > 0 {
		return Refusal(what, wait)
	}
	return nil
}

// humanWait says a wait the way a person would read it.
func humanWait(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds())+1)
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes())+1)
}
