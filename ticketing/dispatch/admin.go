package dispatch

import (
	"context"
	"slices"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
)

// Admin lets staff see and retry deliveries and read the queue statistics.
type Admin struct {
	store  Store
	queues QueueReader
	clock  clock.Clock
}

// NewAdmin returns the dispatch administration.
func NewAdmin(store Store, queues QueueReader, clk clock.Clock) *Admin {
	return &Admin{store: store, queues: queues, clock: clk}
}

// MaxDeliveries bounds one list of deliveries.
const MaxDeliveries = 500

// Deliveries lists deliveries, newest first. Admins and supervisors see
// all; a department user sees only their department's. Only admins see
// the webhook URLs.
// Errors: invalid (state, limit), forbidden (agents).
func (a *Admin) Deliveries(ctx context.Context, actor auth.Actor, f DeliveryFilter) ([]Delivery, error) {
	switch f.State {
	case "", StatePending, StateDelivered, StateFailed, StateCancelled:
	default:
		return nil, errs.E(errs.Invalid, "state must be pending, delivered, failed or cancelled")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxDeliveries {
		return nil, errs.E(errs.Invalid, "limit must be at most %d", MaxDeliveries)
	}
	switch {
	case actor.Is(auth.RoleAdmin, auth.RoleSupervisor):
	case actor.Role == auth.RoleDepartment:
		f.Department = actor.Department
	default:
		return nil, errs.E(errs.Forbidden, "the %s role may not list deliveries", actor.Role)
	}
	ds, err := a.store.Deliveries(ctx, f)
	if err != nil || actor.Is(auth.RoleAdmin) {
		return ds, err
	}
	for i := range ds {
		ds[i].WebhookURL = "" // where departments' systems live is for admins to know
	}
	return ds, nil
}

// Retry sends a failed delivery again, under the same delivery ID.
// Errors: forbidden (not admin or supervisor), not_found, conflict (not failed).
func (a *Admin) Retry(ctx context.Context, actor auth.Actor, id string) (Delivery, error) {
	if !actor.Is(auth.RoleAdmin, auth.RoleSupervisor) {
		return Delivery{}, errs.E(errs.Forbidden, "only admins and supervisors retry deliveries")
	}
	if err := a.store.RetryDelivery(ctx, id, a.clock.Now()); err != nil {
		return Delivery{}, err
	}
	return a.store.Delivery(ctx, id)
}

// QueueStats is the state of one Asynq queue.
type QueueStats struct {
	Queue          string  `json:"queue"`
	Size           int     `json:"size"`
	Pending        int     `json:"pending"`
	Active         int     `json:"active"`
	Scheduled      int     `json:"scheduled"`
	Retry          int     `json:"retry"`
	Archived       int     `json:"archived"`
	Completed      int     `json:"completed"`
	ProcessedToday int     `json:"processed_today"`
	FailedToday    int     `json:"failed_today"`
	LatencySeconds float64 `json:"latency_seconds"`
	Paused         bool    `json:"paused"`
	MemoryBytes    int64   `json:"memory_bytes"`
}

// Stats returns the queues' statistics and the outbox backlog.
// Errors: unavailable (Redis or PostgreSQL down).
func (a *Admin) Stats(ctx context.Context) ([]QueueStats, int, error) {
	backlog, err := a.store.OutboxBacklog(ctx)
	if err != nil {
		return nil, 0, err
	}
	known, err := a.queues.Queues()
	if err != nil {
		return nil, backlog, errs.Wrap(errs.Unavailable, err, "list queues")
	}
	var out []QueueStats
	for _, q := range []string{QueueUrgent, QueueDefault, QueueLow} {
		if !slices.Contains(known, q) { // Redis knows a queue once it was used
			out = append(out, QueueStats{Queue: q})
			continue
		}
		info, err := a.queues.GetQueueInfo(q)
		if err != nil {
			return nil, backlog, errs.Wrap(errs.Unavailable, err, "queue %s", q)
		}
		out = append(out, QueueStats{Queue: q, Size: info.Size, Pending: info.Pending, Active: info.Active,
			Scheduled: info.Scheduled, Retry: info.Retry, Archived: info.Archived, Completed: info.Completed,
			ProcessedToday: info.Processed, FailedToday: info.Failed, LatencySeconds: info.Latency.Seconds(),
			Paused: info.Paused, MemoryBytes: info.MemoryUsage})
	}
	return out, backlog, nil
}
