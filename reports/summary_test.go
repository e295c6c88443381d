package reports_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/open12345/hotline/reports"
	"github.com/open12345/hotline/ticketing"
)

// handBuilt records March 2026 (and a ticket either side of it) through
// the real workflow and the call and chat records, with the edge cases of
// docs/indicators.md; the tests below check what a supervisor reads.
func handBuilt(t *testing.T) *fixture {
	f := newFixture(t)
	yes := true
	// February: one noise complaint, the previous period of the hot topics.
	f.at(2, 10, 9, 0)
	f.create("agent1", ticketing.NewTicket{Kind: "complaint", Category: "噪音"})

	// T1: answered at once.
	f.at(3, 2, 9, 0)
	t1 := f.create("agent1", ticketing.NewTicket{Kind: "consultation", Category: "社保", Region: "朝阳"})
	f.act("agent1", t1, ticketing.ActionCloseDirectly, ticketing.Request{Reply: "已答复"})

	// T2: dispatched, signed and replied on time, satisfied.
	f.at(3, 2, 10, 0)
	t2 := f.create("agent1", ticketing.NewTicket{Kind: "complaint", Channel: "webchat", Category: "噪音", Region: "海淀"})
	f.at(3, 2, 10, 10)
	f.act("agent1", t2, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})
	f.at(3, 3, 9, 0)
	f.act("dept-rsj", t2, ticketing.ActionSign, ticketing.Request{})
	f.at(3, 5, 10, 0)
	f.act("dept-rsj", t2, ticketing.ActionReply, ticketing.Request{Reply: "已处理"})
	f.at(3, 6, 10, 0)
	f.act("agent1", t2, ticketing.ActionCallback, ticketing.Request{Result: ticketing.ResultSatisfied})

	// T3: signed late, replied late, unsatisfied, reopened; the second
	// round is not signed by its deadline (30 March).
	f.at(3, 3, 11, 0)
	t3 := f.create("agent2", ticketing.NewTicket{Kind: "complaint", Category: "噪音", Region: "朝阳"})
	f.act("agent2", t3, ticketing.ActionDispatch, ticketing.Request{Department: "cgj"})
	f.at(3, 5, 9, 0)
	f.act("dept-cgj", t3, ticketing.ActionSign, ticketing.Request{})
	f.at(3, 26, 9, 0)
	f.act("dept-cgj", t3, ticketing.ActionReply, ticketing.Request{Reply: "已处理"})
	f.at(3, 27, 9, 0)
	f.act("agent1", t3, ticketing.ActionCallback, ticketing.Request{Result: ticketing.ResultUnsatisfied})
	f.act("sup1", t3, ticketing.ActionReopen, ticketing.Request{Reason: "未解决"})

	// T4: returned unsigned, dispatched elsewhere, extended, overdue at
	// the end of March (due 19 March + 5 working days = 26 March).
	f.at(3, 4, 9, 0)
	t4 := f.create("agent1", ticketing.NewTicket{Kind: "help", Channel: "web", Category: "供水"})
	f.act("agent1", t4, ticketing.ActionDispatch, ticketing.Request{Department: "rsj"})
	f.at(3, 4, 15, 0)
	f.act("dept-rsj", t4, ticketing.ActionReturn, ticketing.Request{Reason: "非本单位职责"})
	f.at(3, 5, 9, 0)
	f.act("agent1", t4, ticketing.ActionDispatch, ticketing.Request{Department: "cgj"})
	f.at(3, 5, 10, 0)
	f.act("dept-cgj", t4, ticketing.ActionSign, ticketing.Request{})
	f.at(3, 10, 10, 0)
	f.act("dept-cgj", t4, ticketing.ActionRequestExtension, ticketing.Request{Days: 5, Reason: "需现场勘查"})
	f.at(3, 11, 10, 0)
	f.act("sup1", t4, ticketing.ActionApproveExtension, ticketing.Request{})

	// T7: a duplicate merged into T3 the day it came.
	f.at(3, 6, 9, 0)
	t7 := f.create("agent2", ticketing.NewTicket{Kind: "complaint", Category: "噪音"})
	f.act("agent2", t7, ticketing.ActionMerge, ticketing.Request{Into: t3})
	_ = yes

	// T5 at 23:30 on 31 March counts in March; T6 ten minutes after
	// midnight counts in April.
	f.at(3, 31, 23, 30)
	f.create("agent1", ticketing.NewTicket{Kind: "suggestion", Channel: "api"})
	f.at(4, 1, 0, 10)
	f.create("agent1", ticketing.NewTicket{Kind: "suggestion", Channel: "api"})

	// Calls on 2 March (C8 on 9 March); the complaint queue's service
	// level is 30 s, the others the default 20 s.
	if _, err := f.db.Pool.Exec(f.ctx, `UPDATE routing_queues SET config = config || '{"service_level_seconds": 30}' WHERE name = 'complaint'`); err != nil {
		t.Fatal(err)
	}
	day2 := time.Date(2026, 3, 2, 14, 0, 0, 0, cst)
	f.call(call{direction: "inbound", queue: "consultation", agent: "agent1", outcome: "answered", started: day2, wait: 10, talk: 120})
	f.call(call{direction: "inbound", queue: "complaint", agent: "agent2", outcome: "answered", started: day2, wait: 18, talk: 60})
	f.call(call{direction: "inbound", queue: "consultation", outcome: "abandoned", started: day2, wait: 3})
	c4 := f.call(call{direction: "inbound", queue: "consultation", outcome: "abandoned", started: day2, wait: 40})
	c5 := f.call(call{direction: "inbound", queue: "consultation", outcome: "voicemail", started: day2, wait: 70})
	f.call(call{direction: "inbound", outcome: "ivr", started: day2, wait: -1, talk: 30})
	f.call(call{direction: "outbound", agent: "agent1", outcome: "answered", started: day2, wait: -1, talk: 90})
	f.call(call{direction: "inbound", queue: "complaint", agent: "agent2", outcome: "answered",
		started: time.Date(2026, 3, 9, 10, 0, 0, 0, cst), wait: 25, talk: 30})
	f.callback(c4, day2.Add(time.Minute), 10*time.Minute)
	f.callback(c5, day2.Add(2*time.Minute), 0)

	// Chats on 3 March.
	day3 := time.Date(2026, 3, 3, 10, 0, 0, 0, cst)
	f.chat(chat{started: day3, citizenSpoke: true, queuedAfter: -1, agentReply: -1, length: 120, outcome: "bot_only", satisfaction: 5})
	f.chat(chat{started: day3, citizenSpoke: true, queuedAfter: 30, agentReply: 90, length: 600, agent: "agent1", outcome: "answered", satisfaction: 3})
	f.chat(chat{started: day3, queuedAfter: -1, agentReply: -1, length: 60, outcome: "abandoned"})
	f.chat(chat{started: day3, citizenSpoke: true, queuedAfter: 20, agentReply: -1, length: 100, outcome: "left_message"})

	f.at(4, 2, 9, 0) // read the reports in April
	return f
}

var march = reports.Period{From: time.Date(2026, 3, 1, 0, 0, 0, 0, cst), To: time.Date(2026, 3, 31, 0, 0, 0, 0, cst)}

// expect compares a row's fields, by their JSON names, with values worked
// out by hand; nil stands for "nothing measured".
func expect(t *testing.T, what string, r reports.Row, want map[string]any) {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: no field %s", what, k)
			continue
		}
		switch w := w.(type) {
		case nil:
			if g != nil {
				t.Errorf("%s: %s = %v, want null", what, k, g)
			}
		case int:
			if gf, ok := g.(float64); !ok || gf != float64(w) {
				t.Errorf("%s: %s = %v, want %d", what, k, g, w)
			}
		case float64:
			if gf, ok := g.(float64); !ok || math.Abs(gf-w) > 1e-9 {
				t.Errorf("%s: %s = %v, want %v", what, k, g, w)
			}
		case string:
			if g != w {
				t.Errorf("%s: %s = %v, want %q", what, k, g, w)
			}
		}
	}
}

func rowOf(t *testing.T, s reports.Summary, key string) reports.Row {
	t.Helper()
	for _, r := range s.Rows {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("group_by=%s has no row %q: %+v", s.GroupBy, key, s.Rows)
	return reports.Row{}
}

func summary(t *testing.T, f *fixture, g reports.GroupBy) reports.Summary {
	t.Helper()
	s, err := f.reports.Summary(f.ctx, f.users["sup1"], march, g)
	if err != nil {
		t.Fatalf("summary by %s: %v", g, err)
	}
	return s
}

func TestSummary_HandBuiltMonth(t *testing.T) {
	f := handBuilt(t)
	s := summary(t, f, reports.ByDepartment)
	expect(t, "totals", s.Totals, map[string]any{
		"label":           "合计",
		"tickets_created": 6, "closed_directly": 1, "direct_resolution_rate": 1.0 / 6,
		"dispatched": 5, "reopens": 1, "signed_on_time_rate": 2.0 / 5, "completed_on_time_rate": 1.0 / 3,
		"returns": 1, "return_rate": 1.0 / 5, "replies": 2, "reopen_rate": 1.0 / 2,
		"extensions": 1, "extension_rate": 1.0 / 5, "avg_reply_working_days": 10.0, "overdue": 1,
		"callbacks_rated": 2, "satisfaction_rate": 0.5,

		"calls_offered": 6, "calls_answered": 3, "calls_abandoned": 3, "short_abandons": 1,
		"answer_rate": 3.0 / 5, "answer_15s_rate": 1.0 / 5, "service_level": 3.0 / 5,
		"avg_wait_seconds": 166.0 / 6, "max_wait_seconds": 70, "avg_talk_seconds": 70.0, "ivr_calls": 1,
		"outbound_calls": 1, "outbound_reached": 1,
		"callbacks_due": 2, "callbacks_reached": 1, "callback_reached_rate": 0.5, "avg_callback_seconds": 600.0,

		"chats_offered": 3, "chats_bot_only": 1, "chats_handed_off": 2, "chats_answered": 1,
		"avg_first_response_seconds": 60.0, "avg_chat_seconds": 820.0 / 3, "chat_satisfaction_rate": 0.5,
		"chats_left_message": 1,
	})
	expect(t, "department rsj", rowOf(t, s, "rsj"), map[string]any{"label": "人社局",
		"tickets_created": 0, "dispatched": 2, "signed_on_time_rate": 0.5, "returns": 1, "return_rate": 0.5,
		"completed_on_time_rate": 1.0, "replies": 1, "avg_reply_working_days": 3.0, "reopen_rate": 0.0,
		"satisfaction_rate": 1.0, "overdue": 0, "extension_rate": 0.0, "direct_resolution_rate": nil})
	expect(t, "department cgj", rowOf(t, s, "cgj"), map[string]any{"label": "城管局",
		"dispatched": 3, "reopens": 1, "signed_on_time_rate": 1.0 / 3, "completed_on_time_rate": 0.0,
		"replies": 1, "reopen_rate": 1.0, "avg_reply_working_days": 17.0, "extension_rate": 1.0 / 3,
		"overdue": 1, "callbacks_rated": 1, "satisfaction_rate": 0.0, "return_rate": 0.0})
	expect(t, "no department", rowOf(t, s, ""), map[string]any{"label": "未分类",
		"tickets_created": 6, "closed_directly": 1, "dispatched": 0, "signed_on_time_rate": nil,
		"calls_offered": 6, "chats_offered": 3})
	if len(s.Rows) != 3 {
		t.Errorf("by department: %d rows, want rsj, cgj and 未分类", len(s.Rows))
	}
	if len(s.TopCategories) != 3 || s.TopCategories[0] != (reports.HotTopic{Category: "噪音", Label: "噪音", Tickets: 3, Previous: 1, Change: 2}) {
		t.Errorf("hot topics: %+v", s.TopCategories)
	}
}

func TestSummary_HandBuiltGroupings(t *testing.T) {
	f := handBuilt(t)
	byKind := summary(t, f, reports.ByKind)
	expect(t, "complaints", rowOf(t, byKind, "complaint"), map[string]any{"label": "投诉",
		"tickets_created": 3, "dispatched": 3, "replies": 2, "callbacks_rated": 2, "satisfaction_rate": 0.5})
	expect(t, "consultations", rowOf(t, byKind, "consultation"), map[string]any{"label": "咨询",
		"tickets_created": 1, "direct_resolution_rate": 1.0})
	expect(t, "help", rowOf(t, byKind, "help"), map[string]any{"tickets_created": 1, "dispatched": 2, "returns": 1, "overdue": 1})
	expect(t, "suggestions", rowOf(t, byKind, "suggestion"), map[string]any{"tickets_created": 1})

	byChannel := summary(t, f, reports.ByChannel)
	expect(t, "phone", rowOf(t, byChannel, "phone"), map[string]any{"label": "电话",
		"tickets_created": 3, "calls_offered": 6, "callbacks_due": 2, "chats_offered": 0})
	expect(t, "webchat", rowOf(t, byChannel, "webchat"), map[string]any{"label": "网上咨询",
		"tickets_created": 1, "chats_offered": 3, "calls_offered": 0})
	expect(t, "web", rowOf(t, byChannel, "web"), map[string]any{"tickets_created": 1})
	expect(t, "api", rowOf(t, byChannel, "api"), map[string]any{"tickets_created": 1})

	byAgent := summary(t, f, reports.ByAgent)
	expect(t, "agent1", rowOf(t, byAgent, "agent1"), map[string]any{"label": "话务员一",
		"tickets_created": 4, "closed_directly": 1, "dispatched": 3, "calls_offered": 1, "calls_answered": 1,
		"avg_talk_seconds": 120.0, "outbound_calls": 1, "chats_answered": 1, "avg_first_response_seconds": 60.0})
	expect(t, "agent2", rowOf(t, byAgent, "agent2"), map[string]any{"tickets_created": 2, "dispatched": 1,
		"calls_answered": 2, "avg_talk_seconds": 45.0, "avg_wait_seconds": 21.5})
	expect(t, "sup1", rowOf(t, byAgent, "sup1"), map[string]any{"label": "班长", "dispatched": 1, "reopens": 1})

	byQueue := summary(t, f, reports.ByQueue)
	expect(t, "consultation queue", rowOf(t, byQueue, "consultation"), map[string]any{"label": "咨询",
		"calls_offered": 4, "calls_answered": 1, "short_abandons": 1, "answer_rate": 1.0 / 3, "service_level": 1.0 / 3,
		"max_wait_seconds": 70, "callbacks_due": 2})
	expect(t, "complaint queue", rowOf(t, byQueue, "complaint"), map[string]any{"label": "投诉举报",
		"calls_offered": 2, "answer_rate": 1.0, "answer_15s_rate": 0.0, "service_level": 1.0})
	expect(t, "chat queue", rowOf(t, byQueue, "webchat"), map[string]any{"chats_offered": 2, "chats_handed_off": 2})

	byCategory := summary(t, f, reports.ByCategory)
	expect(t, "噪音", rowOf(t, byCategory, "噪音"), map[string]any{"tickets_created": 3, "dispatched": 3})
	expect(t, "供水", rowOf(t, byCategory, "供水"), map[string]any{"tickets_created": 1, "overdue": 1})

	byRegion := summary(t, f, reports.ByRegion)
	expect(t, "朝阳", rowOf(t, byRegion, "朝阳"), map[string]any{"tickets_created": 2, "closed_directly": 1, "dispatched": 2})
	expect(t, "海淀", rowOf(t, byRegion, "海淀"), map[string]any{"tickets_created": 1, "satisfaction_rate": 1.0})

	byDay := summary(t, f, reports.ByDay)
	if len(byDay.Rows) != 31 {
		t.Fatalf("by day: %d rows, want every day of March", len(byDay.Rows))
	}
	expect(t, "2 March", rowOf(t, byDay, "2026-03-02"), map[string]any{"tickets_created": 2, "closed_directly": 1,
		"dispatched": 1, "calls_offered": 5, "overdue": 0})
	expect(t, "24 March", rowOf(t, byDay, "2026-03-24"), map[string]any{"tickets_created": 0,
		"completed_on_time_rate": 0.0, "overdue": 1}) // T3 passes its due date
	expect(t, "26 March", rowOf(t, byDay, "2026-03-26"), map[string]any{"replies": 1, "overdue": 1}) // T3 replied, T4 due
	expect(t, "31 March", rowOf(t, byDay, "2026-03-31"), map[string]any{"tickets_created": 1, "overdue": 1})
	expect(t, "1 March", rowOf(t, byDay, "2026-03-01"), map[string]any{"tickets_created": 0, "answer_rate": nil})

	byWeek := summary(t, f, reports.ByWeek)
	expect(t, "week 10", rowOf(t, byWeek, "2026-W10"), map[string]any{"tickets_created": 5, "calls_offered": 5})
	expect(t, "week 11", rowOf(t, byWeek, "2026-W11"), map[string]any{"calls_offered": 1, "extensions": 1})
	byMonth := summary(t, f, reports.ByMonth)
	if len(byMonth.Rows) != 1 {
		t.Fatalf("by month: %+v", byMonth.Rows)
	}
	expect(t, "March", byMonth.Rows[0], map[string]any{"key": "2026-03", "tickets_created": 6, "overdue": 1})
}
