package dispatch_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// With Redis stopped, tickets are still recorded and dispatched; the
// messages wait in the outbox, and when Redis is back every delivery
// arrives, none twice.
func TestOutbox_RedisDownThenUp(t *testing.T) {
	h := newHarness(t, fastConfig())
	rc := newReceiver(t, nil)
	h.department("rsj", "市人力资源和社会保障局", rc.srv.URL)
	h.redis.Stop()

	const n = 100
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		tk := h.newTicket("")
		tk = h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})
		if tk.Status != ticketing.StatusDispatched {
			t.Fatalf("ticket %d is %s", tk.ID, tk.Status)
		}
		want[tk.Number] = true
	}
	if backlog, err := h.store.OutboxBacklog(h.ctx); err != nil || backlog != n {
		t.Fatalf("backlog %d (%v), want %d waiting for Redis", backlog, err, n)
	}
	if len(rc.requests()) != 0 {
		t.Fatal("deliveries without Redis?")
	}

	h.redis.Start()
	testenv.Eventually(t, "100 deliveries", func() bool { return len(rc.requests()) >= n })
	h.waitIdle()
	seen := map[string]int{}
	ids := map[string]bool{}
	for _, r := range rc.requests() {
		seen[decodeBody(t, r.Body).Ticket.Number]++
		ids[r.Delivery] = true
	}
	for number := range want {
		if seen[number] != 1 {
			t.Errorf("ticket %s delivered %d times", number, seen[number])
		}
	}
	if len(rc.requests()) != n || len(ids) != n {
		t.Fatalf("%d requests with %d delivery IDs, want %d", len(rc.requests()), len(ids), n)
	}
}

// crashingQueue enqueues the task and then fails, as if the relay died
// after Redis accepted the task and before the outbox row was marked.
type crashingQueue struct{ next dispatch.Enqueuer }

func (c crashingQueue) EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	if _, err := c.next.EnqueueContext(ctx, task, opts...); err != nil {
		return nil, err
	}
	return nil, errors.New("relay killed")
}

// forgetfulQueue accepts tasks and drops them: Redis losing its data.
type forgetfulQueue struct{}

func (forgetfulQueue) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return &asynq.TaskInfo{}, nil
}

// withoutRelay returns a harness whose relay is stopped, with one ticket
// dispatched to rsj, whose webhook is the receiver.
func withoutRelay(t *testing.T) (*harness, *receiver) {
	h := newHarness(t, fastConfig())
	h.stopRelay()
	rc := newReceiver(t, nil)
	h.department("rsj", "市人力资源和社会保障局", rc.srv.URL)
	tk := h.newTicket("")
	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})
	return h, rc
}

// A relay that crashes after enqueueing leaves the row unmarked; the next
// relay's enqueue is refused as a duplicate task ID and only marks it.
// The department gets one delivery.
func TestOutbox_RelayCrashAfterEnqueue(t *testing.T) {
	h, rc := withoutRelay(t)

	// Hold the queue so that the task is still in Redis when the relay restarts.
	if err := h.inspect.PauseQueue(dispatch.QueueDefault); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	crashing := dispatch.NewRelay(h.store, crashingQueue{h.client}, h.inspect, h.clock, h.cfg, h.metrics, log)
	if _, err := crashing.RelayOnce(h.ctx); err == nil {
		t.Fatal("the crashing relay reported success")
	}
	if backlog, _ := h.store.OutboxBacklog(h.ctx); backlog != 1 {
		t.Fatalf("backlog %d, want the row still unmarked", backlog)
	}
	moved, err := h.relay.RelayOnce(h.ctx) // the restarted relay
	if err != nil || moved != 1 {
		t.Fatalf("relay after the crash moved %d: %v", moved, err)
	}
	if backlog, _ := h.store.OutboxBacklog(h.ctx); backlog != 0 {
		t.Fatalf("backlog %d after the second relay", backlog)
	}
	if err := h.inspect.UnpauseQueue(dispatch.QueueDefault); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the delivery", func() bool { return len(rc.requests()) == 1 })
	h.waitIdle()
	if got := len(rc.requests()); got != 1 {
		t.Fatalf("%d deliveries, want 1", got)
	}
}

// A message Redis accepted and then lost is found by reconciliation once
// it is stale, and sent again.
func TestOutbox_ReconcileMessagesRedisLost(t *testing.T) {
	h, rc := withoutRelay(t)

	log := slog.New(slog.DiscardHandler)
	lossy := dispatch.NewRelay(h.store, forgetfulQueue{}, h.inspect, h.clock, h.cfg, h.metrics, log)
	if moved, err := lossy.RelayOnce(h.ctx); err != nil || moved != 1 {
		t.Fatalf("moved %d: %v", moved, err)
	}
	if n, err := h.relay.Reconcile(h.ctx); err != nil || n != 0 {
		t.Fatalf("reconcile before the message is stale: %d, %v", n, err)
	}
	h.clock.Advance(dispatch.DefaultConfig().StaleAfter + time.Minute)
	if n, err := h.relay.Reconcile(h.ctx); err != nil || n != 1 {
		t.Fatalf("reconcile: %d, %v; want 1 requeued", n, err)
	}
	if moved, err := h.relay.RelayOnce(h.ctx); err != nil || moved != 1 {
		t.Fatalf("relay after reconcile moved %d: %v", moved, err)
	}
	testenv.Eventually(t, "the delivery", func() bool { return len(rc.requests()) == 1 })
	testenv.Eventually(t, "the message done", func() bool {
		n, err := h.relay.Reconcile(h.ctx)
		return err == nil && n == 0
	})
}

// A duplicate task for a delivery already made (a manual re-enqueue, a
// second relay on a stale row) does not reach the department again.
func TestDeliver_DuplicateTaskIsNotDeliveredTwice(t *testing.T) {
	h := newHarness(t, fastConfig())
	rc := newReceiver(t, nil)
	h.department("rsj", "市人力资源和社会保障局", rc.srv.URL)
	tk := h.newTicket("")
	h.act(agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})
	testenv.Eventually(t, "the delivery", func() bool {
		ds := h.deliveries(dispatch.DeliveryFilter{TicketID: tk.ID})
		return len(ds) == 1 && ds[0].State == dispatch.StateDelivered
	})
	d := h.deliveries(dispatch.DeliveryFilter{TicketID: tk.ID})[0]
	dup, err := dispatch.NewDeliverTask(dispatch.OutboxMessage{ID: 999999, TicketID: tk.ID, DeliveryID: d.ID,
		Message: ticketing.Message{Topic: ticketing.TopicDepartment, Event: d.Event, Department: "rsj"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Enqueue(dup); err != nil {
		t.Fatal(err)
	}
	h.waitIdle() // the duplicate task has run
	if got := len(rc.requests()); got != 1 {
		t.Fatalf("%d deliveries, want 1", got)
	}
}
