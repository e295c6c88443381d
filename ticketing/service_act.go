package ticketing

import (
	"context"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// Act takes an action on a ticket for the actor and returns the ticket as
// the actor may see it afterwards. The ticket row is locked for the change,
// so concurrent actions apply one after the other; the loser sees the new
// status and gets a conflict if its action no longer fits.
// Errors: not_found, forbidden, conflict, invalid.
func (s *Service) Act(ctx context.Context, actor auth.Actor, id int64, a Action, req Request) (*Ticket, error) {
	if _, ok := Rules[a]; !ok {
		return nil, errs.E(errs.Invalid, "unknown action %q", a)
	}
	env, err := s.env(ctx, a)
	if err != nil {
		return nil, err
	}
	if a == ActionMerge {
		return s.merge(ctx, env, actor, id, req.Into)
	}
	if req.Attachments, err = s.attachmentRefs(ctx, actor, id, a, req.Attachments); err != nil {
		return nil, err
	}
	ts, err := s.store.UpdateTickets(ctx, []int64{id}, func(ts []*Ticket) ([]Event, error) {
		if err := visible(actor, ts[0]); err != nil {
			return nil, err
		}
		ev, err := Apply(env, actor, ts[0], a, req)
		if err != nil {
			return nil, err
		}
		return []Event{ev}, nil
	})
	if err != nil {
		return nil, sameNotFound(err, id)
	}
	s.log.InfoContext(ctx, "ticket action", "ticket", id, "action", a, "user", actor.Username, "status", ts[0].Status)
	return ViewFor(actor, ts[0]), nil
}

func (s *Service) merge(ctx context.Context, env Env, actor auth.Actor, id, into int64) (*Ticket, error) {
	if into <= 0 {
		return nil, errs.E(errs.Invalid, "into must name the surviving ticket")
	}
	if into == id {
		return nil, errs.E(errs.Invalid, "a ticket cannot be merged into itself")
	}
	ts, err := s.store.UpdateTickets(ctx, []int64{id, into}, func(ts []*Ticket) ([]Event, error) {
		if err := visible(actor, ts[0]); err != nil {
			return nil, err
		}
		if err := Authorize(actor, ts[0], ActionMerge); err != nil {
			return nil, err
		}
		if err := visible(actor, ts[1]); err != nil {
			return nil, err
		}
		dupEv, targetEv, err := ApplyMerge(env, actor, ts[0], ts[1])
		if err != nil {
			return nil, err
		}
		return []Event{dupEv, targetEv}, nil
	})
	if err != nil {
		return nil, err
	}
	return ViewFor(actor, ts[0]), nil
}

// env gathers what an action needs. Only the actions that compute deadlines
// or name departments read the calendar, policies and departments.
func (s *Service) env(ctx context.Context, a Action) (Env, error) {
	env := Env{Now: s.now(), DepartmentExists: func(string) bool { return false },
		GuideExists: func(string) bool { return false }}
	if a == ActionCloseDirectly {
		env.GuideExists = func(code string) bool {
			ok, err := s.store.GuideExists(ctx, code)
			if err != nil {
				s.log.WarnContext(ctx, "check guide", "code", code, "err", err)
			}
			return ok
		}
	}
	switch a {
	case ActionDispatch, ActionReopen, ActionReturn, ActionApproveExtension, ActionReply:
	default:
		return env, nil
	}
	cal, err := s.calendarAround(ctx, env.Now.Year())
	if err != nil {
		return env, err
	}
	pol, err := s.Policies(ctx)
	if err != nil {
		return env, err
	}
	env.Calendar, env.Policies = cal, pol
	if a == ActionDispatch {
		depts, err := s.store.Departments(ctx)
		if err != nil {
			return env, err
		}
		known := make(map[string]bool, len(depts))
		for _, d := range depts {
			known[d.Code] = true
		}
		env.DepartmentExists = func(code string) bool { return known[code] }
	}
	return env, nil
}
