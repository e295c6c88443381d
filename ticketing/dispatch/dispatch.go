// Package dispatch carries ticket messages out of the database and runs
// the supervision clock. A relay moves the transactional outbox into Asynq
// tasks; workers deliver them to departments (a console notice and the
// signed webhook), to staff consoles, and to citizens by SMS; a periodic
// task runs the supervision sweep of ticketing.
//
// Delivery is at least once from the queue and exactly once to the
// department's systems as far as the hotline can tell: every task carries
// its outbox row's ID as the Asynq task ID (a relay that enqueues twice is
// refused by Redis), and every handler first checks in PostgreSQL whether
// its work was already done.
package dispatch

import (
	"context"
	"encoding/json"
	"time"

	"github.com/open12345/hotline/ticketing"
)

// Task types.
const (
	TypeDeliver       = "dispatch:deliver"        // a ticket event to a department
	TypeNotifyCitizen = "dispatch:notify_citizen" // an SMS to the citizen
	TypeNotifyStaff   = "dispatch:notify_staff"   // a notice to agents' or supervisors' consoles
	TypeSweep         = "dispatch:sweep"          // the periodic supervision sweep
)

// Queues, in order of priority.
const (
	QueueUrgent  = "urgent"
	QueueDefault = "default"
	QueueLow     = "low"
)

// QueuePriorities weights the queues: workers take urgent work six times
// as often as low work, and low work still moves when urgent work piles up.
var QueuePriorities = map[string]int{QueueUrgent: 6, QueueDefault: 3, QueueLow: 1}

// Config tunes dispatch; zero fields take the defaults of DefaultConfig.
type Config struct {
	MaxRetry       int           // attempts after the first, for deliveries and SMS
	RetryBase      time.Duration // the first retry's delay, doubled for each further one
	RetryMax       time.Duration // the longest delay between attempts
	WebhookTimeout time.Duration // one webhook request, connection to last byte
	Concurrency    int           // tasks processed at once by this node; for the shared job server
	SweepEvery     time.Duration // how often the supervision sweep runs
	PollInterval   time.Duration // how often idle workers look for new tasks; for the shared job server
	RetryPoll      time.Duration // how often due retries are moved back to their queue; for the shared job server
	RelayWait      time.Duration // the relay's longest sleep without a notification
	StaleAfter     time.Duration // an enqueued message not done by then is checked in Redis
	KeepDone       time.Duration // how long finished outbox rows are kept
}

// DefaultConfig returns settings for production: eight retries over about
// four hours, a ten-second webhook timeout, a sweep every minute.
func DefaultConfig() Config {
	return Config{MaxRetry: 8, RetryBase: 30 * time.Second, RetryMax: time.Hour,
		WebhookTimeout: 10 * time.Second, Concurrency: 50, SweepEvery: time.Minute,
		PollInterval: 20 * time.Millisecond, RetryPoll: time.Second, RelayWait: 250 * time.Millisecond,
		StaleAfter: 10 * time.Minute, KeepDone: 7 * 24 * time.Hour}
}

// withDefaults fills the zero fields of c from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	if c.MaxRetry <= 0 {
		c.MaxRetry = d.MaxRetry
	}
	if c.Concurrency <= 0 {
		c.Concurrency = d.Concurrency
	}
	set(&c.RetryBase, d.RetryBase)
	set(&c.RetryMax, d.RetryMax)
	set(&c.WebhookTimeout, d.WebhookTimeout)
	set(&c.SweepEvery, d.SweepEvery)
	set(&c.PollInterval, d.PollInterval)
	set(&c.RetryPoll, d.RetryPoll)
	set(&c.RelayWait, d.RelayWait)
	set(&c.StaleAfter, d.StaleAfter)
	set(&c.KeepDone, d.KeepDone)
	return c
}

// retryDelay is exponential backoff: RetryBase, twice that, … up to RetryMax.
func (c Config) retryDelay(n int) time.Duration {
	d := c.RetryBase
	for i := 0; i < n && d < c.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.RetryMax)
}

// OutboxMessage is one row of the outbox: a ticketing.Message for a ticket.
type OutboxMessage struct {
	ID         int64             `json:"id"`
	TicketID   int64             `json:"ticket_id"`
	Message    ticketing.Message `json:"message"`
	DeliveryID string            `json:"delivery_id,omitempty"` // department messages
	CreatedAt  time.Time         `json:"created_at"`
}

// Delivery states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"    // every attempt failed; an admin may retry it
	StateCancelled = "cancelled" // the department no longer had the ticket when it was due to be sent
)

// Delivery is one ticket event for one department: a console notice and,
// when the department has a webhook, its POST.
type Delivery struct {
	ID          string         `json:"id"` // the X-Hotline-Delivery key
	Department  string         `json:"department"`
	TicketID    int64          `json:"ticket_id"`
	Event       string         `json:"event"`
	Detail      map[string]any `json:"detail"`
	State       string         `json:"state"`
	WebhookURL  string         `json:"webhook_url"` // of the last attempt
	Attempts    int            `json:"attempts"`
	LastStatus  int            `json:"last_status"` // HTTP status of the last attempt; 0 if none
	LastError   string         `json:"last_error"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	DeliveredAt *time.Time     `json:"delivered_at"`
	// Ticket is the JSON of the ticket as the department could see it when
	// the event happened (a ticketing.View); empty for deliveries made
	// before snapshots were kept.
	Ticket json.RawMessage `json:"-"`
}

// Attempt is the outcome of one delivery attempt.
type Attempt struct {
	At         time.Time
	State      string // the delivery's state after the attempt
	WebhookURL string
	Status     int
	Error      string
}

// DeliveryFilter selects deliveries, newest first.
type DeliveryFilter struct {
	State      string
	Department string
	TicketID   int64
	Limit      int
}

// Notification states.
const (
	NotificationSent    = "sent"
	NotificationNotSent = "not_sent" // nothing went out: Reason says why (no gateway configured, demo history)
	NotificationFailed  = "failed"   // the gateway refused or failed, after the last retry
	NotificationSkipped = "skipped"  // the ticket has no phone
)

// Notification records one citizen notification.
type Notification struct {
	OutboxID   int64
	TicketID   int64
	Template   string
	Recipient  string // masked
	State      string // one of the notification states
	Reason     string // why a not_sent notification was not sent
	ProviderID string
	Error      string
	At         time.Time
}

// Store keeps the outbox, deliveries and notifications (SQL in postgres/).
// Methods return unavailable when the database cannot be reached.
type Store interface {
	// RelayOutbox locks up to limit messages not yet enqueued, oldest first
	// (skipping rows another relay holds), passes each to enqueue, and marks
	// those it accepted as enqueued at now. It stops at enqueue's first
	// error, keeps the marks made so far, and returns that error.
	RelayOutbox(ctx context.Context, now time.Time, limit int, enqueue func(OutboxMessage) error) (int, error)
	// ListenOutbox returns a listener told of the messages this node writes
	// to the outbox; the relay polls for the messages of other nodes.
	ListenOutbox(ctx context.Context) (OutboxListener, error)
	// StaleOutbox returns up to limit messages enqueued before the given
	// time and not yet done.
	StaleOutbox(ctx context.Context, enqueuedBefore time.Time, limit int) ([]OutboxMessage, error)
	// RequeueOutbox clears a message's enqueued mark, so the relay sends it again.
	RequeueOutbox(ctx context.Context, id int64) error
	// FinishOutbox marks a message done.
	FinishOutbox(ctx context.Context, id int64, at time.Time) error
	// PurgeOutbox deletes messages done before the given time.
	PurgeOutbox(ctx context.Context, doneBefore time.Time) (int64, error)
	// OutboxBacklog counts messages not yet enqueued.
	OutboxBacklog(ctx context.Context) (int, error)

	// Delivery returns one delivery; not_found if there is none.
	Delivery(ctx context.Context, id string) (Delivery, error)
	// DeliveryWork returns a delivery with its ticket and department, in
	// one round trip; not_found if any is missing.
	DeliveryWork(ctx context.Context, id string) (Delivery, *ticketing.Ticket, ticketing.Department, error)
	// SaveAttempt records an attempt of a delivery not yet delivered and,
	// unless the delivery is still pending, marks its outbox message done.
	SaveAttempt(ctx context.Context, id string, outboxID int64, a Attempt) error
	// Deliveries lists deliveries matching f, newest first.
	Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
	// RetryDelivery sets a failed delivery pending again and writes a new
	// outbox message for it; conflict unless it failed.
	RetryDelivery(ctx context.Context, id string, now time.Time) error

	// NotificationDone reports whether the outbox message's notification
	// was already sent, not sent or skipped.
	NotificationDone(ctx context.Context, outboxID int64) (bool, error)
	// RecordNotification saves a notification's outcome, marks its outbox
	// message done and, unless it was skipped, appends ev to the ticket's
	// history, in one transaction.
	RecordNotification(ctx context.Context, n Notification, ev ticketing.Event) error
}

// OutboxListener waits for outbox messages.
type OutboxListener interface {
	// Wait blocks until a message is written to the outbox, ctx ends or
	// wait passes; it returns nil in every case but a database error,
	// after which the listener is closed.
	Wait(ctx context.Context, wait time.Duration) error
	// Close releases the listener's connection.
	Close() error
}

// Tickets reads tickets (ticketing.Store does).
type Tickets interface {
	Ticket(ctx context.Context, id int64) (*ticketing.Ticket, error)
}
