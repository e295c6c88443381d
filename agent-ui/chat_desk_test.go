package agentui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/webchat"
)

// chatMsg is a chat.message as a console gets it.
type chatMsg struct {
	ChatID int64  `json:"chat_id"`
	Seq    int    `json:"seq"`
	From   string `json:"from"`
	Agent  string `json:"agent"`
	Text   string `json:"text"`
}

// An agent takes a chat in the console: the offer, the transcript so
// far, messages both ways, and closing it; another agent may not write
// into it.
func TestChatDesk_AgentTakesAChat(t *testing.T) {
	ctx := context.Background()
	e, chats, store := chatEnvWithStore(t)
	c, _, err := chats.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	citizen := chats.Hub().Listen(c.ID)
	if _, _, err := chats.Say(ctx, c.ID, "我想问一下营业执照", "q1"); err != nil {
		t.Fatal(err)
	}
	if err := chats.Handoff(ctx, c.ID); err != nil {
		t.Fatal(err)
	}

	agent := e.mustWS("agent1")
	ready(t, agent)
	takeOffer(t, agent)
	var history []chatMsg
	for len(history) < 4 { // greeting, question, hand-off notice, the agent's arrival
		var m chatMsg
		agent.await("chat.message", nil, &m)
		history = append(history, m)
	}
	if history[0].From != "bot" || history[1].Text != "我想问一下营业执照" || history[0].ChatID != c.ID {
		t.Fatalf("the console's transcript starts %+v", history)
	}

	ack := agent.request("chat.send", map[string]any{"chat_id": c.ID, "text": "您好，请问是办理个体户还是公司？", "client_id": "a1"})
	if ack.Type != "ack" {
		t.Fatalf("chat.send: %s %s", ack.Type, ack.Data)
	}
	if ev := awaitEvent(t, citizen, func(ev webchat.Event) bool { return ev.Message != nil && ev.Message.From == webchat.FromAgent }); ev.Message.Agent != "agent1" || !strings.Contains(ev.Message.Text, "个体户") {
		t.Errorf("the citizen got %+v", ev.Message)
	}
	if _, _, err := chats.Say(ctx, c.ID, "个体户", "q2"); err != nil {
		t.Fatal(err)
	}
	var reply chatMsg
	agent.await("chat.message", func(raw json.RawMessage) bool { return strings.Contains(string(raw), "个体户\"") }, &reply)
	if reply.From != "citizen" || reply.ChatID != c.ID {
		t.Errorf("the console got %+v", reply)
	}

	chats.Typing(c.ID, webchat.FromCitizen)
	agent.await("chat.typing", func(raw json.RawMessage) bool { return strings.Contains(string(raw), `"chat_id"`) }, nil)
	if r := agent.request("chat.typing", map[string]any{"chat_id": c.ID}); r.Type != "ack" {
		t.Errorf("chat.typing: %s %s", r.Type, r.Data)
	}
	awaitEvent(t, citizen, func(ev webchat.Event) bool { return ev.Signal == "typing" })

	// A ticket made from the chat is linked to it, and the citizen gets its number.
	var tk struct {
		ID     int64  `json:"id"`
		Number string `json:"number"`
	}
	e.must(e.call("agent1", "POST", "/api/v1/tickets", map[string]any{"kind": "consultation", "title": "咨询营业执照办理",
		"content": "市民咨询个体户营业执照", "channel": "webchat", "chat_id": fmt.Sprint(c.ID),
		"citizen": map[string]string{"name": "网上咨询", "phone": "13800138000"}}), 201, &tk)
	if ev := awaitEvent(t, citizen, func(ev webchat.Event) bool { return ev.Signal == "ticket" }); ev.Data.(map[string]string)["number"] != tk.Number {
		t.Errorf("the citizen was told ticket %v, want %s", ev.Data, tk.Number)
	}
	if linked, err := store.Chat(ctx, c.ID); err != nil || linked.TicketID != tk.ID {
		t.Errorf("the chat's ticket is %d (%v), want %d", linked.TicketID, err, tk.ID)
	}
	// agent2's ticket naming agent1's chat does not touch the chat.
	e.must(e.call("agent2", "POST", "/api/v1/tickets", map[string]any{"kind": "consultation", "title": "冒名", "content": "冒名登记",
		"channel": "webchat", "chat_id": fmt.Sprint(c.ID), "citizen": map[string]string{"name": "某人", "phone": "13800138001"}}), 201, nil)
	if linked, err := store.Chat(ctx, c.ID); err != nil || linked.TicketID != tk.ID {
		t.Errorf("after another agent's ticket the chat's ticket is %d (%v), want %d", linked.TicketID, err, tk.ID)
	}

	other := e.mustWS("agent2")
	if r := other.request("chat.send", map[string]any{"chat_id": c.ID, "text": "我来插一句"}); r.Type != "error" || !strings.Contains(string(r.Data), "not_found") {
		t.Errorf("another agent's chat.send: %s %s, want not_found", r.Type, r.Data)
	}
	if r := agent.request("chat.send", map[string]any{"chat_id": c.ID, "text": strings.Repeat("长", 2001)}); r.Type != "error" || !strings.Contains(string(r.Data), "invalid") {
		t.Errorf("a 2,001-character message: %s %s, want invalid", r.Type, r.Data)
	}

	if r := agent.request("chat.close", map[string]any{"chat_id": c.ID}); r.Type != "ack" {
		t.Fatalf("chat.close: %s %s", r.Type, r.Data)
	}
	testenv.Eventually(t, "the agent free of the chat", func() bool {
		v, ok := e.routing.Agent("agent1")
		return ok && len(v.Contacts) == 0
	})
	got, err := store.Chat(ctx, c.ID)
	if err != nil || got.State != webchat.StateClosed || got.Outcome != webchat.OutcomeAnswered || got.Agent != "agent1" {
		t.Errorf("after chat.close: %+v, %v", got, err)
	}
}

// Supervisors read the chat history: filtered by agent and by what was
// said (a literal substring, wildcards included), each chat with its
// transcript; agents may not.
func TestChatHistory_ForSupervisors(t *testing.T) {
	ctx := context.Background()
	e, chats := chatEnv(t)
	var ids []int64
	for _, text := range []string{"护照过期了", "100%退款吗", "营业执照怎么办"} {
		c, _, err := chats.Start(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := chats.Say(ctx, c.ID, text, "x"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	type list struct {
		Items []struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	var all list
	e.must(e.call("supervisor", "GET", "/api/v1/chats", nil), 200, &all)
	if len(all.Items) != 3 || all.Items[0].ID != ids[2] || all.Items[0].State != "bot" {
		t.Fatalf("history = %+v, want the three chats, newest first", all)
	}
	for q, want := range map[string]int64{"护照": ids[0], "100%": ids[1]} {
		var got list
		e.must(e.call("supervisor", "GET", "/api/v1/chats?q="+url.QueryEscape(q), nil), 200, &got)
		if len(got.Items) != 1 || got.Items[0].ID != want {
			t.Errorf("q=%s: %+v, want chat %d", q, got.Items, want)
		}
	}
	var none list
	e.must(e.call("supervisor", "GET", "/api/v1/chats?q="+url.QueryEscape("_"), nil), 200, &none)
	if len(none.Items) != 0 {
		t.Errorf("q=_ matched %+v: the wildcard must be literal", none.Items)
	}
	var paged list
	e.must(e.call("supervisor", "GET", "/api/v1/chats?limit=2", nil), 200, &paged)
	if len(paged.Items) != 2 || paged.NextCursor == "" {
		t.Fatalf("limit=2: %+v", paged)
	}
	var rest list
	e.must(e.call("supervisor", "GET", "/api/v1/chats?limit=2&cursor="+paged.NextCursor, nil), 200, &rest)
	if len(rest.Items) != 1 || rest.Items[0].ID != ids[0] || rest.NextCursor != "" {
		t.Errorf("the second page: %+v", rest)
	}

	var one struct {
		ID       int64 `json:"id"`
		Messages []struct {
			Seq  int    `json:"seq"`
			From string `json:"from"`
			Text string `json:"text"`
		} `json:"messages"`
	}
	e.must(e.call("admin", "GET", fmt.Sprintf("/api/v1/chats/%d", ids[1]), nil), 200, &one)
	if len(one.Messages) < 2 || one.Messages[0].From != "bot" || one.Messages[1].Text != "100%退款吗" {
		t.Errorf("chat %d = %+v, want its transcript", ids[1], one)
	}
	for path, status := range map[string]int{
		"/api/v1/chats/999999":                       404,
		"/api/v1/chats/abc":                          404,
		"/api/v1/chats?q=" + strings.Repeat("长", 65): 400,
		"/api/v1/chats?from=yesterday":               400,
		"/api/v1/chats?limit=1000":                   400,
	} {
		if r := e.call("supervisor", "GET", path, nil); r.Status != status {
			t.Errorf("GET %s: %d, want %d", path, r.Status, status)
		}
	}
	if r := e.call("agent1", "GET", "/api/v1/chats", nil); r.Status != 403 {
		t.Errorf("an agent reads the history: %d, want 403", r.Status)
	}
}

// awaitEvent returns the listener's first event that ok accepts, failing
// after 5 s.
func awaitEvent(t *testing.T, l *webchat.Listener, ok func(webchat.Event) bool) webchat.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, open := <-l.C:
			if !open {
				t.Fatal("the listener was closed")
			}
			if ok(ev) {
				return ev
			}
		case <-timeout:
			t.Fatal("no such event within 5 s")
		}
	}
}
