package ticketing

import (
	"slices"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// The actions below run after Authorize; each validates its input, checks
// its own conditions, and changes the ticket copy it is given.

func closeDirectly(env Env, _ auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	r, err := text("reply", req.Reply, true, 5000)
	if err != nil {
		return nil, err
	}
	detail := map[string]any{"reply": r}
	if len(req.GuideCode) > 64 {
		return nil, errs.E(errs.Invalid, "guide_code is at most 64 characters")
	}
	if req.GuideCode != "" {
		if !env.GuideExists(req.GuideCode) {
			return nil, errs.E(errs.Invalid, "guide_code %q names no published guide", req.GuideCode)
		}
		t.GuideCode, detail["guide_code"] = req.GuideCode, req.GuideCode
	}
	t.Reply, t.RepliedAt, t.ClosedAt = r, ptr(env.Now), ptr(env.Now)
	return detail, nil
}

// maxCoDepartments bounds the supporting departments of one ticket.
const maxCoDepartments = 10

// AgentDispatchLimit is how many returns a ticket may have before only a
// supervisor may assign its department.
const AgentDispatchLimit = 3

func dispatch(env Env, actor auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	if req.Department == "" || !env.DepartmentExists(req.Department) {
		return nil, errs.E(errs.Invalid, "department %q does not exist", req.Department)
	}
	if len(req.CoDepartments) > maxCoDepartments {
		return nil, errs.E(errs.Invalid, "at most %d supporting departments", maxCoDepartments)
	}
	co := []string{}
	for _, d := range req.CoDepartments {
		if d == req.Department || slices.Contains(co, d) {
			return nil, errs.E(errs.Invalid, "supporting department %q is repeated", d)
		}
		if !env.DepartmentExists(d) {
			return nil, errs.E(errs.Invalid, "supporting department %q does not exist", d)
		}
		co = append(co, d)
	}
	if t.ReturnCount >= AgentDispatchLimit && !actor.Is(supervisors...) {
		return nil, errs.E(errs.Forbidden, "returned %d times: a supervisor must assign the department", t.ReturnCount)
	}
	start(env, t, req.Department, co)
	return map[string]any{"department": req.Department, "co_departments": co,
		"sign_due_at": t.SignDueAt, "due_at": t.DueAt}, nil
}

// start sends the ticket to a department with fresh deadlines and a clean
// supervision record.
func start(env Env, t *Ticket, dept string, co []string) {
	p := env.Policies.Lookup(t.Kind, t.Urgency)
	due := p.Due.From(env.Calendar, env.Now)
	t.Department, t.CoDepartments = dept, co
	t.DispatchedAt, t.SignDueAt, t.DueAt = ptr(env.Now), ptr(p.Sign.From(env.Calendar, env.Now)), ptr(due)
	t.WarnAt = ptr(WarnAt(env.Calendar, env.Now, due, p.Due.Minutes > 0))
	t.SignedAt, t.RepliedAt, t.Extension = nil, nil, nil
	t.WarnedAt, t.OverdueAt, t.SignOverdueAt = nil, nil, nil
	t.CallbackDueAt, t.CallbackNotifiedAt = nil, nil
	t.DispatchCount++
}

func sign(env Env, _ auth.Actor, t *Ticket, _ Request) (map[string]any, error) {
	t.SignedAt = ptr(env.Now)
	late := t.SignDueAt != nil && env.Now.After(*t.SignDueAt)
	return map[string]any{"late": late}, nil
}

func returnTicket(env Env, _ auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	reason, err := text("reason", req.Reason, true, 1000)
	if err != nil {
		return nil, err
	}
	if t.ReturnCount >= AgentDispatchLimit {
		return nil, errs.E(errs.Conflict, "returned %d times already: the department a supervisor assigned must handle it", t.ReturnCount)
	}
	if t.DispatchedAt != nil {
		if limit := env.Policies.ReturnWindow.From(env.Calendar, *t.DispatchedAt); env.Now.After(limit) {
			return nil, errs.E(errs.Conflict, "a ticket can only be returned until %s", limit.Format(time.DateTime))
		}
	}
	payload := map[string]any{"reason": reason, "department": t.Department}
	t.Department, t.CoDepartments = "", []string{}
	t.SignDueAt, t.DueAt, t.SignedAt, t.Extension = nil, nil, nil, nil
	t.WarnAt, t.WarnedAt, t.OverdueAt, t.SignOverdueAt = nil, nil, nil, nil
	t.ReturnCount++
	return payload, nil
}

// maxExtensionDays bounds one extension request.
const maxExtensionDays = 60

func requestExtension(env Env, actor auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	reason, err := text("reason", req.Reason, true, 1000)
	if err != nil {
		return nil, err
	}
	if req.Days < 1 || req.Days > maxExtensionDays {
		return nil, errs.E(errs.Invalid, "days must be 1-%d", maxExtensionDays)
	}
	if t.Extension != nil {
		return nil, errs.E(errs.Conflict, "an extension request is already pending")
	}
	if t.DueAt == nil || !env.Now.Before(*t.DueAt) {
		return nil, errs.E(errs.Conflict, "an extension must be requested before the deadline")
	}
	t.Extension = &Extension{Days: req.Days, Reason: reason, RequestedAt: env.Now, RequestedBy: actor.Username}
	return map[string]any{"days": req.Days, "reason": reason}, nil
}

func approveExtension(env Env, _ auth.Actor, t *Ticket, _ Request) (map[string]any, error) {
	if t.Extension == nil || t.DueAt == nil {
		return nil, errs.E(errs.Conflict, "no extension request is pending")
	}
	old := *t.DueAt
	t.DueAt = ptr(env.Calendar.EndOfWorkingDays(old, t.Extension.Days))
	payload := map[string]any{"days": t.Extension.Days, "previous_due_at": old, "due_at": *t.DueAt}
	t.Extension = nil
	// The new deadline gets its own warning; an overdue mark no longer holds.
	t.WarnAt, t.OverdueAt = ptr(WarnAt(env.Calendar, *t.DispatchedAt, *t.DueAt, false)), nil
	if t.WarnAt.After(env.Now) {
		t.WarnedAt = nil
	}
	return payload, nil
}

func denyExtension(_ Env, _ auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	reason, err := text("reason", req.Reason, true, 1000)
	if err != nil {
		return nil, err
	}
	if t.Extension == nil {
		return nil, errs.E(errs.Conflict, "no extension request is pending")
	}
	payload := map[string]any{"days": t.Extension.Days, "reason": reason}
	t.Extension = nil
	return payload, nil
}

func reply(env Env, _ auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	r, err := text("reply", req.Reply, true, 5000)
	if err != nil {
		return nil, err
	}
	t.Reply, t.RepliedAt, t.Extension = r, ptr(env.Now), nil
	t.CallbackDueAt = ptr(env.Calendar.StartOfNextWorkingDay(env.Now))
	late := t.DueAt != nil && env.Now.After(*t.DueAt)
	return withAttachments(map[string]any{"reply": r, "late": late}, req)
}

func urge(_ Env, _ auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	n, err := text("note", req.Note, false, 2000)
	if err != nil {
		return nil, err
	}
	t.UrgeCount++
	return map[string]any{"note": n}, nil
}

func reopen(env Env, _ auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	reason, err := text("reason", req.Reason, true, 1000)
	if err != nil {
		return nil, err
	}
	if t.Satisfied == nil || *t.Satisfied {
		return nil, errs.E(errs.Conflict, "a ticket is reopened only after an unsatisfied callback")
	}
	start(env, t, t.Department, t.CoDepartments)
	t.Reply, t.Satisfaction, t.Satisfied, t.CallbackAt = "", nil, nil, nil
	t.ReopenCount++
	return map[string]any{"reason": reason, "department": t.Department,
		"sign_due_at": t.SignDueAt, "due_at": t.DueAt}, nil
}

func closeTicket(env Env, actor auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	n, err := text("note", req.Note, false, 2000)
	if err != nil {
		return nil, err
	}
	if t.Satisfied != nil && !*t.Satisfied && !actor.Is(supervisors...) {
		return nil, errs.E(errs.Forbidden, "the citizen was unsatisfied: only a supervisor may close without reopening")
	}
	t.ClosedAt = ptr(env.Now)
	return map[string]any{"note": n}, nil
}

func reject(env Env, _ auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	reason, err := text("reason", req.Reason, true, 1000)
	if err != nil {
		return nil, err
	}
	t.ClosedAt = ptr(env.Now)
	return map[string]any{"reason": reason}, nil
}

func note(_ Env, _ auth.Actor, _ *Ticket, req Request) (map[string]any, error) {
	n, err := text("text", req.Text, true, 2000)
	if err != nil {
		return nil, err
	}
	return withAttachments(map[string]any{"text": n}, req)
}

// contribute records a supporting department's part (协办意见); the lead
// department takes it into its reply.
func contribute(_ Env, actor auth.Actor, t *Ticket, req Request) (map[string]any, error) {
	if !slices.Contains(t.CoDepartments, actor.Department) {
		return nil, errs.E(errs.Forbidden, "only a supporting department contributes; the lead department replies")
	}
	n, err := text("text", req.Text, true, 5000)
	if err != nil {
		return nil, err
	}
	return map[string]any{"text": n}, nil
}

// ApplyMerge merges the duplicate dup into target (并单): dup becomes merged
// and points at target; target only gains a history entry. No field is
// copied between them: the agent carries over anything needed by a note.
// On error neither ticket changes. Errors: forbidden, conflict, invalid.
func ApplyMerge(env Env, actor auth.Actor, dup, target *Ticket) (dupEvent, targetEvent Event, err error) {
	if err := Authorize(actor, dup, ActionMerge); err != nil {
		return Event{}, Event{}, err
	}
	if dup.ID == target.ID {
		return Event{}, Event{}, errs.E(errs.Invalid, "a ticket cannot be merged into itself")
	}
	if target.Status == StatusMerged || target.Status == StatusRejected {
		return Event{}, Event{}, errs.E(errs.Conflict, "cannot merge into a ticket that is %s", target.Status)
	}
	from := dup.Status
	dup.Status, dup.MergedInto, dup.ClosedAt = StatusMerged, ptr(target.ID), ptr(env.Now)
	dup.UpdatedAt, target.UpdatedAt = env.Now, env.Now
	dup.Version++
	target.Version++
	dupEvent = newEvent(env.Now, actor, dup.ID, string(ActionMerge), from, StatusMerged,
		map[string]any{"into": target.ID, "into_number": target.Number})
	targetEvent = newEvent(env.Now, actor, target.ID, "merged_in", target.Status, target.Status,
		map[string]any{"duplicate": dup.ID, "duplicate_number": dup.Number})
	return dupEvent, targetEvent, nil
}

func ptr[T any](v T) *T { return &v }
