package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/internal/jobs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// queueRedis returns a client of a Redis database of its own for the
// queue benchmark, emptied first.
func (b *bench) queueRedis(ctx context.Context) (*redis.Client, error) {
	url, err := emptyRedisDB(ctx, b.o.redisURL, 14)
	if err != nil {
		return nil, err
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opt), nil
}

// noopThroughput is the baseline: Asynq alone, tasks that do nothing, with
// the dispatch workers' concurrency and queues.
func (b *bench) noopThroughput(ctx context.Context, rc *redis.Client, n int) (row, error) {
	client := asynq.NewClientFromRedisClient(rc)
	for i := range n {
		if _, err := client.EnqueueContext(ctx, asynq.NewTask("bench:noop", []byte(fmt.Sprint(i)))); err != nil {
			return row{}, err
		}
	}
	var done atomic.Int64
	cfg := dispatch.DefaultConfig()
	srv := asynq.NewServerFromRedisClient(rc, asynq.Config{Concurrency: cfg.Concurrency, Queues: dispatch.QueuePriorities,
		TaskCheckInterval: cfg.PollInterval, LogLevel: asynq.ErrorLevel})
	start := time.Now()
	if err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		done.Add(1)
		return nil
	})); err != nil {
		return row{}, err
	}
	defer srv.Shutdown()
	if err := waitCount(ctx, &done, int64(n)); err != nil {
		return row{}, err
	}
	elapsed := time.Since(start)
	return row{name: fmt.Sprintf("Asynq no-op tasks (%d workers)", cfg.Concurrency), count: n,
		rate: float64(n) / elapsed.Seconds(), note: "baseline"}, nil
}

// deliverThroughput queues n department deliveries (tickets dispatched
// in the database, the outbox relayed into Redis while no worker runs),
// then starts the job server with the dispatch handlers registered as
// the hotline registers them, and times it to the last webhook.
func (b *bench) deliverThroughput(ctx context.Context, rc *redis.Client, n int) (row, error) {
	recv, err := newReceiver()
	if err != nil {
		return row{}, err
	}
	defer recv.close(ctx)
	if err := b.hookDepartments(ctx, recv.url); err != nil {
		return row{}, err
	}
	// Earlier benchmarks left messages (their tickets' SMS): not part of this one.
	if _, err := b.db.Pool.Exec(ctx, `UPDATE outbox SET enqueued_at = now(), done_at = now() WHERE done_at IS NULL`); err != nil {
		return row{}, err
	}
	svc, err := b.ticketService()
	if err != nil {
		return row{}, err
	}
	ids, err := b.newTickets(ctx, svc, n)
	if err != nil {
		return row{}, err
	}
	agent := auth.Actor{Username: "agent1", Role: auth.RoleAgent}
	depts := benchDepartments()
	for i, id := range ids {
		if _, err := svc.Act(ctx, agent, id, ticketing.ActionDispatch, ticketing.Request{Department: depts[i%len(depts)]}); err != nil {
			return row{}, err
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := postgres.NewDispatchStore(b.db)
	cfg := dispatch.DefaultConfig()
	inspector := asynq.NewInspectorFromRedisClient(rc)
	metrics, err := dispatch.NewMetrics(prometheus.NewRegistry(), inspector, store)
	if err != nil {
		return row{}, err
	}
	relay := dispatch.NewRelay(store, asynq.NewClientFromRedisClient(rc), inspector, clock.System{}, cfg, metrics, quiet)
	for {
		moved, err := relay.RelayOnce(ctx)
		if err != nil {
			return row{}, err
		}
		if moved == 0 {
			break
		}
	}
	handlers := dispatch.NewHandlers(dispatch.Deps{Store: store, Tickets: b.store, Sweeper: svc, Bus: eventbus.NewLocal(),
		SMS: &dispatch.LogSMS{Log: quiet}, Clock: clock.System{}, Loc: time.Local, Log: quiet}, cfg)
	server := jobs.New(rc, jobs.Config{Concurrency: cfg.Concurrency, PollInterval: cfg.PollInterval, RetryPoll: cfg.RetryPoll}, quiet)
	if err := handlers.Register(server, metrics); err != nil {
		return row{}, err
	}
	start := time.Now()
	if err := server.Start(); err != nil {
		return row{}, err
	}
	defer server.Shutdown()
	if err := waitCount(ctx, &recv.received, int64(n)); err != nil {
		return row{}, err
	}
	elapsed := time.Since(start)
	return row{name: fmt.Sprintf("Asynq delivery tasks (%d workers)", cfg.Concurrency), count: n,
		rate: float64(n) / elapsed.Seconds(),
		note: fmt.Sprintf("read ticket, sign, POST webhook, record; %d duplicate", recv.duplicates())}, nil
}

// waitCount waits until c reaches n, for at most ten minutes.
func waitCount(ctx context.Context, c *atomic.Int64, n int64) error {
	deadline := time.Now().Add(10 * time.Minute)
	for c.Load() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d tasks done after 10 minutes", c.Load(), n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
