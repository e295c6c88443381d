package auth

import (
	"context"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
)

func TestHashSlots_RefuseWhenFullOrTooManyWait(t *testing.T) {
	h := newHashSlots(1, 200*time.Millisecond)
	h.maxWaiting = 1
	hold, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = h.do(context.Background(), func() error { close(held); <-hold; return nil })
	}()
	<-held
	// The slot is taken: a second request waits its time and is refused.
	if err := h.do(context.Background(), func() error { return nil }); !errs.Is(err, errs.Unavailable) || errs.RetryAfterOf(err) <= 0 {
		t.Fatalf("while the slot is taken: %v, want unavailable with Retry-After", err)
	}
	// With the waiting room full, a request is refused at once.
	h.waiting.Store(1)
	start := time.Now()
	if err := h.do(context.Background(), func() error { return nil }); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("with too many waiting: %v", err)
	}
	if time.Since(start) >= 200*time.Millisecond {
		t.Fatal("a request beyond the waiting room waited")
	}
	h.waiting.Store(0)
	close(hold)
	ran := false
	if err := h.do(context.Background(), func() error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("after the slot is free: %v", err)
	}
}
