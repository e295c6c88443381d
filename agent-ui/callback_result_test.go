package agentui_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// repliedTicket is a complaint the department has answered: its callback is next.
func (e *env) repliedTicket() ticket {
	e.t.Helper()
	tk := e.mustAct("agent1", e.newTicket("complaint", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	e.mustAct("dept-rsj", tk.ID, "sign", nil)
	return e.mustAct("dept-rsj", tk.ID, "reply", map[string]any{"reply": "已责令施工单位夜间停工"})
}

// callbackView is what a callback leaves on the ticket.
type callbackView struct {
	Satisfaction *int
	Satisfied    *bool
	CallbackAt   *string `json:"callback_at"`
}

func (e *env) callbackFields(id int64) callbackView {
	e.t.Helper()
	var v callbackView
	e.must(e.call("agent1", "GET", "/api/v1/tickets/"+strconv.FormatInt(id, 10), nil), 200, &v)
	return v
}

func TestCallback_OneAnswerSetsScoreAndSatisfied(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		result    string
		score     int
		satisfied bool
	}{
		{"satisfied", 5, true},
		{"basically_satisfied", 3, true},
		{"unsatisfied", 1, false},
	} {
		tk := e.repliedTicket()
		e.mustAct("agent1", tk.ID, "callback", map[string]any{"result": tc.result, "note": "市民表示已停工"})
		v := e.callbackFields(tk.ID)
		if v.Satisfaction == nil || *v.Satisfaction != tc.score || v.Satisfied == nil || *v.Satisfied != tc.satisfied || v.CallbackAt == nil {
			t.Fatalf("%s: ticket has satisfaction %v, satisfied %v, callback_at %v; want %d, %t", tc.result,
				v.Satisfaction, v.Satisfied, v.CallbackAt, tc.score, tc.satisfied)
		}
		evs := e.events(tk.ID)
		last := evs[len(evs)-1]
		if last.Action != "callback" || last.Payload["result"] != tc.result || last.Payload["satisfaction"] != float64(tc.score) ||
			last.Payload["satisfied"] != tc.satisfied || last.Payload["note"] != "市民表示已停工" {
			t.Fatalf("%s: history records %s %v", tc.result, last.Action, last.Payload)
		}
		// 不满意 is what keeps an agent from closing, and what allows a reopen.
		closeStatus := e.act("agent1", tk.ID, "close", nil).Status
		if want := map[bool]int{true: 200, false: 403}[tc.satisfied]; closeStatus != want {
			t.Fatalf("%s: agent's close answered %d, want %d", tc.result, closeStatus, want)
		}
	}
}

func TestCallback_ScoreAndSatisfiedMustAgree(t *testing.T) {
	e := newEnv(t)
	tk := e.repliedTicket()
	// The older form still works when it agrees with itself.
	e.mustAct("agent1", tk.ID, "callback", map[string]any{"satisfaction": 4, "satisfied": true})
	e.mustAct("agent1", tk.ID, "callback", map[string]any{"result": "satisfied", "satisfaction": 4, "satisfied": true})
	before := len(e.events(tk.ID))
	for _, c := range []struct {
		body   any
		status int
		names  []string // fields the message must name
	}{
		{map[string]any{"result": "very_satisfied"}, 400, []string{"result"}},
		{map[string]any{"result": "满意"}, 400, []string{"result"}},
		{map[string]any{"result": 5}, 400, nil},
		{map[string]any{"result": "satisfied", "satisfied": false}, 400, []string{"satisfied", "result"}},
		{map[string]any{"result": "unsatisfied", "satisfied": true}, 400, []string{"satisfied", "result"}},
		{map[string]any{"result": "basically_satisfied", "satisfaction": 5}, 400, []string{"satisfaction", "result"}},
		{map[string]any{"result": "unsatisfied", "satisfaction": 3}, 400, []string{"satisfaction", "result"}},
		{map[string]any{"satisfaction": 5, "satisfied": false}, 400, []string{"satisfaction", "satisfied"}},
		{map[string]any{"satisfaction": 1, "satisfied": true}, 400, []string{"satisfaction", "satisfied"}},
		{map[string]any{"satisfaction": 4}, 400, []string{"satisfied"}},
		{map[string]any{"satisfied": true}, 400, []string{"result"}},
		{map[string]any{"result": "satisfied", "satisfaction": 6}, 400, []string{"satisfaction"}},
		{map[string]any{"result": "satisfied", "score": 5}, 400, []string{"score"}},
		{map[string]any{"result": strings.Repeat("satisfied", 20000)}, 400, []string{"result"}},
		{map[string]any{"result": "satisfied", "note": strings.Repeat("噪", 2001)}, 400, []string{"note"}},
		{map[string]any{"result": "satisfied", "note": strings.Repeat("噪", 400000)}, 413, nil},
	} {
		r := e.act("agent1", tk.ID, "callback", c.body)
		if r.Status != c.status {
			t.Errorf("%.100v: %d %.200s, want %d", c.body, r.Status, r.Body, c.status)
			continue
		}
		var envelope struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(r.Body, &envelope); err != nil || envelope.Error.Message == "" {
			t.Fatalf("%.100v: no error envelope: %.200s", c.body, r.Body)
		}
		for _, n := range c.names {
			if !strings.Contains(envelope.Error.Message, n) {
				t.Errorf("%.100v: message %q does not name %s", c.body, envelope.Error.Message, n)
			}
		}
		if len(envelope.Error.Message) > 300 {
			t.Errorf("%.100v: a message of %d bytes echoes the input", c.body, len(envelope.Error.Message))
		}
	}
	v := e.callbackFields(tk.ID)
	if *v.Satisfaction != 4 || !*v.Satisfied || len(e.events(tk.ID)) != before {
		t.Fatalf("refused callbacks changed the ticket: satisfaction %d, satisfied %t, %d events (want %d)",
			*v.Satisfaction, *v.Satisfied, len(e.events(tk.ID)), before)
	}
}
