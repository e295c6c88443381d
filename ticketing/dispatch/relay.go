package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"github.com/open12345/hotline/clock"
)

// relayBatch is how many outbox rows one relay transaction moves.
const relayBatch = 200

// Enqueuer puts tasks into Asynq (asynq.Client does).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// TaskFinder looks a task up in Asynq (asynq.Inspector does).
type TaskFinder interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
}

// Relay moves outbox messages into Asynq. Several relays (one per node)
// may run: each locks the rows it moves and skips rows others hold. While
// Redis is down the messages wait in the outbox and the relay retries with
// backoff; tickets are still accepted and dispatched in the database.
type Relay struct {
	store   Store
	queue   Enqueuer
	finder  TaskFinder
	clock   clock.Clock
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	// passes counts the starts and the ends of Run's passes, so it is
	// odd while a pass runs.
	passes atomic.Uint64
}

// NewRelay returns a relay from store into queue; finder is used to check
// messages that were enqueued long ago and are still not done.
func NewRelay(store Store, queue Enqueuer, finder TaskFinder, clk clock.Clock, cfg Config, m *Metrics, log *slog.Logger) *Relay {
	return &Relay{store: store, queue: queue, finder: finder, clock: clk, cfg: cfg.withDefaults(), log: log, metrics: m}
}

// RelayOnce moves up to one batch of messages and returns how many it moved.
// Errors: the first enqueue error (the rows before it stay moved).
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	n, err := r.store.RelayOutbox(ctx, r.clock.Now(), relayBatch, func(m OutboxMessage) error {
		task, err := NewOutboxTask(m, r.cfg.MaxRetry)
		if err != nil {
			return err
		}
		ectx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		_, err = r.queue.EnqueueContext(ectx, task)
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return nil // enqueued before a crash: Redis already has it
		}
		return err
	})
	r.metrics.relayed(n, err)
	return n, err
}

// Idle reports whether Run is between passes (waiting for a message or
// its next poll, or not running), and how many passes it has finished.
// The same count, idle, before and after looking at the outbox and the
// queues tells that the relay moved nothing meanwhile.
func (r *Relay) Idle() (passes uint64, idle bool) {
	n := r.passes.Load()
	return n / 2, n%2 == 0
}

// Reconcile finds messages enqueued more than StaleAfter ago and still not
// done whose task Redis no longer has (Redis lost its data, or a task was
// deleted by hand), and hands them to the relay again.
func (r *Relay) Reconcile(ctx context.Context) (int, error) {
	stale, err := r.store.StaleOutbox(ctx, r.clock.Now().Add(-r.cfg.StaleAfter), relayBatch)
	if err != nil {
		return 0, err
	}
	requeued := 0
	for _, m := range stale {
		info, err := r.finder.GetTaskInfo(queueOf(m), OutboxTaskID(m.ID))
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
			if err := r.store.RequeueOutbox(ctx, m.ID); err != nil {
				return requeued, err
			}
			requeued++
		case err != nil:
			return requeued, fmt.Errorf("look up task of outbox message %d: %w", m.ID, err)
		case info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived:
			// Finished, but the handler could not record it.
			if err := r.store.FinishOutbox(ctx, m.ID, r.clock.Now()); err != nil {
				return requeued, err
			}
		}
	}
	return requeued, nil
}

// Run relays until ctx ends: at once when a message is written (the outbox
// notifies), else every RelayWait; with growing pauses while Redis or
// PostgreSQL is down; and a reconciliation every StaleAfter/2.
func (r *Relay) Run(ctx context.Context) {
	backoff := time.Duration(0)
	nextReconcile := time.Now().Add(r.cfg.StaleAfter / 2)
	var listener OutboxListener
	defer func() {
		if listener != nil {
			if err := listener.Close(); err != nil {
				r.log.Warn("outbox relay: close listener", "err", err)
			}
		}
	}()
	// pass relays what waits and returns how to wait for the next pass.
	pass := func() (wait func()) {
		n, err := r.RelayOnce(ctx)
		if err != nil && ctx.Err() == nil {
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			r.log.WarnContext(ctx, "outbox relay: will retry", "moved", n, "retry_in", backoff, "err", err)
			return func() { sleep(ctx, backoff) }
		}
		backoff = 0
		if n == relayBatch {
			return func() {} // more waits: no pause
		}
		if time.Now().After(nextReconcile) {
			if k, err := r.Reconcile(ctx); err != nil {
				r.log.WarnContext(ctx, "outbox reconcile", "err", err)
			} else if k > 0 {
				r.log.WarnContext(ctx, "outbox reconcile: messages lost by Redis sent again", "count", k)
			}
			nextReconcile = time.Now().Add(r.cfg.StaleAfter / 2)
		}
		if listener == nil {
			if listener, err = r.store.ListenOutbox(ctx); err != nil {
				listener = nil
				r.log.WarnContext(ctx, "outbox relay: listen", "err", err)
				return func() { sleep(ctx, r.cfg.RelayWait) }
			}
		}
		return func() {
			if err := listener.Wait(ctx, r.cfg.RelayWait); err != nil {
				listener = nil // closed by the error
				if ctx.Err() == nil {
					r.log.WarnContext(ctx, "outbox relay: wait", "err", err)
				}
			}
		}
	}
	for ctx.Err() == nil {
		r.passes.Add(1) // odd while the pass runs
		wait := pass()
		r.passes.Add(1)
		wait()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
