package reports

import (
	"context"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// Scorecard is one department's or agent's figures over a period: the
// whole period and day by day.
type Scorecard struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	From  string `json:"from"`
	To    string `json:"to"`
	Total Row    `json:"total"`
	Days  []Row  `json:"days"`
}

// Department is the scorecard of department code: supervisors and admins
// read any, a department user its own only. Errors: not_found (another
// department, for a department user), forbidden (agents).
func (s *Service) Department(ctx context.Context, actor auth.Actor, code string, p Period) (Scorecard, error) {
	switch {
	case actor.Is(auth.RoleDepartment) && actor.Department != code:
		return Scorecard{}, errs.E(errs.NotFound, "no department %q", code)
	case !actor.Is(auth.RoleDepartment) && !actor.Is(supervisors...):
		return Scorecard{}, errs.E(errs.Forbidden, "department scorecards are for supervisors and the department")
	}
	return s.scorecard(ctx, ByDepartment, code, p)
}

// Agent is agent username's own figures: an agent reads its own,
// supervisors and admins anyone's. Errors: forbidden.
func (s *Service) Agent(ctx context.Context, actor auth.Actor, username string, p Period) (Scorecard, error) {
	if !actor.Is(supervisors...) && !(actor.Is(auth.RoleAgent) && actor.Username == username) {
		return Scorecard{}, errs.E(errs.Forbidden, "an agent reads its own figures only")
	}
	return s.scorecard(ctx, ByAgent, username, p)
}

func (s *Service) scorecard(ctx context.Context, dim GroupBy, key string, p Period) (Scorecard, error) {
	if _, err := s.store.Ensure(ctx, p.To, s.clock.Now()); err != nil {
		return Scorecard{}, err
	}
	total, err := s.total(ctx, dim, key, p)
	if err != nil {
		return Scorecard{}, err
	}
	days, err := s.temporalRows(ctx, ByDay, dim, key, p)
	if err != nil {
		return Scorecard{}, err
	}
	return Scorecard{Key: key, Label: total.Label, From: Day(p.From), To: Day(p.To), Total: total, Days: days}, nil
}

// MaxBehind bounds the rows one drill-down lists.
const MaxBehind = 1000

// Behind lists the rows behind counter (a count, or "overdue") of key in
// grouping g over p. Supervisors and admins drill anywhere; a department
// user only into its own department, an agent only into its own figures.
// Errors: invalid (unknown counter, or a run of days as g), forbidden,
// not_found (another department).
func (s *Service) Behind(ctx context.Context, actor auth.Actor, counter string, g GroupBy, key string, p Period) (Behind, error) {
	switch {
	case actor.Is(supervisors...):
	case actor.Is(auth.RoleDepartment):
		if g != ByDepartment || key != actor.Department {
			return Behind{}, errs.E(errs.NotFound, "a department lists its own tickets only")
		}
	case actor.Is(auth.RoleAgent):
		if g != ByAgent || key != actor.Username {
			return Behind{}, errs.E(errs.Forbidden, "an agent lists its own figures only")
		}
	default:
		return Behind{}, errs.E(errs.Forbidden, "reports are for staff")
	}
	if g.Temporal() {
		return Behind{}, errs.E(errs.Invalid, "drill into a run of days with from and to, not group_by=%s", g)
	}
	now := s.clock.Now()
	if counter == "overdue" {
		return s.store.OverdueBehind(ctx, g, key, p, now, MaxBehind)
	}
	if !Countable(counter) {
		return Behind{}, errs.E(errs.Invalid, "%q is not a count the reports can list", counter)
	}
	return s.store.Behind(ctx, counter, g, key, p, now, MaxBehind)
}
