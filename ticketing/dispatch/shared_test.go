package dispatch_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/open12345/hotline/internal/jobs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/ticketing"
)

// A second domain registered on the shared job server (here a voice
// channel's recording and missed-call jobs on a queue of its own) has its
// handler, its backoff and its periodic task run beside dispatch's.
func TestRegister_SecondDomainSharesTheServer(t *testing.T) {
	var attempts, delays, upkeeps atomic.Int64
	voice := func(s *jobs.Server) error {
		finalise := func(context.Context, *asynq.Task) error {
			if attempts.Add(1) == 1 {
				return errors.New("recording still open")
			}
			return nil
		}
		upkeep := func(context.Context, *asynq.Task) error {
			upkeeps.Add(1)
			return nil
		}
		delay := func(int, error, *asynq.Task) time.Duration {
			delays.Add(1)
			return 10 * time.Millisecond
		}
		return errors.Join(
			s.Queues(map[string]int{"voice": 2}),
			s.Handle("voice:finalise_recording", asynq.HandlerFunc(finalise), delay),
			s.Handle("voice:missed_calls", asynq.HandlerFunc(upkeep), delay),
			s.Periodic("@every 1s", asynq.NewTask("voice:missed_calls", nil, asynq.Queue("voice"), asynq.MaxRetry(0))),
		)
	}
	h := newHarness(t, fastConfig(), voice)
	rc := newReceiver(t, nil)
	h.department("cgj", "市城市管理局", rc.srv.URL)

	if _, err := h.client.Enqueue(asynq.NewTask("voice:finalise_recording", []byte(`{"call":1}`),
		asynq.Queue("voice"), asynq.MaxRetry(3))); err != nil {
		t.Fatal(err)
	}
	tk := h.newTicket("13800001234")
	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "cgj"})

	testenv.Eventually(t, "the recording finalised on its second attempt", func() bool { return attempts.Load() == 2 })
	testenv.Eventually(t, "the periodic missed-call upkeep", func() bool { return upkeeps.Load() >= 1 })
	testenv.Eventually(t, "the department's webhook", func() bool { return len(rc.requests()) == 1 })
	if n := delays.Load(); n != 1 {
		t.Fatalf("the voice backoff was asked %d times, want 1 (for the failed finalisation only)", n)
	}
}
