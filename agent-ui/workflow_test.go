package agentui_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// allowed is the workflow as the hotline's rules state it: for each action,
// the statuses it applies to and the roles that may take it. The test checks
// the server against this table, not against the server's own rules.
var allowed = map[string]struct {
	from  []string
	roles []string
}{
	"close_directly":    {[]string{"accepted"}, []string{"admin", "supervisor", "agent"}},
	"dispatch":          {[]string{"accepted", "returned"}, []string{"admin", "supervisor", "agent"}},
	"sign":              {[]string{"dispatched"}, []string{"department"}},
	"return":            {[]string{"dispatched", "in_progress"}, []string{"department"}},
	"request_extension": {[]string{"dispatched", "in_progress"}, []string{"department"}},
	"approve_extension": {[]string{"dispatched", "in_progress"}, []string{"admin", "supervisor"}},
	"deny_extension":    {[]string{"dispatched", "in_progress"}, []string{"admin", "supervisor"}},
	"reply":             {[]string{"in_progress"}, []string{"department"}},
	"urge":              {[]string{"dispatched", "in_progress"}, []string{"admin", "supervisor"}},
	"callback":          {[]string{"replied"}, []string{"admin", "supervisor", "agent"}},
	"reopen":            {[]string{"replied"}, []string{"admin", "supervisor", "agent"}},
	"close":             {[]string{"replied"}, []string{"admin", "supervisor", "agent"}},
	"merge":             {[]string{"accepted", "returned"}, []string{"admin", "supervisor", "agent"}},
	"reject":            {[]string{"accepted", "returned"}, []string{"admin", "supervisor", "agent"}},
	"note":              {[]string{"accepted", "dispatched", "in_progress", "returned", "replied", "closed", "merged", "rejected"}, []string{"admin", "supervisor", "agent", "department"}},
}

var statuses = []string{"accepted", "dispatched", "in_progress", "returned", "replied", "closed", "merged", "rejected"}

// userOf is the user acting in each role; the department user belongs to
// the department tickets are dispatched to.
var userOf = map[string]string{"admin": "admin", "supervisor": "supervisor", "agent": "agent2", "department": "dept-rsj"}

// prepare brings a new ticket into status, with what the action needs.
func (e *env) prepare(status, action string) ticket {
	e.t.Helper()
	t := e.newTicket("complaint", nil)
	switch status {
	case "closed":
		e.mustAct("agent1", t.ID, "close_directly", map[string]any{"reply": "已答复"})
	case "merged":
		other := e.newTicket("complaint", nil)
		e.mustAct("agent1", t.ID, "merge", map[string]any{"into": other.ID})
	case "rejected":
		e.mustAct("agent1", t.ID, "reject", map[string]any{"reason": "无效来电"})
	case "dispatched", "in_progress", "returned", "replied":
		e.mustAct("agent1", t.ID, "dispatch", map[string]any{"department": "rsj"})
		switch status {
		case "returned":
			e.mustAct("dept-rsj", t.ID, "return", map[string]any{"reason": "不属于本单位职责"})
		case "in_progress", "replied":
			e.mustAct("dept-rsj", t.ID, "sign", nil)
			if status == "replied" {
				e.mustAct("dept-rsj", t.ID, "reply", map[string]any{"reply": "已处理"})
			}
		}
	}
	switch {
	case (action == "approve_extension" || action == "deny_extension") && (status == "dispatched" || status == "in_progress"):
		e.mustAct("dept-rsj", t.ID, "request_extension", map[string]any{"days": 5, "reason": "需现场核查"})
	case action == "reopen" && status == "replied":
		e.mustAct("agent1", t.ID, "callback", map[string]any{"satisfaction": 2, "satisfied": false})
	}
	return e.get("admin", t.ID)
}

func (e *env) validBody(action string) map[string]any {
	switch action {
	case "close_directly", "reply":
		return map[string]any{"reply": "答复内容"}
	case "dispatch":
		return map[string]any{"department": "rsj"}
	case "return", "deny_extension", "reopen", "reject":
		return map[string]any{"reason": "理由"}
	case "request_extension":
		return map[string]any{"days": 3, "reason": "理由"}
	case "urge":
		return map[string]any{"note": "请尽快办理"}
	case "callback":
		return map[string]any{"satisfaction": 5, "satisfied": true}
	case "merge":
		return map[string]any{"into": e.newTicket("complaint", nil).ID}
	case "note":
		return map[string]any{"text": "备注"}
	}
	return nil
}

// expectedStatus is what the table says the server must answer.
func expectedStatus(action, role string, t ticket) int {
	rule := allowed[action]
	if role == "department" && t.Department != "rsj" && !slices.Contains(t.CoDepartments, "rsj") {
		return 404 // a department never learns of tickets that are not its own
	}
	if !slices.Contains(rule.roles, role) {
		return 403
	}
	if !slices.Contains(rule.from, t.Status) {
		return 409
	}
	return 200
}

func TestWorkflow_EveryActionRoleAndStatus(t *testing.T) {
	e := newEnv(t)
	for action := range allowed {
		for _, status := range statuses {
			for _, role := range []string{"admin", "supervisor", "agent", "department"} {
				t.Run(fmt.Sprintf("%s/%s/%s", action, status, role), func(t *testing.T) {
					e.t = t
					tk := e.prepare(status, action)
					if tk.Status != status {
						t.Fatalf("prepared ticket is %s, want %s", tk.Status, status)
					}
					before, history := e.get("admin", tk.ID), e.events(tk.ID)
					want := expectedStatus(action, role, tk)
					r := e.act(userOf[role], tk.ID, action, e.validBody(action))
					if r.Status != want {
						t.Fatalf("%s by %s on %s ticket: status %d, want %d: %s", action, role, status, r.Status, want, r.Body)
					}
					after, newHistory := e.get("admin", tk.ID), e.events(tk.ID)
					if want != 200 {
						e.errorCode(r)
						if !reflect.DeepEqual(before, after) || len(newHistory) != len(history) {
							t.Fatalf("a refused %s changed the ticket or its history", action)
						}
						return
					}
					if len(newHistory) != len(history)+1 && action != "merge" {
						t.Fatalf("history grew by %d, want 1", len(newHistory)-len(history))
					}
					last := newHistory[len(newHistory)-1]
					if last.Action != action || last.From != status || last.To != after.Status || last.Actor.Username != userOf[role] {
						t.Fatalf("last event %+v does not record %s by %s from %s to %s", last, action, userOf[role], status, after.Status)
					}
					if after.Version != before.Version+1 {
						t.Fatalf("version %d → %d", before.Version, after.Version)
					}
				})
			}
		}
	}
}
