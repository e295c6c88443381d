package auth

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/open12345/hotline/errs"
)

// hashSlots bounds the Argon2id hashes that run at once. Each one holds
// its memory (19 MiB by default) while it runs, so without a bound a burst
// of logins, which anyone can send, takes the process's memory with it.
// A request waits a little for a slot; one that would wait long, or that
// finds too many others already waiting, is refused at once.
type hashSlots struct {
	slots      chan struct{}
	wait       time.Duration
	waiting    atomic.Int64
	maxWaiting int64
}

func newHashSlots(n int, wait time.Duration) *hashSlots {
	n = max(n, 1)
	return &hashSlots{slots: make(chan struct{}, n), wait: wait, maxWaiting: int64(32 * n)}
}

// busy is the error of a request that found no slot.
func busy() error {
	return &errs.Error{Code: errs.Unavailable, RetryAfter: time.Second,
		Message: "the server is busy checking passwords; try again in a moment"}
}

// do runs f in a slot. Errors: unavailable (no slot in time), or f's.
func (h *hashSlots) do(ctx context.Context, f func() error) error {
	select {
	case h.slots <- struct{}{}:
	default:
		if h.waiting.Add(1) > h.maxWaiting {
			h.waiting.Add(-1)
			return busy()
		}
		t := time.NewTimer(h.wait)
		select {
		case h.slots <- struct{}{}:
			t.Stop()
			h.waiting.Add(-1)
		case <-t.C:
			h.waiting.Add(-1)
			return busy()
		case <-ctx.Done():
			t.Stop()
			h.waiting.Add(-1)
			return errs.Wrap(errs.Unavailable, ctx.Err(), "request ended while waiting to check the password")
		}
	}
	defer func() { <-h.slots }()
	return f()
}

// hash hashes a new password in a slot.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	var hash string
	err := s.hashing.do(ctx, func() (err error) {
		hash, err = s.hasher.Hash(password)
		return err
	})
	return hash, err
}

// verify checks a password against a hash in a slot.
func (s *Service) verify(ctx context.Context, encoded, password string) (bool, error) {
	var ok bool
	err := s.hashing.do(ctx, func() (err error) {
		ok, err = VerifyPassword(encoded, password)
		return err
	})
	return ok, err
}
