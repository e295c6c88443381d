package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/ticketing"
)

// Sweeper runs the supervision sweep (ticketing.Service does).
type Sweeper interface {
	Sweep(ctx context.Context) (int, error)
}

// Handlers process the dispatch tasks.
type Handlers struct {
	store   Store
	tickets Tickets
	sweeper Sweeper
	bus     eventbus.Publisher
	webhook *Webhook
	sms     SMS
	clock   clock.Clock
	loc     *time.Location
	cfg     Config
	log     *slog.Logger
}

// Deps are what the handlers work with.
type Deps struct {
	Store   Store
	Tickets Tickets
	Sweeper Sweeper
	Bus     eventbus.Publisher
	SMS     SMS
	Clock   clock.Clock
	Loc     *time.Location
	Log     *slog.Logger
}

// NewHandlers returns the task handlers.
func NewHandlers(d Deps, cfg Config) *Handlers {
	cfg = cfg.withDefaults()
	return &Handlers{store: d.Store, tickets: d.Tickets, sweeper: d.Sweeper, bus: d.Bus,
		webhook: NewWebhook(cfg.WebhookTimeout), sms: d.SMS, clock: d.Clock, loc: d.Loc, cfg: cfg, log: d.Log}
}

// webhookBody is what a department's webhook receives.
type webhookBody struct {
	Event      string          `json:"event"`
	DeliveryID string          `json:"delivery_id"`
	OccurredAt time.Time       `json:"occurred_at"`
	Detail     map[string]any  `json:"detail"`
	Ticket     json.RawMessage `json:"ticket"` // a ticketing.View
}

// HandleDeliverTask delivers a ticket event to a department: a notice to
// its consoles, then, if it has a webhook, the signed POST of the ticket as
// the department could see it when the event happened. A delivery already
// made is not made again, and one whose department no longer has the
// ticket (returned, then dispatched elsewhere) is cancelled, not sent.
func (h *Handlers) HandleDeliverTask(ctx context.Context, task *asynq.Task) error {
	m, err := decodeMessage(task)
	if err != nil {
		return err
	}
	d, t, dept, err := h.store.DeliveryWork(ctx, m.DeliveryID)
	if err != nil {
		return skipIfPermanent(fmt.Errorf("delivery %s: %w", m.DeliveryID, err))
	}
	if d.State == StateDelivered || d.State == StateCancelled {
		return h.store.FinishOutbox(ctx, m.ID, h.clock.Now())
	}
	if !t.Involves(d.Department) {
		h.log.InfoContext(ctx, "delivery cancelled: the department no longer has the ticket",
			"delivery", d.ID, "department", d.Department, "ticket", t.ID)
		return h.store.SaveAttempt(ctx, d.ID, m.ID, Attempt{State: StateCancelled, At: h.clock.Now(),
			Error: "not sent: the department no longer has the ticket"})
	}
	h.bus.Publish(ctx, eventbus.Notice{Topic: eventbus.DepartmentTopic(d.Department), Type: d.Event,
		TicketID: t.ID, Number: t.Number, At: d.CreatedAt, Data: d.Detail})
	attempt := Attempt{State: StateDelivered, WebhookURL: dept.WebhookURL}
	if dept.WebhookURL != "" {
		attempt.Status, err = h.post(ctx, d, dept, t)
	}
	attempt.At = h.clock.Now()
	if err != nil {
		attempt.Error = err.Error()
		attempt.State = StatePending
		if finalAttempt(ctx) {
			attempt.State = StateFailed
		}
	}
	if serr := h.store.SaveAttempt(ctx, d.ID, m.ID, attempt); serr != nil {
		return fmt.Errorf("delivery %s: record attempt: %w", d.ID, serr)
	}
	if err != nil {
		h.log.WarnContext(ctx, "webhook delivery failed", "delivery", d.ID, "department", d.Department,
			"status", attempt.Status, "state", attempt.State, "err", err)
		return fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	return nil
}

// post sends the webhook of delivery d with the ticket's snapshot; a
// delivery recorded before snapshots were kept sends the ticket as the
// department sees it now.
func (h *Handlers) post(ctx context.Context, d Delivery, dept ticketing.Department, t *ticketing.Ticket) (int, error) {
	ticket := d.Ticket
	if len(ticket) == 0 {
		viewer := auth.Actor{Username: "webhook", Role: auth.RoleDepartment, Department: d.Department}
		var err error
		if ticket, err = json.Marshal(ticketing.NewView(ticketing.ViewFor(viewer, t), h.loc)); err != nil {
			return 0, fmt.Errorf("encode webhook ticket: %w", err)
		}
	}
	body, err := json.Marshal(webhookBody{Event: d.Event, DeliveryID: d.ID, OccurredAt: d.CreatedAt.In(h.loc),
		Detail: d.Detail, Ticket: ticket})
	if err != nil {
		return 0, fmt.Errorf("encode webhook body: %w", err)
	}
	return h.webhook.Post(ctx, dept.WebhookURL, dept.WebhookSecret, d.Event, d.ID, body)
}

// HandleNotifyCitizenTask sends a citizen notification by SMS and records
// it on the ticket. A notification already sent is not sent again.
func (h *Handlers) HandleNotifyCitizenTask(ctx context.Context, task *asynq.Task) error {
	m, err := decodeMessage(task)
	if err != nil {
		return err
	}
	if done, err := h.store.NotificationDone(ctx, m.ID); err != nil || done {
		if err != nil {
			return err
		}
		return h.store.FinishOutbox(ctx, m.ID, h.clock.Now())
	}
	t, err := h.tickets.Ticket(ctx, m.TicketID)
	if err != nil {
		return skipIfPermanent(fmt.Errorf("notification %d: %w", m.ID, err))
	}
	n := newNotification(m, t, NotificationSent)
	var sendErr error
	if t.Citizen.Phone == "" {
		n.State = NotificationSkipped
	} else {
		n.ProviderID, sendErr = h.sms.Send(ctx, t.Citizen.Phone, citizenText(m.Message.Template, t))
	}
	if ns, ok := h.sms.(NotSending); ok && n.State == NotificationSent && sendErr == nil {
		n.State, n.Reason, n.ProviderID = NotificationNotSent, ns.NotSentReason(), ""
	}
	if sendErr != nil {
		if !finalAttempt(ctx) {
			return fmt.Errorf("notification %d: %w", m.ID, sendErr)
		}
		n.State, n.Error = NotificationFailed, sendErr.Error()
	}
	n.At = h.clock.Now()
	if err := h.store.RecordNotification(ctx, n, notifyEvent(t, n)); err != nil {
		return fmt.Errorf("notification %d: record: %w", m.ID, err)
	}
	return sendErr
}

// newNotification is the record of outbox message m's notification of
// t's citizen, in state.
func newNotification(m OutboxMessage, t *ticketing.Ticket, state string) Notification {
	return Notification{OutboxID: m.ID, TicketID: t.ID, Template: m.Message.Template,
		Recipient: ticketing.MaskPhone(t.Citizen.Phone), State: state}
}

// notifyEvent is the history entry of notification n on ticket t.
func notifyEvent(t *ticketing.Ticket, n Notification) ticketing.Event {
	return ticketing.Event{TicketID: t.ID, At: n.At, ActorName: auth.System.Username, Action: "notify",
		From: t.Status, To: t.Status, Payload: map[string]any{"channel": "sms", "template": n.Template,
			"to": n.Recipient, "state": n.State, "reason": n.Reason, "provider_id": n.ProviderID, "error": n.Error}}
}

// HandleNotifyStaffTask publishes a notice to agents' or supervisors' consoles.
func (h *Handlers) HandleNotifyStaffTask(ctx context.Context, task *asynq.Task) error {
	m, err := decodeMessage(task)
	if err != nil {
		return err
	}
	h.bus.Publish(ctx, eventbus.Notice{Topic: eventbus.StaffTopic(m.Message.Audience), Type: m.Message.Event,
		TicketID: m.TicketID, At: m.CreatedAt, Data: m.Message.Detail})
	return h.store.FinishOutbox(ctx, m.ID, h.clock.Now())
}

// HandleSweepTask runs the supervision sweep and drops old outbox rows.
func (h *Handlers) HandleSweepTask(ctx context.Context, _ *asynq.Task) error {
	if _, err := h.sweeper.Sweep(ctx); err != nil {
		return fmt.Errorf("supervision sweep: %w", err)
	}
	if _, err := h.store.PurgeOutbox(ctx, h.clock.Now().Add(-h.cfg.KeepDone)); err != nil {
		return fmt.Errorf("purge outbox: %w", err)
	}
	return nil
}

// finalAttempt reports whether the running task will not be retried.
func finalAttempt(ctx context.Context) bool {
	n, ok1 := asynq.GetRetryCount(ctx)
	max, ok2 := asynq.GetMaxRetry(ctx)
	return !ok1 || !ok2 || n >= max
}

// skipIfPermanent stops retries for errors retrying cannot fix (a missing
// ticket or delivery); outages are retried.
func skipIfPermanent(err error) error {
	switch errs.CodeOf(err) {
	case errs.NotFound, errs.Invalid:
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}
