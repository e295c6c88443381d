package testenv

import (
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// EventuallyWithin is how long Eventually waits before it fails the test.
const EventuallyWithin = 30 * time.Second

// Eventually checks cond every 10 ms until it holds, and fails the test
// with what after EventuallyWithin. It waits for something to happen; to
// tell that something did not happen, wait until the system is idle (for
// the queues: QueuesIdle) and then look.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(EventuallyWithin)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", EventuallyWithin, what)
		}
		<-tick.C
	}
}

// QueuesIdle reports whether none of the Asynq queues holds a task that
// is pending, running, scheduled, waiting for a retry or aggregating
// (archived and completed tasks are finished). A queue Redis does not know
// yet is empty. An error of Redis fails the test.
func QueuesIdle(t testing.TB, in *asynq.Inspector, queues ...string) bool {
	t.Helper()
	known, err := in.Queues()
	if err != nil {
		t.Fatalf("list the queues: %v", err)
	}
	for _, q := range queues {
		if !slices.Contains(known, q) {
			continue
		}
		info, err := in.GetQueueInfo(q)
		if err != nil {
			t.Fatalf("queue %s: %v", q, err)
		}
		if info.Pending+info.Active+info.Scheduled+info.Retry+info.Aggregating > 0 {
			return false
		}
	}
	return true
}
