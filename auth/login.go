package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/quota"
)

// LoginLimits bound failed logins. Failures are counted per username and
// client together, so an attacker locks out only themselves: the owner of
// the account, from a client with no failures, still logs in. A client
// the user logged in from before (within KnownFor) is known, and keeps
// PerUserClient however hard the username is attacked from elsewhere.
type LoginLimits struct {
	// PerUserClient bounds the failures of one username from one client.
	PerUserClient quota.Rule
	// UnderAttack replaces PerUserClient for unknown clients while the
	// username has had AttackAfter failures from all clients together
	// within AttackWindow (many addresses guessing one password): each
	// such client then has one try per window.
	UnderAttack  quota.Rule
	AttackAfter  int
	AttackWindow time.Duration
	// LockdownAfter failures within AttackWindow close the username to
	// unknown clients altogether until the window ends: a botnet gets that
	// many guesses per window, not one per address.
	LockdownAfter int
	// KnownFor is how long a successful login makes its client known.
	KnownFor time.Duration
	// PerClient bounds the failures of one client over all usernames
	// (one address spraying a password over many accounts).
	PerClient quota.Rule
}

// DefaultLoginLimits: 5 failures per username and client in 15 minutes;
// while a username is under attack (20 failures in 15 minutes) 1 per
// unknown client, and none after 100; clients known for 30 days; 50 per
// client over all usernames.
var DefaultLoginLimits = LoginLimits{
	PerUserClient: quota.Rule{Max: 5, Window: 15 * time.Minute},
	UnderAttack:   quota.Rule{Max: 1, Window: 15 * time.Minute},
	AttackAfter:   20,
	AttackWindow:  15 * time.Minute,
	LockdownAfter: 100,
	KnownFor:      30 * 24 * time.Hour,
	PerClient:     quota.Rule{Max: 50, Window: 15 * time.Minute},
}

// maxPasswordBytes bounds what is hashed at login, as at creation.
const maxPasswordBytes = 256

// loginKeys names the counters of one login attempt.
type loginKeys struct {
	pair, client, user, known string
}

func keysFor(username, client string) loginKeys {
	return loginKeys{pair: "login:" + username + "@" + client, client: "login-client:" + client,
		user: "login-user:" + username, known: "login-known:" + username + "@" + client}
}

const tooMany = "too many failed logins"

// Login checks a username and password and opens a session. The attempt
// is counted before the password is checked, atomically with the limit,
// so parallel attempts cannot get past it; a successful one is given back.
// client is what the caller's limits count under (an address, or an IPv6
// network). Errors: invalid (a username no account can have, a password
// over 256 bytes), unauthorized (wrong credentials, disabled user),
// rate_limited, unavailable (too many password checks at once).
func (s *Service) Login(ctx context.Context, username, password, client string) (string, *User, error) {
	username = normalizeUsername(username)
	now := s.clock.Now()
	k := keysFor(username, client)
	if err := s.checkLoginInput(ctx, username, password, client, k, now); err != nil {
		return "", nil, err
	}
	claims, err := s.loginClaims(ctx, k, now)
	if err != nil {
		if errs.Is(err, errs.RateLimited) {
			s.log.WarnContext(ctx, "login throttled", "username", username, "client", client)
		}
		return "", nil, err
	}
	u, err := s.attempt(ctx, k, claims, username, password, client, now)
	if err != nil {
		return "", nil, err
	}
	token, err := s.issue(ctx, u, s.SessionTTL)
	if err != nil {
		return "", nil, err
	}
	return token, u, nil
}

// attempt counts the attempt and checks the password, inside a hashing
// slot: attempts in flight are then at most the slots, however many wait,
// so a crowd of staff logging in at a shift's start from one address does
// not add up to the client's limit while it waits (a client already over
// its limits was refused before, without a slot). Then it settles the
// counters: a success gives its use back, clears the pair's failures and
// makes the client known; a failure counts for the username; an outage
// counts for nobody.
func (s *Service) attempt(ctx context.Context, k loginKeys, claims []quota.Claim, username, password, client string, now time.Time) (*User, error) {
	var u *User
	taken := false
	err := s.hashing.do(ctx, func() error {
		if err := quota.Take(ctx, s.quotas, now, tooMany, claims...); err != nil {
			if errs.Is(err, errs.RateLimited) {
				s.log.WarnContext(ctx, "login throttled", "username", username, "client", client)
			}
			return &throttled{err}
		}
		taken = true
		var err error
		u, err = s.check(ctx, username, password)
		return err
	})
	var refused *throttled
	var waited *noSlot
	switch {
	case errors.As(err, &refused):
		return nil, refused.err
	case errors.As(err, &waited):
		return nil, waited.err // nothing was counted
	case err == nil:
		_, known := s.quotas.Take(ctx, now, quota.Claim{Key: k.known, Rule: quota.Unlimited(s.Limits.KnownFor)})
		return u, errors.Join(s.quotas.Reset(ctx, k.pair), s.quotas.Release(ctx, k.client), known)
	case errs.Is(err, errs.Unauthorized):
		s.log.WarnContext(ctx, "login failed", "username", username, "client", client)
		if _, terr := s.quotas.Take(ctx, now, quota.Claim{Key: k.user, Rule: quota.Unlimited(s.Limits.AttackWindow)}); terr != nil {
			return nil, fmt.Errorf("count the failed login of %s: %w", username, terr)
		}
		return nil, err
	case taken:
		return nil, errors.Join(err, s.quotas.Release(ctx, k.pair, k.client))
	}
	return nil, err
}

// checkLoginInput refuses a username no account can have, and an
// oversized password, before any lookup or hashing; the attempt still
// counts against the client, so a flood of junk is throttled like
// guessing, and it is logged.
func (s *Service) checkLoginInput(ctx context.Context, username, password, client string, k loginKeys, now time.Time) error {
	var bad error
	switch {
	case !usernamePattern.MatchString(username):
		bad = errs.E(errs.Invalid, "username must be 2-64 characters of a-z, 0-9, '.', '_' or '-'")
	case len(password) > maxPasswordBytes:
		bad = errs.E(errs.Invalid, "password is longer than %d bytes", maxPasswordBytes)
	default:
		return nil
	}
	if err := quota.Take(ctx, s.quotas, now, tooMany, quota.Claim{Key: k.client, Rule: s.Limits.PerClient}); err != nil {
		return err
	}
	s.log.WarnContext(ctx, "login refused: malformed input", "client", client,
		"username_bytes", len(username), "password_bytes", len(password))
	return bad
}

// loginClaims are the uses an attempt takes: one of its username and
// client pair (under the rule the username's state calls for) and one of
// its client. It refuses at once, without a hashing slot, a client whose
// counters are already used up, or an unknown client while the username
// is locked down. Errors: rate_limited.
func (s *Service) loginClaims(ctx context.Context, k loginKeys, now time.Time) ([]quota.Claim, error) {
	uses, err := s.quotas.Uses(ctx, now, k.user, k.known, k.pair, k.client)
	if err != nil {
		return nil, fmt.Errorf("read login failures: %w", err)
	}
	l := s.Limits
	pair := l.PerUserClient
	if _, known := uses[k.known]; !known {
		switch attacked := uses[k.user]; {
		case attacked.Count >= l.LockdownAfter:
			return nil, quota.Refusal("too many failed logins for this account from elsewhere; log in from a place you used before", attacked.WindowEnd.Sub(now))
		case attacked.Count >= l.AttackAfter:
			pair = l.UnderAttack
		}
	}
	claims := []quota.Claim{{Key: k.pair, Rule: pair}, {Key: k.client, Rule: l.PerClient}}
	for _, c := range claims {
		if u, ok := uses[c.Key]; ok && u.Count >= c.Rule.Max {
			return nil, quota.Refusal(tooMany, u.WindowEnd.Sub(now))
		}
	}
	return claims, nil
}

// throttled carries a refusal of the limits out of the hashing slot, so
// that it is not taken for a failed check.
type throttled struct{ err error }

func (t *throttled) Error() string { return t.err.Error() }
func (t *throttled) Unwrap() error { return t.err }

// check verifies the credentials; it runs in a hashing slot. An unknown
// user costs the same hash as a known one, so timing does not tell them
// apart.
func (s *Service) check(ctx context.Context, username, password string) (*User, error) {
	denied := errs.E(errs.Unauthorized, "wrong username or password")
	u, err := s.store.UserByUsername(ctx, username)
	if errs.Is(err, errs.NotFound) {
		if _, verr := VerifyPassword(s.dummyHash, password); verr != nil {
			return nil, verr
		}
		return nil, denied
	}
	if err != nil {
		return nil, err
	}
	ok, err := VerifyPassword(u.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("verify password of %s: %w", username, err)
	}
	if !ok || u.Disabled {
		return nil, denied
	}
	return u, nil
}
