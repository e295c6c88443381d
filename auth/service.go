package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
)

// Store persists users, tokens and login failures.
type Store interface {
	// CreateUser inserts u and sets its ID; conflict if the username is taken,
	// invalid if the department does not exist.
	CreateUser(ctx context.Context, u *User) error
	// SetPassword replaces a user's password hash; not_found if no such user.
	SetPassword(ctx context.Context, username, hash string) error
	// UserByUsername returns the user; not_found if none.
	UserByUsername(ctx context.Context, username string) (*User, error)
	// Users lists all users ordered by username.
	Users(ctx context.Context) ([]*User, error)
	// CreateToken stores a token.
	CreateToken(ctx context.Context, t Token) error
	// TokenUser returns the enabled user owning an unexpired token; unauthorized otherwise.
	TokenUser(ctx context.Context, hash []byte, now time.Time) (*User, error)
	// DeleteToken removes a token; deleting an unknown token is not an error.
	DeleteToken(ctx context.Context, hash []byte) error
	// LoginFailures returns the failures recorded for key (zero if none).
	LoginFailures(ctx context.Context, key string) (Failures, error)
	// AddLoginFailure atomically counts one failure for key, starting a new
	// window at now if the old one is older than window.
	AddLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration) error
	// ClearLoginFailures forgets the failures of key.
	ClearLoginFailures(ctx context.Context, key string) error
}

// Service logs staff in and out and authenticates their requests.
type Service struct {
	store      Store
	clock      clock.Clock
	hasher     Hasher
	log        *slog.Logger
	SessionTTL time.Duration // lifetime of a login session
	PerUser    Throttle      // failed logins per username
	PerClient  Throttle      // failed logins per client address
	dummyHash  string        // verified against when the user is unknown, so timing does not reveal it
	sessions   *sessionCache
}

// NewService returns a Service with the default limits: sessions of 12 hours
// (a shift), 5 failures per username and 50 per client address in 15
// minutes. Authenticated tokens are remembered for 10 seconds.
func NewService(store Store, clk clock.Clock, hasher Hasher, log *slog.Logger) (*Service, error) {
	dummy, err := hasher.Hash("not a password")
	if err != nil {
		return nil, err
	}
	return &Service{
		store: store, clock: clk, hasher: hasher, log: log,
		SessionTTL: 12 * time.Hour,
		PerUser:    Throttle{Max: 5, Window: 15 * time.Minute},
		PerClient:  Throttle{Max: 50, Window: 15 * time.Minute},
		dummyHash:  dummy,
		sessions:   newSessionCache(10*time.Second, 100_000),
	}, nil
}

// AddUser validates and creates a user with a hashed password.
// Errors: invalid, conflict (username taken).
func (s *Service) AddUser(ctx context.Context, n NewUser) (*User, error) {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	if err := n.Validate(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(n.Password)
	if err != nil {
		return nil, err
	}
	u := &User{Username: n.Username, DisplayName: n.DisplayName, Role: n.Role,
		Department: n.Department, PasswordHash: hash, CreatedAt: s.clock.Now()}
	if u.DisplayName == "" {
		u.DisplayName = u.Username
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// SetPassword changes a user's password. Errors: invalid, not_found.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	if len(password) < 8 || len(password) > 256 {
		return errs.E(errs.Invalid, "password must be 8-256 characters")
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, strings.ToLower(username), hash); err != nil {
		return err
	}
	s.sessions.evictAll() // the store ended the user's sessions
	return nil
}

// Users lists all users.
func (s *Service) Users(ctx context.Context) ([]*User, error) { return s.store.Users(ctx) }

// Login checks a username and password and opens a session.
// Errors: unauthorized (wrong credentials, disabled user), rate_limited.
func (s *Service) Login(ctx context.Context, username, password, client string) (string, *User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	now := s.clock.Now()
	keys := []struct {
		key string
		t   Throttle
	}{{"user:" + username, s.PerUser}, {"client:" + client, s.PerClient}}
	for _, k := range keys {
		f, err := s.store.LoginFailures(ctx, k.key)
		if err != nil {
			return "", nil, err
		}
		if wait := k.t.RetryAfter(f, now); wait > 0 {
			return "", nil, &errs.Error{Code: errs.RateLimited, RetryAfter: wait,
				Message: fmt.Sprintf("too many failed logins; try again in %d seconds", int(wait.Seconds())+1)}
		}
	}
	u, err := s.check(ctx, username, password)
	if err != nil {
		if errs.Is(err, errs.Unauthorized) {
			for _, k := range keys {
				if ferr := s.store.AddLoginFailure(ctx, k.key, now, k.t.Window); ferr != nil {
					return "", nil, errors.Join(err, ferr)
				}
			}
			s.log.WarnContext(ctx, "login failed", "username", username, "client", client)
		}
		return "", nil, err
	}
	if err := s.store.ClearLoginFailures(ctx, keys[0].key); err != nil {
		return "", nil, err
	}
	token, err := s.issue(ctx, u, s.SessionTTL)
	if err != nil {
		return "", nil, err
	}
	return token, u, nil
}

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

// IssueToken opens a session for a user without a password, for scripts
// run by an operator (`hotline token`). Errors: not_found.
func (s *Service) IssueToken(ctx context.Context, username string, ttl time.Duration) (string, error) {
	u, err := s.store.UserByUsername(ctx, strings.ToLower(username))
	if err != nil {
		return "", err
	}
	return s.issue(ctx, u, ttl)
}

func (s *Service) issue(ctx context.Context, u *User, ttl time.Duration) (string, error) {
	plain, hash, err := NewToken()
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	if err := s.store.CreateToken(ctx, Token{Hash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		return "", err
	}
	return plain, nil
}

// Authenticate returns the actor owning a bearer token.
// Errors: unauthorized.
func (s *Service) Authenticate(ctx context.Context, token string) (Actor, *User, error) {
	if token == "" || len(token) > 200 {
		return Actor{}, nil, errs.E(errs.Unauthorized, "login required")
	}
	hash, now := HashToken(token), s.clock.Now()
	if u, ok := s.sessions.get(hash, now); ok {
		return u.Actor(), u, nil
	}
	u, err := s.store.TokenUser(ctx, hash, now)
	if err != nil {
		return Actor{}, nil, err
	}
	s.sessions.put(hash, u, now)
	return u.Actor(), u, nil
}

// Logout ends the session of a token.
func (s *Service) Logout(ctx context.Context, token string) error {
	hash := HashToken(token)
	s.sessions.evict(hash)
	return s.store.DeleteToken(ctx, hash)
}
