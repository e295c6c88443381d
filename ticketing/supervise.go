package ticketing

import (
	"context"
	"time"

	"github.com/open12345/hotline/auth"
)

// WarnShare is the part of the time limit after which a deadline warning
// (预警) is due, unless one working day remaining comes first.
const WarnShare = 0.8

// WarnAt returns when a ticket dispatched at from and due at due is warned:
// when 80% of the time limit has passed or one working day remains,
// whichever comes first. Working-day limits are measured in working time
// (the hours of working days); calendar limits (minutes) in calendar time,
// where only the 80% rule applies.
func WarnAt(cal *Calendar, from, due time.Time, calendarTime bool) time.Time {
	if calendarTime {
		return from.Add(time.Duration(float64(due.Sub(from)) * WarnShare))
	}
	limit := cal.WorkingTime(from, due)
	share := time.Duration(float64(limit) * WarnShare)
	if lastDay := limit - 24*time.Hour; lastDay < share {
		share = max(lastDay, 0)
	}
	return cal.AddWorkingTime(from, share)
}

// Supervise applies the supervision rules to t at env.Now and returns the
// events they cause, changing t in place; none if nothing is due or it was
// already recorded, so running it twice changes nothing:
//   - signing overdue (超时未签收): an automatic urge (督办);
//   - the deadline warning (预警), skipped if the ticket is already overdue;
//   - completion overdue (超期): an automatic urge;
//   - callback due (回访): the ticket joins the agents' callback list and
//     the citizen is asked for a rating.
//
// Each event notifies the department and the supervisors or agents.
func Supervise(env Env, t *Ticket) []Event {
	now := env.Now
	active := t.Status == StatusDispatched || t.Status == StatusInProgress
	var evs []Event
	add := func(action string, payload map[string]any, out ...Message) {
		ev := newEvent(now, auth.System, t.ID, action, t.Status, t.Status, payload)
		ev.Outbox = out
		evs = append(evs, ev)
	}
	if t.Status == StatusDispatched && passed(t.SignDueAt, now) && t.SignOverdueAt == nil {
		t.SignOverdueAt = ptr(now)
		t.UrgeCount++
		p := map[string]any{"auto": true, "reason": "sign_overdue", "sign_due_at": *t.SignDueAt}
		add(string(ActionUrge), p, append(toDepartments(now.Location(), t, "ticket.sign_overdue", false, p),
			toStaff(t, AudienceSupervisors, "ticket.sign_overdue", p))...)
	}
	overdue := active && passed(t.DueAt, now)
	if active && t.DueAt != nil && due(t.WarnAt, now) && t.WarnedAt == nil {
		t.WarnedAt = ptr(now)
		if !overdue {
			p := map[string]any{"due_at": *t.DueAt}
			add("warn", p, append(toDepartments(now.Location(), t, "ticket.warning", true, p),
				toStaff(t, AudienceSupervisors, "ticket.warning", p))...)
		}
	}
	if overdue && t.OverdueAt == nil {
		t.OverdueAt = ptr(now)
		t.UrgeCount++
		p := map[string]any{"auto": true, "reason": "overdue", "due_at": *t.DueAt}
		add(string(ActionUrge), p, append(toDepartments(now.Location(), t, "ticket.overdue", true, p),
			toStaff(t, AudienceSupervisors, "ticket.overdue", p))...)
	}
	if t.Status == StatusReplied && due(t.CallbackDueAt, now) && t.CallbackNotifiedAt == nil {
		t.CallbackNotifiedAt = ptr(now)
		add("callback_due", map[string]any{"callback_due_at": *t.CallbackDueAt},
			append(toCitizen(t, TemplateCallback), toStaff(t, AudienceAgents, "ticket.callback_due", nil))...)
	}
	if len(evs) > 0 {
		t.UpdatedAt = now
		t.Version++
	}
	return evs
}

// due reports whether the instant at is set and has come.
func due(at *time.Time, now time.Time) bool { return at != nil && !now.Before(*at) }

// passed reports whether the deadline at is set and now is after it.
func passed(at *time.Time, now time.Time) bool { return at != nil && now.After(*at) }

// Sweep runs the supervision rules over every ticket with something due
// and returns how many events it recorded. Each ticket is checked again
// under its row lock, so concurrent sweeps on several nodes record each
// event once. Errors: unavailable.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	ids, err := s.store.SupervisionDue(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	env := Env{Now: now}
	recorded := 0
	for _, id := range ids {
		_, err := s.store.UpdateTickets(ctx, []int64{id}, func(ts []*Ticket) ([]Event, error) {
			evs := Supervise(env, ts[0])
			recorded += len(evs)
			return evs, nil
		})
		if err != nil {
			return recorded, err
		}
	}
	if recorded > 0 {
		s.log.InfoContext(ctx, "supervision sweep", "tickets", len(ids), "events", recorded)
	}
	return recorded, nil
}

// sweepBatch bounds the tickets one sweep looks at; the next sweep takes
// the rest.
const sweepBatch = 1000
