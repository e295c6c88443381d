package ticketing_test

import (
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/ticketing"
)

var (
	agent = auth.Actor{UserID: 3, Username: "agent1", Role: auth.RoleAgent}
	rsj   = auth.Actor{UserID: 5, Username: "dept-rsj", Role: auth.RoleDepartment, Department: "rsj"}
)

// at parses a Shanghai local time "2006-01-02 15:04:05.999".
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05.999", s, shanghai(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func env(t *testing.T, now time.Time) ticketing.Env {
	return ticketing.Env{Now: now, Calendar: cal2026(t), Policies: ticketing.DefaultPolicies(),
		DepartmentExists: func(string) bool { return true }}
}

// dispatched returns a ticket of kind dispatched to rsj (with cgj
// supporting) at the given local time.
func dispatched(t *testing.T, kind ticketing.Kind, when string) *ticketing.Ticket {
	t.Helper()
	tk := &ticketing.Ticket{ID: 7, Number: "202609300000007", Kind: kind, Status: ticketing.StatusAccepted,
		Urgency: ticketing.UrgencyNormal, Citizen: ticketing.Citizen{Phone: "13800001234"}}
	ev, err := ticketing.Apply(env(t, at(t, when)), agent, tk, ticketing.ActionDispatch,
		ticketing.Request{Department: "rsj", CoDepartments: []string{"cgj"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Outbox) != 2 || ev.Outbox[0].Department != "rsj" || ev.Outbox[1].Department != "cgj" {
		t.Fatalf("dispatch messages = %+v, want one to each department", ev.Outbox)
	}
	return tk
}

// supervise runs the sweep rules at a local time and returns the actions
// of the events they record.
func supervise(t *testing.T, tk *ticketing.Ticket, when string) []string {
	t.Helper()
	var actions []string
	for _, ev := range ticketing.Supervise(env(t, at(t, when)), tk) {
		actions = append(actions, ev.Action+":"+reason(ev))
	}
	return actions
}

func reason(ev ticketing.Event) string {
	if r, ok := ev.Payload["reason"].(string); ok {
		return r
	}
	return ""
}

func expect(t *testing.T, when string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("at %s: events %v, want %v", when, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("at %s: events %v, want %v", when, got, want)
		}
	}
}

// A complaint dispatched the day before the National Day holiday: 15
// working days end on 2026-10-27. Signing is due the first working day
// after the holiday; 80% of the working time passes on 2026-10-22 at
// 21:11:59.2, before the last working day begins.
func TestSupervise_ComplaintAcrossNationalDay(t *testing.T) {
	tk := dispatched(t, ticketing.KindComplaint, "2026-09-30 10:00:00")
	if want := at(t, "2026-10-22 21:11:59.2"); tk.WarnAt.Sub(want).Abs() > time.Millisecond {
		t.Fatalf("warn_at = %s, want %s", tk.WarnAt, want)
	}
	steps := []struct {
		when string
		want []string
	}{
		{"2026-10-01 12:00:00", nil},
		{"2026-10-08 23:59:59", nil},
		{"2026-10-09 00:00:00", []string{"urge:sign_overdue"}},
		{"2026-10-09 00:05:00", nil}, // a second sweep records nothing new
	}
	for _, s := range steps {
		expect(t, s.when, supervise(t, tk, s.when), s.want...)
	}
	if _, err := ticketing.Apply(env(t, at(t, "2026-10-09 09:00:00")), rsj, tk, ticketing.ActionSign, ticketing.Request{}); err != nil {
		t.Fatal(err)
	}
	steps = []struct {
		when string
		want []string
	}{
		{"2026-10-22 21:11:59", nil},
		{"2026-10-22 21:12:00", []string{"warn:"}},
		{"2026-10-22 21:13:00", nil},
		{"2026-10-27 23:59:59", nil},
		{"2026-10-28 00:00:00", []string{"urge:overdue"}},
		{"2026-10-28 00:01:00", nil},
	}
	for _, s := range steps {
		expect(t, s.when, supervise(t, tk, s.when), s.want...)
	}
	if tk.UrgeCount != 2 || tk.SignOverdueAt == nil || tk.OverdueAt == nil || tk.WarnedAt == nil {
		t.Fatalf("supervision record = urges %d sign_overdue %v overdue %v warned %v", tk.UrgeCount, tk.SignOverdueAt, tk.OverdueAt, tk.WarnedAt)
	}
}

// A consultation dispatched on a Friday afternoon: the weekend does not
// count, so 2 working days end on Tuesday; the warning comes when one
// working day remains, at the end of Monday.
func TestSupervise_ConsultationAcrossWeekend(t *testing.T) {
	tk := dispatched(t, ticketing.KindConsultation, "2026-11-20 15:00:00")
	if !tk.DueAt.Equal(at(t, "2026-11-24 23:59:59")) {
		t.Fatalf("due_at = %s", tk.DueAt)
	}
	if !tk.WarnAt.Equal(at(t, "2026-11-23 23:59:59")) {
		t.Fatalf("warn_at = %s, want Monday 23:59:59", tk.WarnAt)
	}
	expect(t, "Sunday", supervise(t, tk, "2026-11-22 12:00:00"))
	// Signing was due at the end of Monday, together with the warning.
	evs := ticketing.Supervise(env(t, at(t, "2026-11-24 00:00:00")), tk)
	if len(evs) != 2 || evs[0].Payload["reason"] != "sign_overdue" || evs[1].Action != "warn" {
		t.Fatalf("Tuesday 00:00 events = %+v", evs)
	}
	for _, m := range evs[1].Outbox {
		if m.Event != "ticket.warning" {
			t.Fatalf("warning message %+v", m)
		}
	}
	if len(evs[1].Outbox) != 3 { // lead, supporting department, supervisors
		t.Fatalf("warning messages = %+v", evs[1].Outbox)
	}
}

// When the sweep first runs after the deadline (a node was down), the
// ticket gets the overdue urge without a stale warning.
func TestSupervise_LateSweepSkipsStaleWarning(t *testing.T) {
	tk := dispatched(t, ticketing.KindConsultation, "2026-11-20 15:00:00")
	tk.SignOverdueAt = &tk.CreatedAt // signing handled elsewhere in this test
	expect(t, "Wednesday", supervise(t, tk, "2026-11-25 09:00:00"), "urge:overdue")
	if tk.WarnedAt == nil {
		t.Fatal("warning not marked, a later sweep would send it")
	}
	expect(t, "Wednesday later", supervise(t, tk, "2026-11-25 10:00:00"))
}

// The callback is due from the start of the working day after the reply.
func TestSupervise_CallbackDueNextWorkingDay(t *testing.T) {
	tk := dispatched(t, ticketing.KindConsultation, "2026-11-19 09:00:00")
	e := env(t, at(t, "2026-11-19 10:00:00"))
	for _, a := range []ticketing.Action{ticketing.ActionSign, ticketing.ActionReply} {
		if _, err := ticketing.Apply(e, rsj, tk, a, ticketing.Request{Reply: "已办理"}); err != nil {
			t.Fatal(err)
		}
	}
	if !tk.CallbackDueAt.Equal(at(t, "2026-11-20 00:00:00")) {
		t.Fatalf("callback_due_at = %s, want the next working day after the Thursday reply", tk.CallbackDueAt)
	}
	expect(t, "Thursday night", supervise(t, tk, "2026-11-19 23:59:59"))
	evs := ticketing.Supervise(env(t, at(t, "2026-11-20 00:00:00")), tk)
	if len(evs) != 1 || evs[0].Action != "callback_due" {
		t.Fatalf("events = %+v", evs)
	}
	var sms, staff int
	for _, m := range evs[0].Outbox {
		switch {
		case m.Topic == ticketing.TopicCitizen && m.Template == ticketing.TemplateCallback:
			sms++
		case m.Topic == ticketing.TopicStaff && m.Audience == ticketing.AudienceAgents:
			staff++
		}
	}
	if sms != 1 || staff != 1 {
		t.Fatalf("callback messages = %+v", evs[0].Outbox)
	}
	expect(t, "Friday", supervise(t, tk, "2026-11-20 08:00:00"))
}

// An approved extension moves the warning with the deadline and clears
// an overdue mark it makes obsolete.
func TestSupervise_ExtensionMovesWarning(t *testing.T) {
	tk := dispatched(t, ticketing.KindConsultation, "2026-11-20 15:00:00")
	e := env(t, at(t, "2026-11-23 10:00:00"))
	if _, err := ticketing.Apply(e, rsj, tk, ticketing.ActionRequestExtension, ticketing.Request{Days: 3, Reason: "需现场核查"}); err != nil {
		t.Fatal(err)
	}
	expect(t, "Tuesday", supervise(t, tk, "2026-11-24 00:00:00"), "urge:sign_overdue", "warn:")
	e.Now = at(t, "2026-11-24 09:00:00")
	sup := auth.Actor{UserID: 2, Username: "supervisor", Role: auth.RoleSupervisor}
	if _, err := ticketing.Apply(e, sup, tk, ticketing.ActionApproveExtension, ticketing.Request{}); err != nil {
		t.Fatal(err)
	}
	if !tk.DueAt.Equal(at(t, "2026-11-27 23:59:59")) || tk.WarnedAt != nil || !tk.WarnAt.After(e.Now) {
		t.Fatalf("after extension: due %s warn_at %s warned %v", tk.DueAt, tk.WarnAt, tk.WarnedAt)
	}
	expect(t, "new warning", supervise(t, tk, "2026-11-27 00:00:00"), "warn:")
}

func TestWorkingTime(t *testing.T) {
	c := cal2026(t)
	for _, tc := range []struct {
		from, to string
		want     time.Duration
	}{
		{"2026-11-20 15:00:00", "2026-11-23 03:00:00", 12 * time.Hour}, // Friday 9h + Monday 3h
		{"2026-09-30 22:00:00", "2026-10-08 01:00:00", 3 * time.Hour},  // the holiday does not count
		{"2026-10-10 10:00:00", "2026-10-10 11:00:00", time.Hour},      // an adjusted Saturday counts
		{"2026-11-21 10:00:00", "2026-11-21 11:00:00", 0},
		{"2026-11-23 11:00:00", "2026-11-23 10:00:00", 0},
	} {
		if got := c.WorkingTime(at(t, tc.from), at(t, tc.to)); got != tc.want {
			t.Errorf("WorkingTime(%s, %s) = %s, want %s", tc.from, tc.to, got, tc.want)
		}
		if tc.want > 0 {
			if got := c.AddWorkingTime(at(t, tc.from), tc.want); !got.Equal(at(t, tc.to)) {
				t.Errorf("AddWorkingTime(%s, %s) = %s, want %s", tc.from, tc.want, got, tc.to)
			}
		}
	}
}
