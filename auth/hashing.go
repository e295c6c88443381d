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
	// A slot serves about 30 hashes a second: more waiting than can be
	// served within the wait is refused at once rather than at its end.
	return &hashSlots{slots: make(chan struct{}, n), wait: wait, maxWaiting: int64(128 * n)}
}

// noSlot is the error of a request that found no slot: f did not run.
type noSlot struct{ err error }

func (n *noSlot) Error() string { return n.err.Error() }
func (n *noSlot) Unwrap() error { return n.err }

func busy() error {
	return &noSlot{&errs.Error{Code: errs.Unavailable, RetryAfter: time.Second,
		Message: "the server is busy checking passwords; try again in a moment"}}
}

// do runs f in a slot. Errors: unavailable as *noSlot (no slot in time:
// f did not run), or f's.
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
			return &noSlot{errs.Wrap(errs.Unavailable, ctx.Err(), "request ended while waiting to check the password")}
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
