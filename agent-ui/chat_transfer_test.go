package agentui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/webchat"
)

// chatEnv is an env with web chat following its routing engine.
func chatEnv(t *testing.T) (*env, *webchat.Service) {
	t.Helper()
	e, chats, _ := chatEnvWithStore(t)
	return e, chats
}

// chatEnvWithStore is chatEnv and the chats' store.
func chatEnvWithStore(t *testing.T) (*env, *webchat.Service, *postgres.ChatStore) {
	t.Helper()
	var chats *webchat.Service
	var store *postgres.ChatStore
	e := newEnvOn(t, func(db *postgres.DB, d *agentui.Deps) {
		store = postgres.NewChatStore(db)
		chats = webchat.NewService(store, d.Guides, d.Clock, slog.New(slog.DiscardHandler), webchat.Config{})
		d.Chats = chats
	})
	stop, err := chats.Follow(context.Background(), e.routing)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return e, chats, store
}

// takeOffer makes the console ready and accepts the chat offered to it.
func takeOffer(t *testing.T, c *wsConn) {
	t.Helper()
	var offer struct {
		OfferID string `json:"offer_id"`
		Channel string `json:"channel"`
	}
	c.await("offer", nil, &offer)
	if offer.Channel != "chat" {
		t.Fatalf("offer on channel %q, want chat", offer.Channel)
	}
	if ack := c.request("offer.accept", map[string]string{"offer_id": offer.OfferID}); ack.Type != "ack" {
		t.Fatalf("offer.accept: %s %s", ack.Type, ack.Data)
	}
}

func ready(t *testing.T, c *wsConn) {
	t.Helper()
	if ack := c.request("presence.set", map[string]string{"state": "ready"}); ack.Type != "ack" {
		t.Fatalf("presence.set: %s %s", ack.Type, ack.Data)
	}
}

// wantError fails unless r is an error reply with the code.
func wantError(t *testing.T, what string, r wsMsg, code string) {
	t.Helper()
	var d struct{ Code, Message string }
	if err := json.Unmarshal(r.Data, &d); err != nil || r.Type != "error" || d.Code != code || d.Message == "" {
		t.Fatalf("%s: %s %s, want error %s", what, r.Type, r.Data, code)
	}
}

// agent1 passes a chat to agent2 by name: agent1's card closes and its
// writes are refused, agent2 gets the whole transcript as on a first
// assignment, and the citizen is told. agent2 then passes it to the
// chat queue, and agent1 takes it from there.
func TestChatTransfer_BetweenTwoConsoles(t *testing.T) {
	ctx := context.Background()
	e, chats := chatEnv(t)
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
	one := e.mustWS("agent1")
	ready(t, one)
	takeOffer(t, one)
	one.await("chat.message", func(raw json.RawMessage) bool { return strings.Contains(string(raw), "工号 agent1") }, nil)

	two := e.mustWS("agent2")
	if r := two.request("chat.transfer", map[string]any{"chat_id": c.ID, "queue": "webchat"}); r.Type != "error" {
		t.Fatalf("agent2 transfers agent1's chat: %s %s", r.Type, r.Data)
	} else {
		wantError(t, "agent2 transfers agent1's chat", r, "not_found")
	}
	wantError(t, "to agent2, not logged in to routing as ready", one.request("chat.transfer", map[string]any{"chat_id": c.ID, "agent": "agent2"}), "conflict")
	ready(t, two)
	for _, tc := range []struct {
		data map[string]any
		code string
	}{
		{map[string]any{"chat_id": c.ID, "queue": "webchat-nope"}, "not_found"},
		{map[string]any{"chat_id": c.ID, "queue": "consultation"}, "invalid"},
		{map[string]any{"chat_id": c.ID, "agent": "nobody"}, "not_found"},
		{map[string]any{"chat_id": c.ID}, "invalid"},
	} {
		wantError(t, fmt.Sprint("chat.transfer ", tc.data), one.request("chat.transfer", tc.data), tc.code)
	}
	sup := e.mustWS("supervisor")
	wantError(t, "a supervisor's chat.transfer", sup.request("chat.transfer", map[string]any{"chat_id": c.ID, "queue": "webchat"}), "forbidden")

	if r := one.request("chat.transfer", map[string]any{"chat_id": c.ID, "agent": "agent2"}); r.Type != "ack" {
		t.Fatalf("chat.transfer to agent2: %s %s", r.Type, r.Data)
	}
	var closed struct {
		ChatID int64  `json:"chat_id"`
		Reason string `json:"reason"`
	}
	one.await("chat.closed", nil, &closed)
	if closed.ChatID != c.ID || closed.Reason != "transferred" {
		t.Errorf("chat.closed %+v", closed)
	}
	wantError(t, "agent1 writes after the transfer", one.request("chat.send", map[string]any{"chat_id": c.ID, "text": "还在吗"}), "not_found")
	awaitEvent(t, citizen, func(ev webchat.Event) bool {
		return ev.Message != nil && strings.HasPrefix(ev.Message.Text, "正在为您转接")
	})

	takeOffer(t, two)
	var got []chatMsg
	for len(got) == 0 || !strings.Contains(got[len(got)-1].Text, "工号 agent2）为您服务") {
		var m chatMsg
		two.await("chat.message", nil, &m)
		got = append(got, m)
	}
	if got[0].From != "bot" || got[0].Seq != 1 || got[1].Text != "我想问一下营业执照" {
		t.Fatalf("agent2's transcript starts %+v, want all of it from the greeting", got[:2])
	}
	if !slices.ContainsFunc(got, func(m chatMsg) bool { return strings.HasPrefix(m.Text, "正在为您转接") && m.From == "system" }) {
		t.Errorf("agent2's transcript has no transfer notice: %+v", got)
	}
	if r := two.request("chat.send", map[string]any{"chat_id": c.ID, "text": "您好，我接着为您解答", "client_id": "b1"}); r.Type != "ack" {
		t.Fatalf("agent2's chat.send: %s %s", r.Type, r.Data)
	}
	if ev := awaitEvent(t, citizen, func(ev webchat.Event) bool { return ev.Message != nil && ev.Message.From == webchat.FromAgent }); ev.Message.Agent != "agent2" {
		t.Errorf("the citizen got %+v", ev.Message)
	}

	// Back to the queue: not to agent2 again, so agent1 takes it.
	if r := two.request("chat.transfer", map[string]any{"chat_id": c.ID, "queue": "webchat"}); r.Type != "ack" {
		t.Fatalf("chat.transfer to the queue: %s %s", r.Type, r.Data)
	}
	two.await("chat.closed", nil, nil)
	takeOffer(t, one)
	one.await("chat.message", func(raw json.RawMessage) bool { return strings.Contains(string(raw), "您好，我接着为您解答") }, nil)
	if r := one.request("chat.close", map[string]any{"chat_id": c.ID}); r.Type != "ack" {
		t.Fatalf("chat.close: %s %s", r.Type, r.Data)
	}
	wantError(t, "transfer of a closed chat", one.request("chat.transfer", map[string]any{"chat_id": c.ID, "queue": "webchat"}), "conflict")
}
