package agentui_test

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func (e *env) at(s string) time.Time {
	e.t.Helper()
	tm, err := time.ParseInLocation(time.DateTime, s, e.loc)
	if err != nil {
		e.t.Fatal(err)
	}
	return tm
}

func (e *env) wantTime(what string, got *time.Time, want string) {
	e.t.Helper()
	if got == nil || got.In(e.loc).Format(time.DateTime) != want {
		e.t.Fatalf("%s = %v, want %s", what, got, want)
	}
}

func TestDeadlines_ComplaintDispatchedBeforeNationalDay(t *testing.T) {
	e := newEnv(t)
	tk := e.newTicket("complaint", nil)
	tk = e.mustAct("agent1", tk.ID, "dispatch", map[string]any{"department": "rsj"})
	e.wantTime("sign_due_at", tk.SignDueAt, "2026-10-08 23:59:59")
	e.wantTime("due_at", tk.DueAt, "2026-10-27 23:59:59")

	var d struct {
		SignDueAt *time.Time `json:"sign_due_at"`
		DueAt     *time.Time `json:"due_at"`
	}
	e.must(e.call("agent1", "GET", "/api/v1/deadline?from=2026-09-30T10:00:00%2B08:00&kind=complaint", nil), 200, &d)
	e.wantTime("GET /deadline due_at", d.DueAt, "2026-10-27 23:59:59")
	e.must(e.call("agent1", "GET", "/api/v1/deadline?from=2026-10-01T23:50:00%2B08:00&kind=help&urgency=urgent", nil), 200, &d)
	e.wantTime("urgent sign_due_at", d.SignDueAt, "2026-10-02 00:05:00")
	e.wantTime("urgent due_at", d.DueAt, "2026-10-02 23:50:00")
	for _, bad := range []string{"from=yesterday&kind=complaint", "from=2026-09-30T10:00:00Z&kind=gossip",
		"from=2026-09-30T10:00:00Z&kind=help&urgency=soon", "kind=help"} {
		if r := e.call("agent1", "GET", "/api/v1/deadline?"+bad, nil); r.Status != 400 {
			t.Errorf("GET /deadline?%s: %d, want 400", bad, r.Status)
		}
	}
}

func TestCalendar_EditedHolidayMovesDeadlines(t *testing.T) {
	e := newEnv(t)
	var y struct{ Holidays, Workdays []string }
	e.must(e.call("agent1", "GET", "/api/v1/calendar/2026", nil), 200, &y)
	if len(y.Holidays) != 33 || len(y.Workdays) != 6 {
		t.Fatalf("default 2026 calendar has %d holidays and %d workdays", len(y.Holidays), len(y.Workdays))
	}
	// A city adds 2026-10-08 as a local holiday.
	y.Holidays = append(y.Holidays, "2026-10-08")
	if r := e.call("agent1", "PUT", "/api/v1/calendar/2026", y); r.Status != 403 {
		t.Fatalf("agent edited the calendar: %d", r.Status)
	}
	e.must(e.call("admin", "PUT", "/api/v1/calendar/2026", y), 200, nil)
	tk := e.mustAct("agent1", e.newTicket("consultation", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	e.wantTime("due_at", tk.DueAt, "2026-10-10 23:59:59")
	for _, bad := range []any{
		map[string]any{"holidays": []string{"2026-13-01"}},
		map[string]any{"holidays": []string{"2025-01-01"}},
		map[string]any{"holidays": []string{"2026-05-01"}, "workdays": []string{"2026-05-01"}},
		map[string]any{"year": 2027, "holidays": []string{}},
	} {
		if r := e.call("admin", "PUT", "/api/v1/calendar/2026", bad); r.Status != 400 {
			t.Errorf("PUT calendar %v: %d, want 400", bad, r.Status)
		}
	}
}

func TestReturn_OnlyWithinOneWorkingDay(t *testing.T) {
	e := newEnv(t)
	early := e.mustAct("agent1", e.newTicket("help", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	late := e.mustAct("agent1", e.newTicket("help", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	if r := e.act("dept-rsj", early.ID, "return", map[string]any{"reason": "  "}); r.Status != 400 {
		t.Fatalf("return without reason: %d", r.Status)
	}
	// Dispatched 09-30; the next working day is 10-08 (after National Day).
	e.clock.Set(e.at("2026-10-08 23:59:00"))
	tk := e.mustAct("dept-rsj", early.ID, "return", map[string]any{"reason": "非本单位职责"})
	if tk.Status != "returned" || tk.Department != "" || tk.ReturnCount != 1 {
		t.Fatalf("after return: %+v", tk)
	}
	e.clock.Set(e.at("2026-10-09 00:00:01"))
	if r := e.act("dept-rsj", late.ID, "return", map[string]any{"reason": "非本单位职责"}); r.Status != 409 {
		t.Fatalf("late return: %d %s", r.Status, r.Body)
	}
}

func TestDispatch_AfterThreeReturnsOnlyASupervisorAssigns(t *testing.T) {
	e := newEnv(t)
	tk := e.newTicket("complaint", nil)
	for i := 0; i < 3; i++ {
		e.mustAct("agent1", tk.ID, "dispatch", map[string]any{"department": "rsj"})
		e.mustAct("dept-rsj", tk.ID, "return", map[string]any{"reason": fmt.Sprintf("第%d次退单", i+1)})
	}
	r := e.act("agent1", tk.ID, "dispatch", map[string]any{"department": "cgj"})
	if r.Status != 403 {
		t.Fatalf("agent dispatched after three returns: %d", r.Status)
	}
	tk = e.mustAct("supervisor", tk.ID, "dispatch", map[string]any{"department": "cgj", "co_departments": []string{"rsj"}})
	if tk.DispatchCount != 4 || tk.Department != "cgj" || len(tk.CoDepartments) != 1 {
		t.Fatalf("after supervisor dispatch: %+v", tk)
	}
	for _, bad := range []map[string]any{{"department": "nope"}, {"department": "cgj", "co_departments": []string{"cgj"}},
		{"department": "cgj", "co_departments": []string{"rsj", "rsj"}}, {}} {
		fresh := e.newTicket("help", nil)
		if r := e.act("agent1", fresh.ID, "dispatch", bad); r.Status != 400 {
			t.Errorf("dispatch %v: %d, want 400", bad, r.Status)
		}
	}
}

func TestExtension_RequestedBeforeDeadlineAndApproved(t *testing.T) {
	e := newEnv(t)
	tk := e.mustAct("agent1", e.newTicket("consultation", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	e.mustAct("dept-rsj", tk.ID, "sign", nil)
	e.wantTime("due_at", tk.DueAt, "2026-10-09 23:59:59")
	for _, bad := range []map[string]any{{"days": 0, "reason": "x"}, {"days": 3}, {"days": 61, "reason": "x"}, {"days": "3", "reason": "x"}} {
		if r := e.act("dept-rsj", tk.ID, "request_extension", bad); r.Status != 400 {
			t.Errorf("extension %v: %d, want 400", bad, r.Status)
		}
	}
	e.mustAct("dept-rsj", tk.ID, "request_extension", map[string]any{"days": 3, "reason": "需协调多部门"})
	if r := e.act("dept-rsj", tk.ID, "request_extension", map[string]any{"days": 3, "reason": "again"}); r.Status != 409 {
		t.Fatalf("second pending request: %d", r.Status)
	}
	tk = e.mustAct("supervisor", tk.ID, "approve_extension", nil)
	// 10-09 + 3 working days: 10-10 (adjusted Saturday), 10-12, 10-13.
	e.wantTime("extended due_at", tk.DueAt, "2026-10-13 23:59:59")
	if r := e.act("supervisor", tk.ID, "approve_extension", nil); r.Status != 409 {
		t.Fatalf("approved twice: %d", r.Status)
	}
	e.clock.Set(e.at("2026-10-14 08:00:00"))
	if r := e.act("dept-rsj", tk.ID, "request_extension", map[string]any{"days": 2, "reason": "late"}); r.Status != 409 {
		t.Fatalf("extension after the deadline: %d", r.Status)
	}
}

func TestReopen_AfterUnsatisfiedCallbackDispatchesAgain(t *testing.T) {
	e := newEnv(t)
	tk := e.mustAct("agent1", e.newTicket("complaint", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	e.mustAct("dept-rsj", tk.ID, "sign", nil)
	e.mustAct("dept-rsj", tk.ID, "reply", map[string]any{"reply": "已处理"})
	if r := e.act("agent1", tk.ID, "reopen", map[string]any{"reason": "未解决"}); r.Status != 409 {
		t.Fatalf("reopen before callback: %d", r.Status)
	}
	for _, bad := range []map[string]any{{"satisfaction": 0, "satisfied": false}, {"satisfaction": 6, "satisfied": true}, {"satisfaction": 3}} {
		if r := e.act("agent1", tk.ID, "callback", bad); r.Status != 400 {
			t.Errorf("callback %v: %d, want 400", bad, r.Status)
		}
	}
	e.mustAct("agent1", tk.ID, "callback", map[string]any{"satisfaction": 1, "satisfied": false, "note": "噪音依旧"})
	if r := e.act("agent1", tk.ID, "close", nil); r.Status != 403 {
		t.Fatalf("agent closed an unsatisfied ticket: %d", r.Status)
	}
	e.clock.Advance(48 * time.Hour)
	tk = e.mustAct("agent1", tk.ID, "reopen", map[string]any{"reason": "市民不满意"})
	if tk.Status != "dispatched" || tk.ReopenCount != 1 || tk.DispatchCount != 2 || tk.Department != "rsj" || tk.Satisfaction != nil {
		t.Fatalf("after reopen: %+v", tk)
	}
	e.wantTime("new due_at", tk.DueAt, "2026-10-27 23:59:59")
	e.mustAct("dept-rsj", tk.ID, "sign", nil)
	e.mustAct("dept-rsj", tk.ID, "reply", map[string]any{"reply": "已彻底整改"})
	e.mustAct("agent1", tk.ID, "callback", map[string]any{"satisfaction": 5, "satisfied": true})
	tk = e.mustAct("agent1", tk.ID, "close", nil)
	if tk.Status != "closed" || *tk.Satisfaction != 5 {
		t.Fatalf("after close: %+v", tk)
	}
	want := []string{"create", "dispatch", "sign", "reply", "callback", "reopen", "sign", "reply", "callback", "close"}
	evs := e.events(tk.ID)
	if len(evs) != len(want) {
		t.Fatalf("history has %d events, want %d", len(evs), len(want))
	}
	for i, ev := range evs {
		if ev.Action != want[i] {
			t.Errorf("event %d is %s, want %s", i, ev.Action, want[i])
		}
	}
}

func TestMerge_LinksWithoutCopying(t *testing.T) {
	e := newEnv(t)
	target := e.newTicket("complaint", map[string]any{"title": "原工单"})
	dup := e.newTicket("complaint", map[string]any{"title": "重复工单", "content": "同一工地噪音"})
	if r := e.act("agent1", dup.ID, "merge", map[string]any{"into": dup.ID}); r.Status != 400 {
		t.Fatalf("merge into itself: %d", r.Status)
	}
	if r := e.act("agent1", dup.ID, "merge", map[string]any{"into": 999999}); r.Status != 404 {
		t.Fatalf("merge into a missing ticket: %d", r.Status)
	}
	merged := e.mustAct("agent1", dup.ID, "merge", map[string]any{"into": target.Number})
	if merged.Status != "merged" || merged.MergedInto == nil || *merged.MergedInto != target.ID {
		t.Fatalf("merged ticket: %+v", merged)
	}
	after := e.get("agent1", target.ID)
	if after.Title != "原工单" || after.Content != target.Content || after.Status != "accepted" {
		t.Fatalf("the surviving ticket changed: %+v", after)
	}
	evs := e.events(target.ID)
	if last := evs[len(evs)-1]; last.Action != "merged_in" || last.Payload["duplicate_number"] != dup.Number {
		t.Fatalf("surviving ticket's last event %+v", last)
	}
	other := e.newTicket("help", nil)
	if r := e.act("agent1", other.ID, "merge", map[string]any{"into": dup.ID}); r.Status != 409 {
		t.Fatalf("merge into a merged ticket: %d", r.Status)
	}
}

// Two users acting on one ticket at once: the row lock serialises them, so
// exactly one wins, the other gets a conflict, and history shows one change.
func TestConcurrency_OneTicketTwoUsers(t *testing.T) {
	e := newEnv(t)
	for round := 0; round < 15; round++ {
		tk := e.newTicket("complaint", nil)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		bodies := []struct {
			action string
			body   map[string]any
		}{{"close_directly", map[string]any{"reply": "已答复"}}, {"dispatch", map[string]any{"department": "rsj"}}}
		for i := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = e.act("agent"+fmt.Sprint(i+1), tk.ID, bodies[i].action, bodies[i].body).Status
			}()
		}
		wg.Wait()
		if !((codes[0] == 200 && codes[1] == 409) || (codes[0] == 409 && codes[1] == 200)) {
			t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, codes)
		}
		final, evs := e.get("admin", tk.ID), e.events(tk.ID)
		if len(evs) != 2 || final.Version != 2 || evs[1].To != final.Status {
			t.Fatalf("round %d: %d events, version %d, final %s, last event to %s", round, len(evs), final.Version, final.Status, evs[1].To)
		}
	}
	// Notes by many users at once all land, each with its event.
	tk := e.newTicket("help", nil)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.act([]string{"agent1", "agent2", "supervisor", "admin"}[i%4], tk.ID, "note", map[string]any{"text": fmt.Sprint(i)}); r.Status != 200 {
				t.Errorf("note %d: %d", i, r.Status)
			}
		}()
	}
	wg.Wait()
	if got := e.get("admin", tk.ID); got.Version != 21 || len(e.events(tk.ID)) != 21 {
		t.Fatalf("after 20 concurrent notes: version %d, %d events", got.Version, len(e.events(tk.ID)))
	}
}
