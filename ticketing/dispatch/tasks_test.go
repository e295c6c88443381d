package dispatch

import (
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/open12345/hotline/ticketing"
)

// A task payload from Redis is read back exactly, or refused in a way that
// stops retries; it never panics.
func FuzzDecodeMessage(f *testing.F) {
	m := OutboxMessage{ID: 7, TicketID: 3, DeliveryID: "00000000-0000-0000-0000-000000000001",
		Message:   ticketing.Message{Topic: ticketing.TopicDepartment, Event: "ticket.dispatched", Department: "rsj"},
		CreatedAt: time.Date(2026, 9, 30, 10, 0, 0, 0, time.UTC)}
	task, err := NewOutboxTask(m, 3)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(task.Payload())
	f.Add([]byte(`{"id":-1,"ticket_id":1}`))
	f.Add([]byte(`{"id":1,"ticket_id":1,"message":{"detail":{"a":[1,{"b":null}]}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, err := decodeMessage(asynq.NewTask(TypeDeliver, payload))
		if err != nil {
			if !errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("a malformed payload is retried: %v", err)
			}
			return
		}
		if got.ID <= 0 || got.TicketID <= 0 {
			t.Fatalf("accepted %+v", got)
		}
	})
}

func TestOutboxTaskID(t *testing.T) {
	for _, c := range []struct {
		in string
		id int64
		ok bool
	}{{OutboxTaskID(42), 42, true}, {"outbox-", 0, false}, {"outbox-0", 0, false}, {"outbox--3", 0, false},
		{"outbox-12x", 0, false}, {"", 0, false}, {"inbox-4", 0, false}, {"outbox-99999999999999999999", 0, false}} {
		id, ok := outboxID(c.in)
		if ok != c.ok || (ok && id != c.id) {
			t.Errorf("outboxID(%q) = %d, %v", c.in, id, ok)
		}
	}
	if _, err := NewOutboxTask(OutboxMessage{ID: 1, TicketID: 1, Message: ticketing.Message{Topic: "fax"}}, 1); err == nil {
		t.Fatal("unknown topic accepted")
	}
}

func TestRetryDelay(t *testing.T) {
	c := Config{RetryBase: time.Second, RetryMax: 10 * time.Second}
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		if got := c.retryDelay(n); got != want {
			t.Errorf("retryDelay(%d) = %s, want %s", n, got, want)
		}
	}
	if got := c.retryDelay(1000); got != 10*time.Second {
		t.Errorf("retryDelay(1000) = %s", got)
	}
}
