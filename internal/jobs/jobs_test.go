package jobs_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/open12345/hotline/internal/jobs"
	"github.com/open12345/hotline/internal/testenv"
)

func nop(context.Context, *asynq.Task) error { return nil }

// Registrations that would change another domain's jobs, or come after
// the server started, are refused.
func TestServer_RefusesConflictingRegistrations(t *testing.T) {
	s := jobs.New(testenv.StartRedis(t).Client(), jobs.Config{}, slog.New(slog.DiscardHandler))
	t.Cleanup(s.Shutdown)
	if err := s.Queues(map[string]int{"default": 3, "voice": 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.Queues(map[string]int{"default": 3}); err != nil {
		t.Fatalf("the same weight again: %v", err)
	}
	if err := s.Handle("voice:", asynq.HandlerFunc(nop), asynq.DefaultRetryDelayFunc); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"another weight":   s.Queues(map[string]int{"default": 1}),
		"a zero weight":    s.Queues(map[string]int{"low": 0}),
		"a taken pattern":  s.Handle("voice:", asynq.HandlerFunc(nop), asynq.DefaultRetryDelayFunc),
		"an empty pattern": s.Handle(" ", asynq.HandlerFunc(nop), asynq.DefaultRetryDelayFunc),
		"no handler":       s.Handle("chat:", nil, asynq.DefaultRetryDelayFunc),
		"a bad cron spec":  s.Periodic("every minute", asynq.NewTask("voice:upkeep", nil)),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Handle("chat:", asynq.HandlerFunc(nop), asynq.DefaultRetryDelayFunc); err == nil {
		t.Error("a handler after Start: accepted")
	}
	if err := s.Start(); err == nil {
		t.Error("a second Start: accepted")
	}
}
