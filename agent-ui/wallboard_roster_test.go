package agentui_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/open12345/hotline/routing"
)

// wallboardJSON is the wallboard as the API sends it, with the figures
// kept raw so that a null is told from a zero.
type wallboardJSON struct {
	Queues []struct {
		Queue        string
		Answered     int
		Abandoned    int
		ServiceLevel map[string]json.RawMessage `json:"service_level"`
		AnswerRate   json.RawMessage            `json:"answer_rate"`
	}
	Agents []struct {
		ID, Name, State string
		Since           *string
	}
}

func (e *env) wallboard(user string) wallboardJSON {
	e.t.Helper()
	var w wallboardJSON
	e.must(e.call(user, "GET", "/api/v1/routing/wallboard", nil), 200, &w)
	return w
}

func TestWallboard_NoTrafficMeasuresNothing(t *testing.T) {
	e := newEnv(t)
	w := e.wallboard("supervisor")
	if len(w.Queues) != 5 {
		t.Fatalf("%d queues, want the 5 of the migration", len(w.Queues))
	}
	for _, q := range w.Queues {
		if len(q.ServiceLevel) != 2 || string(q.ServiceLevel["15"]) != "null" || string(q.ServiceLevel["20"]) != "null" {
			t.Errorf("queue %s with no contacts shows service level %s/%s, want null/null",
				q.Queue, q.ServiceLevel["15"], q.ServiceLevel["20"])
		}
		if string(q.AnswerRate) != "null" {
			t.Errorf("queue %s with no contacts shows answer rate %s, want null", q.Queue, q.AnswerRate)
		}
	}

	// One contact the citizen gave up on: now there is something to
	// measure, and it is 0, not 100.
	var c routing.ContactView
	e.must(e.call("supervisor", "POST", "/api/v1/routing/contacts", map[string]any{"channel": "voice", "queue": "general", "caller": "13800001234"}), 201, &c)
	e.must(e.call("supervisor", "POST", "/api/v1/routing/contacts/"+c.ID+"/end", nil), 200, nil)
	for _, q := range e.wallboard("agent1").Queues {
		want := "null"
		if q.Queue == "general" {
			want = "0"
		}
		if string(q.ServiceLevel["15"]) != want || string(q.AnswerRate) != want {
			t.Errorf("queue %s after one abandoned contact in general: service level %s, answer rate %s, want %s",
				q.Queue, q.ServiceLevel["15"], q.AnswerRate, want)
		}
	}
}

func TestWallboard_ListsEveryExpectedAgent(t *testing.T) {
	e := newEnv(t)
	states := func(user string) map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, a := range e.wallboard(user).Agents {
			out[a.ID] = a.State
			if a.State == "offline" && a.ID == "agent2" && a.Since != nil {
				t.Errorf("agent2 never logged in, yet offline since %s", *a.Since)
			}
		}
		return out
	}
	// Nobody is logged in: both agent accounts are expected, offline; the
	// other roles are not agents.
	if got := states("supervisor"); len(got) != 2 || got["agent1"] != "offline" || got["agent2"] != "offline" {
		t.Fatalf("wallboard agents with nobody logged in: %v, want agent1 and agent2 offline", got)
	}
	if w := e.wallboard("agent1"); w.Agents != nil {
		t.Fatalf("an agent sees the other agents: %+v", w.Agents)
	}

	// An agent in routing shows its state; after logging out it is offline
	// since then.
	if _, err := e.routing.Login(routing.Profile{ID: "agent1", Name: "agent1", Skills: map[string]int{"general": 1}}); err != nil {
		t.Fatal(err)
	}
	if got := states("admin"); got["agent1"] != "not_ready" || got["agent2"] != "offline" {
		t.Fatalf("agent1 logged in: %v", got)
	}
	if _, err := e.routing.Logout("agent1"); err != nil {
		t.Fatal(err)
	}
	for _, a := range e.wallboard("supervisor").Agents {
		if a.ID == "agent1" && (a.State != "offline" || a.Since == nil) {
			t.Fatalf("agent1 after logout: %+v, want offline with a since", a)
		}
	}

	// A new agent account is expected at once; a disabled one no longer.
	e.must(e.call("admin", "POST", "/api/v1/users", map[string]any{"username": "agent9", "display_name": "九号坐席",
		"role": "agent", "password": testPassword}), 201, nil)
	if _, err := e.db.Pool.Exec(context.Background(), `UPDATE users SET disabled = true WHERE username = 'agent2'`); err != nil {
		t.Fatal(err)
	}
	got := states("supervisor")
	if len(got) != 2 || got["agent9"] != "offline" || got["agent1"] != "offline" {
		t.Fatalf("after adding agent9 and disabling agent2: %v", got)
	}
	for _, a := range e.wallboard("supervisor").Agents {
		if a.ID == "agent9" && a.Name != "九号坐席" {
			t.Fatalf("agent9 is named %q, want its display name", a.Name)
		}
	}
}
