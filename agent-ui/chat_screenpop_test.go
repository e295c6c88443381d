package agentui_test

import (
	"context"
	"testing"
	"time"

	"github.com/open12345/hotline/screenpop"
	"github.com/open12345/hotline/webchat"
)

// A chat whose citizen proved a phone rings with that phone's past
// tickets and chats; a chat without one rings with empty lists.
func TestChatDesk_OfferShowsTheCitizensHistoryWhenThePhoneIsKnown(t *testing.T) {
	ctx := context.Background()
	e, chats, store := chatEnvWithStore(t)
	past := e.newTicket("complaint", nil) // the citizen 13812341234
	withPhone := func(phone string) webchat.Chat {
		c, _, err := chats.Start(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		c, err = store.Chat(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		c.Phone = phone // as a progress query or a left message proves it
		if err := store.UpdateChat(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	earlier := withPhone("13812341234")
	if err := chats.Close(ctx, earlier.ID); err != nil {
		t.Fatal(err)
	}
	now := withPhone("13812341234")
	if err := chats.Handoff(ctx, now.ID); err != nil {
		t.Fatal(err)
	}

	agent := e.mustWS("agent1")
	ready(t, agent)
	var offer struct {
		OfferID string             `json:"offer_id"`
		History *screenpop.History `json:"citizen_history"`
	}
	agent.await("offer", nil, &offer)
	h := offer.History
	if h == nil || h.Phone != "13812341234" || len(h.Tickets) != 1 || h.Tickets[0].Number != past.Number {
		t.Fatalf("the chat's screen pop %+v, want the phone's ticket %s", h, past.Number)
	}
	var seen []int64
	for _, c := range h.Chats {
		seen = append(seen, c.ID)
	}
	if len(h.Chats) != 2 || h.Chats[0].ID != now.ID || h.Chats[1].ID != earlier.ID || h.Chats[1].Outcome != "bot_only" {
		t.Errorf("past chats %v (%+v), want %d then %d", seen, h.Chats, now.ID, earlier.ID)
	}
	if ack := agent.request("offer.decline", map[string]string{"offer_id": offer.OfferID}); ack.Type != "ack" {
		t.Fatalf("offer.decline: %s %s", ack.Type, ack.Data)
	}
	if err := chats.Close(ctx, now.ID); err != nil {
		t.Fatal(err)
	}

	anonymous, _, err := chats.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := chats.Handoff(ctx, anonymous.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute) // past the decline's pause, if any
	if ack := agent.request("presence.set", map[string]string{"state": "ready"}); ack.Type != "ack" {
		t.Fatalf("presence.set: %s %s", ack.Type, ack.Data)
	}
	offer.History = nil
	agent.await("offer", nil, &offer)
	if h := offer.History; h == nil || len(h.Tickets)+len(h.Calls)+len(h.Chats) != 0 {
		t.Errorf("an anonymous chat's screen pop %+v, want empty lists", h)
	}
}
