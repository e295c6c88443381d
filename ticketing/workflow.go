package ticketing

import (
	"slices"
	"strings"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// Action is something a user does to a ticket.
type Action string

// The actions of the closed loop.
const (
	ActionCloseDirectly    Action = "close_directly"    // agent answers at once (直接办结)
	ActionDispatch         Action = "dispatch"          // 派单
	ActionSign             Action = "sign"              // 签收
	ActionReturn           Action = "return"            // 退单
	ActionRequestExtension Action = "request_extension" // 申请延期
	ActionApproveExtension Action = "approve_extension"
	ActionDenyExtension    Action = "deny_extension"
	ActionReply            Action = "reply"    // 答复
	ActionUrge             Action = "urge"     // 督办
	ActionCallback         Action = "callback" // 回访
	ActionReopen           Action = "reopen"   // 重办
	ActionClose            Action = "close"    // 办结
	ActionMerge            Action = "merge"    // 并单
	ActionReject           Action = "reject"   // 不予受理
	ActionNote             Action = "note"
	ActionContribute       Action = "contribute" // a supporting department's part (协办意见)
)

// Request carries the fields of an action; which ones are used depends on it.
type Request struct {
	Reply         string   `json:"reply"`
	Reason        string   `json:"reason"`
	Note          string   `json:"note"`
	Text          string   `json:"text"`
	Department    string   `json:"department"`
	CoDepartments []string `json:"co_departments"`
	Days          int      `json:"days"`
	Satisfaction  int      `json:"satisfaction"`
	Satisfied     *bool    `json:"satisfied"`
	Into          int64    `json:"-"` // set by the edge from the "into" field
	// Result (callback) is the citizen's answer; satisfaction and
	// satisfied follow from it.
	Result CallbackResult `json:"result"`
	// Attachments (reply, note) names attachments of the same ticket.
	Attachments []int64 `json:"attachments"`
	// GuideCode (close_directly) names the matter guide the answer came from.
	GuideCode string `json:"guide_code"`
}

var (
	staff       = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor, auth.RoleAgent}
	supervisors = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor}
	department  = []auth.Role{auth.RoleDepartment}
	everyone    = auth.Roles
	active      = []Status{StatusDispatched, StatusInProgress}
)

// Rule says which roles may take an action, from which statuses, and the
// status it leads to ("" keeps the status).
type Rule struct {
	Roles []auth.Role
	From  []Status
	To    Status
}

// Rules is the workflow: every action, who may take it and when. Further
// conditions (the return window, a pending extension, …) are checked by the
// action itself and answer conflict.
var Rules = map[Action]Rule{
	ActionCloseDirectly:    {staff, []Status{StatusAccepted}, StatusClosed},
	ActionDispatch:         {staff, []Status{StatusAccepted, StatusReturned}, StatusDispatched},
	ActionSign:             {department, []Status{StatusDispatched}, StatusInProgress},
	ActionReturn:           {department, active, StatusReturned},
	ActionRequestExtension: {department, active, ""},
	ActionApproveExtension: {supervisors, active, ""},
	ActionDenyExtension:    {supervisors, active, ""},
	ActionReply:            {department, []Status{StatusInProgress}, StatusReplied},
	ActionUrge:             {supervisors, active, ""},
	ActionCallback:         {staff, []Status{StatusReplied}, ""},
	ActionReopen:           {staff, []Status{StatusReplied}, StatusDispatched},
	ActionClose:            {staff, []Status{StatusReplied}, StatusClosed},
	ActionMerge:            {staff, []Status{StatusAccepted, StatusReturned}, StatusMerged},
	ActionReject:           {staff, []Status{StatusAccepted, StatusReturned}, StatusRejected},
	ActionNote:             {everyone, Statuses, ""},
	ActionContribute:       {department, []Status{StatusDispatched, StatusInProgress}, ""},
}

// ParseAction returns the named action. Errors: invalid.
func ParseAction(s string) (Action, error) {
	a := Action(s)
	if _, ok := Rules[a]; !ok {
		return "", errs.E(errs.Invalid, "unknown action %q", s)
	}
	return a, nil
}

// Env is what an action needs besides the ticket: the time, the calendar,
// the deadline policies, and which departments exist.
type Env struct {
	Now              time.Time
	Calendar         *Calendar
	Policies         Policies
	DepartmentExists func(code string) bool
	// GuideExists reports whether a published matter guide has code.
	GuideExists func(code string) bool
}

// leadOnly lists actions only the lead department may take; supporting
// departments may read and add notes.
var leadOnly = []Action{ActionSign, ActionReturn, ActionRequestExtension, ActionReply}

// Authorize checks that the actor may take the action on t in its current
// status. Errors: forbidden (role), conflict (status).
func Authorize(actor auth.Actor, t *Ticket, a Action) error {
	r, ok := Rules[a]
	if !ok {
		return errs.E(errs.Invalid, "unknown action %q", a)
	}
	if !actor.Is(r.Roles...) {
		return errs.E(errs.Forbidden, "the %s role may not %s a ticket", roleName(actor), a)
	}
	if actor.Role == auth.RoleDepartment && slices.Contains(leadOnly, a) && t.Department != actor.Department {
		return errs.E(errs.Forbidden, "only the lead department may %s this ticket", a)
	}
	if !slices.Contains(r.From, t.Status) {
		return errs.E(errs.Conflict, "cannot %s a ticket that is %s", a, t.Status)
	}
	return nil
}

func roleName(a auth.Actor) string {
	if a.Role == "" {
		return "(none)"
	}
	return string(a.Role)
}

// Apply takes action a on t for the actor: it checks the rules, changes t
// in place and returns the event to append. On error t is unchanged.
// Merge needs two tickets and goes through ApplyMerge instead.
// Errors: forbidden, conflict, invalid.
func Apply(env Env, actor auth.Actor, t *Ticket, a Action, req Request) (Event, error) {
	if a == ActionMerge {
		return Event{}, errs.E(errs.Internal, "merge needs the target ticket")
	}
	if err := Authorize(actor, t, a); err != nil {
		return Event{}, err
	}
	work := t.Clone()
	from, lead := work.Status, work.Department
	payload, err := actions[a](env, actor, work, req)
	if err != nil {
		return Event{}, err
	}
	if to := Rules[a].To; to != "" {
		work.Status = to
	}
	work.UpdatedAt = env.Now
	work.Version++
	*t = *work
	ev := newEvent(env.Now, actor, t.ID, string(a), from, t.Status, payload)
	ev.Outbox = messagesFor(env.Now.Location(), a, t, lead, payload)
	return ev, nil
}

func newEvent(at time.Time, actor auth.Actor, id int64, action string, from, to Status, payload map[string]any) Event {
	return Event{TicketID: id, At: at, ActorID: actor.UserID, ActorName: actor.Username,
		ActorRole: string(actor.Role), Department: actor.Department,
		Action: action, From: from, To: to, Payload: payload}
}

// text trims a long text (line breaks and tabs allowed) and checks it is
// present (when required) and not too long.
func text(field, s string, required bool, max int) (string, error) {
	return trimmed(field, s, required, max, false)
}

// line is text for one-line fields: titles, categories, regions, links.
func line(field, s string, required bool, max int) (string, error) {
	return trimmed(field, s, required, max, true)
}

func trimmed(field, s string, required bool, max int, singleLine bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", errs.E(errs.Invalid, "%s is required", field)
	}
	if err := bounded(field, s, max, singleLine); err != nil {
		return "", err
	}
	return s, nil
}

type actionFunc func(env Env, actor auth.Actor, t *Ticket, req Request) (map[string]any, error)

var actions = map[Action]actionFunc{
	ActionCloseDirectly:    closeDirectly,
	ActionDispatch:         dispatch,
	ActionSign:             sign,
	ActionReturn:           returnTicket,
	ActionRequestExtension: requestExtension,
	ActionApproveExtension: approveExtension,
	ActionDenyExtension:    denyExtension,
	ActionReply:            reply,
	ActionUrge:             urge,
	ActionCallback:         callback,
	ActionReopen:           reopen,
	ActionClose:            closeTicket,
	ActionReject:           reject,
	ActionNote:             note,
	ActionContribute:       contribute,
}
