package agentui_test

import (
	"bytes"
	"fmt"
	"testing"
)

// unchanged takes the ticket and its history before a refused action and
// checks that the refusal left both as they were.
func (e *env) unchanged(id int64) func(what string) {
	e.t.Helper()
	before, beforeEvents := e.call("admin", "GET", fmt.Sprintf("/api/v1/tickets/%d", id), nil), len(e.events(id))
	return func(what string) {
		e.t.Helper()
		after := e.call("admin", "GET", fmt.Sprintf("/api/v1/tickets/%d", id), nil)
		if !bytes.Equal(before.Body, after.Body) || len(e.events(id)) != beforeEvents {
			e.t.Fatalf("%s changed the ticket:\nbefore %s\nafter  %s", what, before.Body, after.Body)
		}
	}
}

// refused takes an action that must be refused with status and must
// leave the ticket and its history unchanged.
func (e *env) refused(status int, user string, id int64, action string, body any) {
	e.t.Helper()
	check := e.unchanged(id)
	if r := e.act(user, id, action, body); r.Status != status {
		e.t.Fatalf("%s %s: %d %s, want %d", user, action, r.Status, r.Body, status)
	}
	check(user + " " + action)
}

func TestDepartmentSide_RefusalsChangeNothing(t *testing.T) {
	e := newEnv(t)
	// Returned after the window: dispatched 09-30, the window ends 10-08.
	late := e.mustAct("agent1", e.newTicket("help", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	// Returned three times, then assigned by a supervisor.
	assigned := e.newTicket("complaint", nil)
	for i := 0; i < 3; i++ {
		e.mustAct("agent1", assigned.ID, "dispatch", map[string]any{"department": "rsj"})
		e.mustAct("dept-rsj", assigned.ID, "return", map[string]any{"reason": fmt.Sprintf("第%d次退单", i+1)})
	}
	e.mustAct("supervisor", assigned.ID, "dispatch", map[string]any{"department": "rsj"})
	e.refused(409, "dept-rsj", assigned.ID, "return", map[string]any{"reason": "第4次退单"})

	// A consultation due 10-09; an extension requested after that.
	due := e.mustAct("agent1", e.newTicket("consultation", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	e.mustAct("dept-rsj", due.ID, "sign", nil)

	e.clock.Set(e.at("2026-10-10 09:00:00"))
	e.refused(409, "dept-rsj", late.ID, "return", map[string]any{"reason": "非本单位职责"})
	e.refused(409, "dept-rsj", due.ID, "request_extension", map[string]any{"days": 2, "reason": "需协调"})

	// Another department cannot touch rsj's ticket: it does not exist for them.
	for _, a := range []struct {
		action string
		body   map[string]any
	}{{"sign", nil}, {"return", map[string]any{"reason": "x"}}, {"reply", map[string]any{"reply": "x"}},
		{"request_extension", map[string]any{"days": 1, "reason": "x"}}, {"note", map[string]any{"text": "x"}},
		{"contribute", map[string]any{"text": "x"}}} {
		e.refused(404, "dept-cgj", late.ID, a.action, a.body)
	}
}

// Supporting departments add their part; the lead replies.
func TestDepartmentSide_LeadAndSupportingDepartments(t *testing.T) {
	e := newEnv(t)
	tk := e.mustAct("agent1", e.newTicket("complaint", nil).ID, "dispatch",
		map[string]any{"department": "rsj", "co_departments": []string{"cgj"}})
	e.mustAct("dept-rsj", tk.ID, "sign", nil)
	e.refused(403, "dept-rsj", tk.ID, "contribute", map[string]any{"text": "主办单位不需协办意见"})
	e.refused(403, "dept-cgj", tk.ID, "reply", map[string]any{"reply": "协办单位不能答复"})
	e.refused(403, "dept-cgj", tk.ID, "sign", nil)
	e.refused(400, "dept-cgj", tk.ID, "contribute", map[string]any{"text": "  "})
	e.mustAct("dept-cgj", tk.ID, "contribute", map[string]any{"text": "已清理占道摊点"})
	evs := e.events(tk.ID)
	last := evs[len(evs)-1]
	if last.Action != "contribute" || last.Actor.Username != "dept-cgj" || last.Payload["text"] != "已清理占道摊点" {
		t.Fatalf("contribution event %+v", last)
	}
	// The lead department hears of it.
	var out struct {
		Items []struct{ Department, Event, State string }
	}
	e.must(e.call("dept-rsj", "GET", fmt.Sprintf("/api/v1/deliveries?ticket=%d", tk.ID), nil), 200, &out)
	var contributed bool
	for _, d := range out.Items {
		if d.Department != "rsj" {
			t.Fatalf("rsj sees a delivery of %s", d.Department)
		}
		contributed = contributed || d.Event == "ticket.contributed"
	}
	if !contributed {
		t.Fatalf("no delivery of the contribution to the lead: %+v", out.Items)
	}
	e.mustAct("dept-rsj", tk.ID, "reply", map[string]any{"reply": "会同城管局处理完毕"})
}

// The callback list shows replied tickets from the working day after the reply.
func TestCallbackList_FromTheNextWorkingDay(t *testing.T) {
	e := newEnv(t)
	tk := e.mustAct("agent1", e.newTicket("consultation", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	e.mustAct("dept-rsj", tk.ID, "sign", nil)
	e.mustAct("dept-rsj", tk.ID, "reply", map[string]any{"reply": "已答复"}) // 09-30, before National Day
	list := func() int {
		var out struct{ Items []ticket }
		e.must(e.call("agent1", "GET", "/api/v1/tickets?callback_due=true", nil), 200, &out)
		return len(out.Items)
	}
	e.clock.Set(e.at("2026-10-07 23:59:59"))
	if n := list(); n != 0 {
		t.Fatalf("%d tickets due for callback during the holiday", n)
	}
	e.clock.Set(e.at("2026-10-08 00:00:00"))
	if n := list(); n != 1 {
		t.Fatalf("%d tickets due for callback on the next working day, want 1", n)
	}
	if r := e.call("agent1", "GET", "/api/v1/tickets?callback_due=yes", nil); r.Status != 400 {
		t.Fatalf("callback_due=yes: %d", r.Status)
	}
}

// The delivery and queue endpoints check roles and input.
func TestDeliveries_API(t *testing.T) {
	e := newEnv(t)
	tk := e.mustAct("agent1", e.newTicket("complaint", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	var out struct {
		Items []struct {
			ID, Department, Event, State string
			TicketID                     int64 `json:"ticket_id"`
		}
	}
	e.must(e.call("supervisor", "GET", "/api/v1/deliveries?state=pending", nil), 200, &out)
	if len(out.Items) != 1 || out.Items[0].TicketID != tk.ID || out.Items[0].Event != "ticket.dispatched" {
		t.Fatalf("pending deliveries %+v", out.Items)
	}
	id := out.Items[0].ID
	for _, c := range []struct {
		user, method, path string
		status             int
	}{
		{"agent1", "GET", "/api/v1/deliveries", 403},
		{"dept-cgj", "GET", "/api/v1/deliveries?ticket=" + fmt.Sprint(tk.ID), 200},
		{"admin", "GET", "/api/v1/deliveries?state=lost", 400},
		{"admin", "GET", "/api/v1/deliveries?limit=abc", 400},
		{"admin", "GET", "/api/v1/deliveries?limit=100000", 400},
		{"admin", "GET", "/api/v1/deliveries?ticket=-1", 400},
		{"admin", "POST", "/api/v1/deliveries/" + id + "/retry", 409}, // pending, not failed
		{"admin", "POST", "/api/v1/deliveries/not-a-uuid/retry", 404},
		{"admin", "POST", "/api/v1/deliveries/00000000-0000-0000-0000-000000000000/retry", 404},
		{"dept-rsj", "POST", "/api/v1/deliveries/" + id + "/retry", 403},
		{"agent1", "GET", "/api/v1/admin/queues", 403},
		{"admin", "GET", "/api/v1/admin/queues", 200},
		{"", "GET", "/api/v1/deliveries", 401},
	} {
		r := e.call(c.user, c.method, c.path, nil)
		if r.Status != c.status {
			t.Errorf("%s %s %s: %d %s, want %d", c.user, c.method, c.path, r.Status, r.Body, c.status)
		}
		if c.user == "dept-cgj" && bytes.Contains(r.Body, []byte(id)) {
			t.Errorf("cgj sees rsj's delivery: %s", r.Body)
		}
	}
	var stats struct {
		Queues  []struct{ Queue string }
		Backlog *int `json:"outbox_backlog"`
	}
	e.must(e.call("admin", "GET", "/api/v1/admin/queues", nil), 200, &stats)
	if len(stats.Queues) != 3 || stats.Backlog == nil || *stats.Backlog < 1 {
		t.Fatalf("queue stats %+v", stats)
	}
}
