// Package jobs runs the node's one Asynq server and scheduler, shared by
// every domain with background work (ticket dispatch, later the voice
// channel). Each domain registers its queues, handlers and periodic tasks
// before Start, through a small interface of its own that Server
// satisfies; the server listens on the queues of all of them.
package jobs

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Config tunes the server; zero fields take the defaults of DefaultConfig.
type Config struct {
	Concurrency  int           // tasks processed at once by this node, of all domains
	PollInterval time.Duration // how often idle workers look for new tasks
	RetryPoll    time.Duration // how often due retries are moved back to their queue
}

// DefaultConfig returns the settings for production.
func DefaultConfig() Config {
	return Config{Concurrency: 50, PollInterval: 20 * time.Millisecond, RetryPoll: time.Second}
}

// Server is the shared Asynq server, its mux and its scheduler.
type Server struct {
	rc        redis.UniversalClient
	cfg       Config
	log       *slog.Logger
	alog      asynqLogger
	mux       *asynq.ServeMux
	scheduler *asynq.Scheduler

	mu       sync.Mutex
	queues   map[string]int
	delays   map[string]asynq.RetryDelayFunc // by handler pattern
	drain    time.Duration
	server   *asynq.Server // set by Start
	finished bool          // Start failed or Shutdown ran
}

// New returns a server on the Redis client rc; it needs Redis only once
// started, and never requires it to be up.
func New(rc redis.UniversalClient, cfg Config, log *slog.Logger) *Server {
	d := DefaultConfig()
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = d.Concurrency
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = d.PollInterval
	}
	if cfg.RetryPoll <= 0 {
		cfg.RetryPoll = d.RetryPoll
	}
	alog := asynqLogger{log.With("component", "asynq")}
	scheduler := asynq.NewSchedulerFromRedisClient(rc, &asynq.SchedulerOpts{
		Logger: alog, LogLevel: asynq.WarnLevel,
		PostEnqueueFunc: func(_ *asynq.TaskInfo, err error) {
			// Periodic tasks are Unique: another node queued this period's.
			if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
				log.Warn("schedule a periodic task", "err", err)
			}
		},
	})
	return &Server{rc: rc, cfg: cfg, log: log, alog: alog, mux: asynq.NewServeMux(), scheduler: scheduler,
		queues: map[string]int{}, delays: map[string]asynq.RetryDelayFunc{}}
}

// Queues adds queues with their weights (workers take a queue's tasks in
// proportion to its weight among all domains' queues). A queue several
// domains name must have one weight. Errors: a weight below 1, a queue
// already registered with another weight, a call after Start.
func (s *Server) Queues(weights map[string]int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(); err != nil {
		return err
	}
	for q, w := range weights {
		if w < 1 {
			return fmt.Errorf("queue %q: weight %d is below 1", q, w)
		}
		if have, ok := s.queues[q]; ok && have != w {
			return fmt.Errorf("queue %q: weight %d, but already registered with %d", q, w, have)
		}
	}
	maps.Copy(s.queues, weights)
	return nil
}

// Handle routes tasks whose type starts with pattern to h (the longest
// matching pattern wins); a failed task waits retryDelay(n, err, task)
// before its next attempt. Errors: an empty pattern, a nil handler or
// delay, a pattern already taken, a call after Start.
func (s *Server) Handle(pattern string, h asynq.Handler, retryDelay asynq.RetryDelayFunc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(); err != nil {
		return err
	}
	if strings.TrimSpace(pattern) == "" || h == nil || retryDelay == nil {
		return fmt.Errorf("handler for %q: pattern, handler and retry delay are required", pattern)
	}
	if _, ok := s.delays[pattern]; ok {
		return fmt.Errorf("tasks %q already have a handler", pattern)
	}
	s.delays[pattern] = retryDelay
	s.mux.Handle(pattern, h)
	return nil
}

// Periodic enqueues t on the cron spec (such as "@every 1m") while the
// server runs. Errors: a spec the scheduler refuses, a call after Start.
func (s *Server) Periodic(cronspec string, t *asynq.Task) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(); err != nil {
		return err
	}
	if _, err := s.scheduler.Register(cronspec, t); err != nil {
		return fmt.Errorf("schedule %s %q: %w", t.Type(), cronspec, err)
	}
	return nil
}

// Drain asks Shutdown to let running tasks finish for up to d; the server
// waits for the longest any domain asked for. Errors: a call after Start.
func (s *Server) Drain(d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(); err != nil {
		return err
	}
	s.drain = max(s.drain, d)
	return nil
}

// open refuses registrations once the server started.
func (s *Server) open() error {
	if s.server != nil || s.finished {
		return errors.New("the job server has started: register before Start")
	}
	return nil
}

// Start starts processing the registered queues and the schedule; neither
// needs Redis to be up yet.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(); err != nil {
		return err
	}
	server := asynq.NewServerFromRedisClient(s.rc, asynq.Config{
		Concurrency:              s.cfg.Concurrency,
		Queues:                   maps.Clone(s.queues),
		TaskCheckInterval:        s.cfg.PollInterval,
		DelayedTaskCheckInterval: s.cfg.RetryPoll,
		RetryDelayFunc:           s.retryDelay,
		ShutdownTimeout:          s.drain,
		Logger:                   s.alog,
		LogLevel:                 asynq.WarnLevel,
	})
	if err := server.Start(s.mux); err != nil {
		s.finished = true
		return fmt.Errorf("start the job server: %w", err)
	}
	if err := s.scheduler.Start(); err != nil {
		server.Shutdown()
		s.finished = true
		return fmt.Errorf("start the job scheduler: %w", err)
	}
	s.server = server
	return nil
}

// Shutdown stops the schedule, lets running tasks finish (up to the
// longest Drain) and returns the rest to their queues. It does nothing
// unless the server started, and may be called twice.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.server == nil {
		s.finished = true
		return
	}
	s.scheduler.Shutdown()
	s.server.Shutdown()
	s.server, s.finished = nil, true
}

// retryDelay is the delay of the handler that takes t, as the mux matches
// it; a task no handler takes waits as long as Asynq's default.
func (s *Server) retryDelay(n int, err error, t *asynq.Task) time.Duration {
	best := ""
	for p := range s.delays {
		if strings.HasPrefix(t.Type(), p) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return asynq.DefaultRetryDelayFunc(n, err, t)
	}
	return s.delays[best](n, err, t)
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
