package agentui_test

import (
	"context"
	"fmt"
	"testing"
)

// A long conversation reaches the console whole when the agent joins:
// its transcript is more than a console's send queue holds at once.
func TestChatDesk_LongTranscriptReachesTheConsoleWhole(t *testing.T) {
	ctx := context.Background()
	e, chats := chatEnv(t)
	c, _, err := chats.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 { // each is answered by the bot too
		if _, _, err := chats.Say(ctx, c.ID, fmt.Sprintf("第%d个问题", i), fmt.Sprintf("q%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chats.Handoff(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	last, err := chats.Replay(ctx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	agent := e.mustWS("agent1")
	ready(t, agent)
	takeOffer(t, agent)
	seen := map[int]bool{}
	for len(seen) < len(last)+1 { // and the agent's arrival
		var m chatMsg
		agent.await("chat.message", nil, &m)
		seen[m.Seq] = true
	}
}
