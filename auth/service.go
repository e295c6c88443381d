package auth

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/quota"
)

// Store persists users and tokens.
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
	// TokenUser returns the enabled user owning an unexpired token and the
	// token's expiry; unauthorized otherwise.
	TokenUser(ctx context.Context, hash []byte, now time.Time) (*User, time.Time, error)
	// DeleteToken removes a token; deleting an unknown token is not an error.
	DeleteToken(ctx context.Context, hash []byte) error
}

// Service logs staff in and out and authenticates their requests.
type Service struct {
	store      Store
	quotas     quota.Store
	clock      clock.Clock
	hasher     Hasher
	hashing    *hashSlots // bounds the memory Argon2id takes
	log        *slog.Logger
	SessionTTL time.Duration // lifetime of a login session
	Limits     LoginLimits
	dummyHash  string // verified against when the user is unknown, so timing does not reveal it
	sessions   *sessionCache
}

// Option changes a Service's defaults.
type Option func(*Service)

// WithHashing bounds the password hashes computed at once to slots (each
// Argon2id hash holds its memory, 19 MiB by default, while it runs); a
// request waits at most wait for a slot and is then refused as unavailable.
func WithHashing(slots int, wait time.Duration) Option {
	return func(s *Service) { s.hashing = newHashSlots(slots, wait) }
}

// NewService returns a Service with the default limits: sessions of 12
// hours (a shift), DefaultLoginLimits, and as many password hashes at once
// as the machine has cores (at least 2), each waiting up to 5 seconds.
// Authenticated tokens are remembered for 10 seconds, never beyond their
// expiry.
func NewService(store Store, quotas quota.Store, clk clock.Clock, hasher Hasher, log *slog.Logger, opts ...Option) (*Service, error) {
	s := &Service{
		store: store, quotas: quotas, clock: clk, hasher: hasher, log: log,
		hashing:    newHashSlots(max(2, runtime.NumCPU()), 5*time.Second),
		SessionTTL: 12 * time.Hour,
		Limits:     DefaultLoginLimits,
		sessions:   newSessionCache(10*time.Second, 100_000),
	}
	for _, o := range opts {
		o(s)
	}
	dummy, err := hasher.Hash("not a password")
	if err != nil {
		return nil, err
	}
	s.dummyHash = dummy
	return s, nil
}

// AddUser validates and creates a user with a hashed password.
// Errors: invalid, conflict (username taken).
func (s *Service) AddUser(ctx context.Context, n NewUser) (*User, error) {
	n.Username = normalizeUsername(n.Username)
	if err := n.Validate(); err != nil {
		return nil, err
	}
	hash, err := s.hash(ctx, n.Password)
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
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, normalizeUsername(username), hash); err != nil {
		return err
	}
	s.sessions.evictAll() // the store ended the user's sessions
	return nil
}

// Users lists all users.
func (s *Service) Users(ctx context.Context) ([]*User, error) { return s.store.Users(ctx) }

// IssueToken opens a session for a user without a password, for scripts
// run by an operator (`hotline token`). Errors: not_found.
func (s *Service) IssueToken(ctx context.Context, username string, ttl time.Duration) (string, error) {
	u, err := s.store.UserByUsername(ctx, normalizeUsername(username))
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
	u, expires, err := s.store.TokenUser(ctx, hash, now)
	if err != nil {
		return Actor{}, nil, err
	}
	s.sessions.put(hash, u, now, expires)
	return u.Actor(), u, nil
}

// Logout ends the session of a token.
func (s *Service) Logout(ctx context.Context, token string) error {
	hash := HashToken(token)
	s.sessions.evict(hash)
	return s.store.DeleteToken(ctx, hash)
}
