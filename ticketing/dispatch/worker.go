package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// Registrar is the node's shared job server as dispatch uses it
// (jobs.Server is one): dispatch adds its queues, handlers and the sweep
// before the server starts.
type Registrar interface {
	// Queues adds queues with their weights.
	Queues(weights map[string]int) error
	// Handle routes tasks whose type starts with pattern to h; retryDelay
	// is the wait before a failed task's next attempt.
	Handle(pattern string, h asynq.Handler, retryDelay asynq.RetryDelayFunc) error
	// Periodic enqueues t on the cron spec.
	Periodic(cronspec string, t *asynq.Task) error
	// Drain lets running tasks finish for up to d at shutdown.
	Drain(d time.Duration) error
}

// Register puts the dispatch queues (QueuePriorities), the task handlers
// with their backoff, and the supervision sweep every SweepEvery on r.
// Finished outbox tasks are marked done in the handlers' store; m counts
// every task's outcome.
func (h *Handlers) Register(r Registrar, m *Metrics) error {
	if err := r.Queues(QueuePriorities); err != nil {
		return fmt.Errorf("register the dispatch queues: %w", err)
	}
	delay := func(n int, _ error, _ *asynq.Task) time.Duration { return h.cfg.retryDelay(n) }
	fin := finishing(h.store, h.clock.Now, m, h.log)
	for typ, handle := range map[string]asynq.HandlerFunc{
		TypeDeliver:       h.HandleDeliverTask,
		TypeNotifyCitizen: h.HandleNotifyCitizenTask,
		TypeNotifyStaff:   h.HandleNotifyStaffTask,
		TypeSweep:         h.HandleSweepTask,
	} {
		if err := r.Handle(typ, fin(handle), delay); err != nil {
			return fmt.Errorf("register the dispatch handlers: %w", err)
		}
	}
	if err := r.Periodic(fmt.Sprintf("@every %s", h.cfg.SweepEvery), NewSweepTask(h.cfg.SweepEvery)); err != nil {
		return fmt.Errorf("schedule the supervision sweep: %w", err)
	}
	// A running delivery may wait for its webhook up to the timeout.
	if err := r.Drain(h.cfg.WebhookTimeout + 2*time.Second); err != nil {
		return fmt.Errorf("register the dispatch drain: %w", err)
	}
	return nil
}

// finishing is the middleware that counts outcomes and marks an outbox
// message done when its task failed for good (last attempt, or an error
// that skips retries). On success the handler marks it done itself, in the
// same statement that records its outcome.
func finishing(store Store, now func() time.Time, m *Metrics, log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			err := next.ProcessTask(ctx, t)
			final := err == nil || errors.Is(err, asynq.SkipRetry) || finalAttempt(ctx)
			outcome := "ok"
			switch {
			case err != nil && final:
				outcome = "failed"
			case err != nil:
				outcome = "retry"
			}
			m.processed(t.Type(), outcome, time.Since(start))
			taskID, _ := asynq.GetTaskID(ctx)
			if id, ok := outboxID(taskID); ok && final && err != nil {
				if ferr := store.FinishOutbox(ctx, id, now()); ferr != nil {
					log.WarnContext(ctx, "mark outbox message done", "id", id, "err", ferr)
				}
			}
			return err
		})
	}
}
