package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Worker processes dispatch tasks and schedules the supervision sweep.
type Worker struct {
	server    *asynq.Server
	scheduler *asynq.Scheduler
	mux       *asynq.ServeMux
	sweepTask *asynq.Task
	cfg       Config
}

// NewWorker returns a worker on the Redis client rc running h's handlers.
// Finished outbox tasks are marked done in store.
func NewWorker(rc redis.UniversalClient, h *Handlers, store Store, cfg Config, m *Metrics, log *slog.Logger) *Worker {
	cfg = cfg.withDefaults()
	alog := asynqLogger{log.With("component", "asynq")}
	server := asynq.NewServerFromRedisClient(rc, asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   QueuePriorities,
		TaskCheckInterval:        cfg.PollInterval,
		DelayedTaskCheckInterval: cfg.RetryPoll,
		RetryDelayFunc:           func(n int, _ error, _ *asynq.Task) time.Duration { return cfg.retryDelay(n) },
		ShutdownTimeout:          cfg.WebhookTimeout + 2*time.Second,
		Logger:                   alog,
		LogLevel:                 asynq.WarnLevel,
	})
	scheduler := asynq.NewSchedulerFromRedisClient(rc, &asynq.SchedulerOpts{
		Logger: alog, LogLevel: asynq.WarnLevel,
		PostEnqueueFunc: func(_ *asynq.TaskInfo, err error) {
			if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
				log.Warn("schedule the sweep", "err", err)
			}
		},
	})
	mux := asynq.NewServeMux()
	mux.Use(finishing(store, h.clock.Now, m, log))
	mux.HandleFunc(TypeDeliver, h.HandleDeliverTask)
	mux.HandleFunc(TypeNotifyCitizen, h.HandleNotifyCitizenTask)
	mux.HandleFunc(TypeNotifyStaff, h.HandleNotifyStaffTask)
	mux.HandleFunc(TypeSweep, h.HandleSweepTask)
	return &Worker{server: server, scheduler: scheduler, mux: mux, sweepTask: NewSweepTask(cfg.SweepEvery), cfg: cfg}
}

// Start starts processing and the sweep schedule; neither needs Redis to
// be up yet.
func (w *Worker) Start() error {
	if _, err := w.scheduler.Register(fmt.Sprintf("@every %s", w.cfg.SweepEvery), w.sweepTask); err != nil {
		return fmt.Errorf("schedule the supervision sweep: %w", err)
	}
	if err := w.server.Start(w.mux); err != nil {
		return fmt.Errorf("start dispatch worker: %w", err)
	}
	if err := w.scheduler.Start(); err != nil {
		w.server.Shutdown()
		return fmt.Errorf("start dispatch scheduler: %w", err)
	}
	return nil
}

// Shutdown stops the schedule, lets running tasks finish (up to the
// webhook timeout) and returns the rest to their queues.
func (w *Worker) Shutdown() {
	w.scheduler.Shutdown()
	w.server.Shutdown()
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

// asynqLogger sends Asynq's log to slog; Fatal is logged, never exits.
type asynqLogger struct{ log *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...)) }
func (l asynqLogger) Fatal(args ...any) { l.log.Error(fmt.Sprint(args...)) }

// Error logs an error, except the one Asynq logs at every shutdown when it
// is given a shared Redis client (which it rightly does not close).
func (l asynqLogger) Error(args ...any) {
	msg := fmt.Sprint(args...)
	if strings.Contains(msg, "connection is shared") {
		l.log.Debug(msg)
		return
	}
	l.log.Error(msg)
}
