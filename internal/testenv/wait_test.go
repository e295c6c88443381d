package testenv_test

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/open12345/hotline/internal/testenv"
)

func TestEventually_ReturnsOnceTheConditionHolds(t *testing.T) {
	calls := 0
	testenv.Eventually(t, "the third call", func() bool {
		calls++
		return calls == 3
	})
	if calls != 3 {
		t.Fatalf("cond called %d times, want 3", calls)
	}
}

// A task waiting for its time keeps a queue busy; a queue Redis never
// saw is idle.
func TestQueuesIdle(t *testing.T) {
	rc := testenv.StartRedis(t).Client()
	in := asynq.NewInspectorFromRedisClient(rc)
	if !testenv.QueuesIdle(t, in, "never-used") {
		t.Fatal("a queue Redis does not know is not idle")
	}
	client := asynq.NewClientFromRedisClient(rc)
	if _, err := client.Enqueue(asynq.NewTask("test:later", nil), asynq.Queue("later"), asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if testenv.QueuesIdle(t, in, "never-used", "later") {
		t.Fatal("a queue holding a scheduled task is idle")
	}
	if _, err := in.DeleteAllScheduledTasks("later"); err != nil {
		t.Fatal(err)
	}
	if !testenv.QueuesIdle(t, in, "later") {
		t.Fatal("an emptied queue is not idle")
	}
}
