package agentui_test

import (
	"strings"
	"testing"

	"github.com/open12345/hotline/routing"
)

func TestRoutingAPI_Queues(t *testing.T) {
	e := newEnv(t)
	var queues []routing.QueueConfig
	e.must(e.call("agent1", "GET", "/api/v1/routing/queues", nil), 200, &queues)
	if len(queues) != 5 || queues[0].Name != "complaint" {
		t.Fatalf("queues: %+v", queues)
	}
	body := map[string]any{"title": "营商环境", "strategy": "skill_level", "ring_seconds": 20, "wrap_up_seconds": 30}
	if r := e.call("supervisor", "PUT", "/api/v1/routing/queues/business", body); r.Status != 403 {
		t.Fatalf("supervisor saved a queue: %d", r.Status)
	}
	var saved routing.QueueConfig
	e.must(e.call("admin", "PUT", "/api/v1/routing/queues/business", body), 200, &saved)
	if saved.Name != "business" || saved.Strategy != routing.SkillLevel {
		t.Fatalf("saved: %+v", saved)
	}
	if got := e.routing.Queues(); len(got) != 6 {
		t.Fatalf("the engine has %d queues after the save, want 6", len(got))
	}
	for _, bad := range []map[string]any{
		{"strategy": "random"},
		{"ring_seconds": 0.5},
		{"ring_seconds": 100000},
		{"overflow_to": "general"},
		{"title": strings.Repeat("长", 41)},
		{"name": "other"},
		{"unknown_field": 1},
	} {
		r := e.call("admin", "PUT", "/api/v1/routing/queues/business", bad)
		if r.Status != 400 {
			t.Errorf("%v: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := e.call("admin", "PUT", "/api/v1/routing/queues/bad%20name", body); r.Status != 400 {
		t.Errorf("bad name: %d %s", r.Status, r.Body)
	}
	e.must(e.call("agent1", "GET", "/api/v1/routing/queues", nil), 200, &queues)
	for _, q := range queues {
		if q.Name == "business" && q.RingSeconds != 20 {
			t.Fatalf("a refused change reached the queue: %+v", q)
		}
	}
}

func TestRoutingAPI_ProfilesAndTestContacts(t *testing.T) {
	e := newEnv(t)
	var p routing.Profile
	e.must(e.call("supervisor", "GET", "/api/v1/routing/agents/agent1/profile", nil), 200, &p)
	if len(p.Skills) != 5 {
		t.Fatalf("default profile: %+v", p)
	}
	e.must(e.call("supervisor", "PUT", "/api/v1/routing/agents/agent1/profile",
		map[string]any{"skills": map[string]int{"complaint": 7}, "chat_capacity": 2}), 200, &p)
	if p.Skills["complaint"] != 7 || p.ChatCapacity != 2 {
		t.Fatalf("saved profile: %+v", p)
	}
	for _, c := range []struct {
		user, path string
		body       any
		status     int
	}{
		{"agent1", "/api/v1/routing/agents/agent1/profile", map[string]any{"skills": map[string]int{"complaint": 10}}, 403},
		{"supervisor", "/api/v1/routing/agents/nobody/profile", map[string]any{"skills": map[string]int{}}, 404},
		{"supervisor", "/api/v1/routing/agents/agent1/profile", map[string]any{"skills": map[string]int{"complaint": 11}}, 400},
		{"supervisor", "/api/v1/routing/agents/agent1/profile", map[string]any{"skills": map[string]int{"x'; drop table users; --": 1}}, 400},
		{"supervisor", "/api/v1/routing/agents/agent1/profile", map[string]any{"chat_capacity": -1}, 400},
	} {
		if r := e.call(c.user, "PUT", c.path, c.body); r.Status != c.status {
			t.Errorf("%s PUT %s %v: %d %s, want %d", c.user, c.path, c.body, r.Status, r.Body, c.status)
		}
	}

	var contact routing.ContactView
	e.must(e.call("supervisor", "POST", "/api/v1/routing/contacts", map[string]any{"channel": "voice", "queue": "general", "caller": "13800001234"}), 201, &contact)
	if contact.Status != routing.Waiting {
		t.Fatalf("contact: %+v", contact)
	}
	for _, bad := range []map[string]any{
		{"channel": "fax", "queue": "general"},
		{"channel": "voice", "queue": "general", "priority": 10},
		{"channel": "voice", "queue": "general", "caller": strings.Repeat("1", 100)},
	} {
		if r := e.call("supervisor", "POST", "/api/v1/routing/contacts", bad); r.Status != 400 {
			t.Errorf("%v: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := e.call("supervisor", "POST", "/api/v1/routing/contacts", map[string]any{"channel": "voice", "queue": "nowhere"}); r.Status != 404 {
		t.Errorf("unknown queue: %d", r.Status)
	}
	if r := e.call("agent1", "POST", "/api/v1/routing/contacts", map[string]any{"channel": "voice", "queue": "general"}); r.Status != 403 {
		t.Errorf("agent injected a contact: %d", r.Status)
	}
	var wall struct {
		Queues []routing.QueueStats
		Agents []any
	}
	e.must(e.call("agent1", "GET", "/api/v1/routing/wallboard", nil), 200, &wall)
	if wall.Agents != nil {
		t.Fatalf("an agent sees other agents: %+v", wall.Agents)
	}
	waiting := 0
	for _, q := range wall.Queues {
		waiting += q.Waiting
	}
	if waiting != 1 {
		t.Fatalf("waiting %d, want 1", waiting)
	}
	var ended routing.ContactView
	e.must(e.call("supervisor", "POST", "/api/v1/routing/contacts/"+contact.ID+"/end", nil), 200, &ended)
	if ended.Status != routing.Abandoned {
		t.Fatalf("ended: %+v", ended)
	}
	if r := e.call("supervisor", "POST", "/api/v1/routing/contacts/"+contact.ID+"/end", nil); r.Status != 404 {
		t.Fatalf("ending twice: %d", r.Status)
	}
}

func TestRoutingAPI_CitizenHistory(t *testing.T) {
	e := newEnv(t)
	past := e.newTicket("consultation", map[string]any{"citizen": map[string]any{"name": "李四", "phone": "13900002222"}})
	var h struct {
		Phone   string
		Tickets []struct{ Number string }
	}
	e.must(e.call("agent1", "GET", "/api/v1/citizens/history?phone=139-0000-2222", nil), 200, &h)
	if h.Phone != "13900002222" || len(h.Tickets) != 1 || h.Tickets[0].Number != past.Number {
		t.Fatalf("history: %+v", h)
	}
	if r := e.call("dept-rsj", "GET", "/api/v1/citizens/history?phone=13900002222", nil); r.Status != 403 {
		t.Fatalf("a department looked up a citizen by phone: %d", r.Status)
	}
	for _, q := range []string{"", "?phone=", "?phone=abc", "?phone=" + strings.Repeat("1", 50)} {
		if r := e.call("agent1", "GET", "/api/v1/citizens/history"+q, nil); r.Status != 400 {
			t.Errorf("%q: %d %s", q, r.Status, r.Body)
		}
	}
}
