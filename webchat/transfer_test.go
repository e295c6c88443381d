package webchat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/webchat"
)

// withAgent is a routed service whose chat a agent1 has, and a
// webchat-tax queue that only taxer takes.
func withAgent(t *testing.T) (*routed, webchat.Chat, *webchat.Listener) {
	t.Helper()
	r := newRouted(t, 0)
	if err := r.engine.SetQueue(routing.QueueConfig{Name: "webchat-tax", Title: "税务咨询", RingSeconds: 20}); err != nil {
		t.Fatal(err)
	}
	if err := r.engine.SetQueue(routing.QueueConfig{Name: "consultation", Title: "咨询"}); err != nil {
		t.Fatal(err)
	}
	c, l := r.chat()
	if err := r.svc.Handoff(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	r.agentReady("agent1")
	r.accept("agent1")
	testenv.Eventually(t, "the chat with agent1", func() bool { return r.state(c.ID).Agent == "agent1" })
	signal(t, l, "agent.joined")
	testenv.Eventually(t, "the citizen told of agent1", func() bool {
		ms := transcript(t, r.svc, c.ID)
		return strings.Contains(ms[len(ms)-1].Text, "工号 agent1")
	})
	return r, c, l
}

func (r *routed) readyIn(id, queue string) {
	r.t.Helper()
	if _, err := r.engine.Login(routing.Profile{ID: id, Name: id, Skills: map[string]int{queue: 1}, ChatCapacity: 1}); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.engine.SetPresence(id, routing.Ready, ""); err != nil {
		r.t.Fatal(err)
	}
}

// wantTransferred checks what the citizen and the first agent see once
// the chat was passed on, and that the next agent gets it.
func wantTransferred(t *testing.T, r *routed, c webchat.Chat, l *webchat.Listener, next string) {
	t.Helper()
	ctx := context.Background()
	ms := transcript(t, r.svc, c.ID)
	if last := ms[len(ms)-1]; last.From != webchat.FromSystem || !strings.HasPrefix(last.Text, "正在为您转接") || !strings.Contains(last.Text, "agent1") {
		t.Fatalf("the transcript ends %+v, want the transfer notice", last)
	}
	if got := r.state(c.ID); got.State != webchat.StateQueued || got.Agent != "" {
		t.Fatalf("after the transfer the chat is %s with %q", got.State, got.Agent)
	}
	if _, err := r.svc.AgentSays(ctx, c.ID, "agent1", "还在吗", ""); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("the first agent writes after the transfer: %v, want not_found", err)
	}
	if _, err := r.svc.Transcript(ctx, c.ID, "agent1", 0); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("the first agent reads after the transfer: %v, want not_found", err)
	}
	r.accept(next)
	if joined := signal(t, l, "agent.joined").(map[string]string); joined["agent"] != next {
		t.Fatalf("agent.joined %v, want %s", joined, next)
	}
	testenv.Eventually(t, "the chat with "+next, func() bool { return r.state(c.ID).State == webchat.StateAgent && r.state(c.ID).Agent == next })
	full, err := r.svc.Transcript(ctx, c.ID, next, 0)
	if err != nil || len(full) < 4 || full[0].From != webchat.FromBot {
		t.Fatalf("the next agent's transcript %+v (%v), want all of it from the greeting", full, err)
	}
	if _, err := r.svc.AgentSays(ctx, c.ID, next, "您好，我来为您解答", "n1"); err != nil {
		t.Fatalf("the next agent writes: %v", err)
	}
}

func TestTransfer_ToAChatQueue(t *testing.T) {
	r, c, l := withAgent(t)
	if err := r.svc.Transfer(context.Background(), c.ID, "agent1", webchat.Target{Queue: "webchat-tax"}); err != nil {
		t.Fatal(err)
	}
	if pos := signal(t, l, "queue").(map[string]int)["position"]; pos != 1 {
		t.Errorf("after the transfer the citizen is told position %d, want 1", pos)
	}
	if ms := transcript(t, r.svc, c.ID); !strings.Contains(ms[len(ms)-1].Text, "税务咨询") {
		t.Errorf("the notice %q does not name the queue's title", ms[len(ms)-1].Text)
	}
	if got := r.state(c.ID); got.Queue != "webchat-tax" {
		t.Errorf("the chat's queue is %q, want webchat-tax", got.Queue)
	}
	r.readyIn("taxer", "webchat-tax")
	wantTransferred(t, r, c, l, "taxer")
}

func TestTransfer_ToAnAgent(t *testing.T) {
	r, c, l := withAgent(t)
	r.readyIn("agent2", "consultation") // not in the chat queue: named, it is offered the chat anyway
	if err := r.svc.Transfer(context.Background(), c.ID, "agent1", webchat.Target{Agent: "agent2"}); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.engine.Agent("agent2"); !ok || v.Offer == nil {
		t.Fatalf("agent2 is not offered the chat: %+v", v)
	}
	wantTransferred(t, r, c, l, "agent2")
}

func TestTransfer_Refused(t *testing.T) {
	ctx := context.Background()
	r, c, _ := withAgent(t)
	if _, err := r.engine.Login(routing.Profile{ID: "resting", Skills: map[string]int{webchat.Queue: 1}}); err != nil {
		t.Fatal(err)
	}
	before := len(transcript(t, r.svc, c.ID))
	for _, tc := range []struct {
		name  string
		agent string
		to    webchat.Target
		code  errs.Code
	}{
		{"NoTarget", "agent1", webchat.Target{}, errs.Invalid},
		{"BothTargets", "agent1", webchat.Target{Queue: "webchat", Agent: "agent2"}, errs.Invalid},
		{"NotAChatQueue", "agent1", webchat.Target{Queue: "consultation"}, errs.Invalid},
		{"UnknownChatQueue", "agent1", webchat.Target{Queue: "webchat-nope"}, errs.NotFound},
		{"UnknownAgent", "agent1", webchat.Target{Agent: "nobody"}, errs.NotFound},
		{"AgentNotReady", "agent1", webchat.Target{Agent: "resting"}, errs.Conflict},
		{"ToOneself", "agent1", webchat.Target{Agent: "agent1"}, errs.Invalid},
		{"NotTheirChat", "agent2", webchat.Target{Queue: "webchat"}, errs.NotFound},
		{"NoSuchChat", "agent1", webchat.Target{Queue: "webchat"}, errs.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := c.ID
			if tc.name == "NoSuchChat" {
				id = 999999
			}
			if err := r.svc.Transfer(ctx, id, tc.agent, tc.to); errs.CodeOf(err) != tc.code {
				t.Fatalf("Transfer: %v, want %s", err, tc.code)
			}
		})
	}
	if got := r.state(c.ID); got.State != webchat.StateAgent || got.Agent != "agent1" {
		t.Fatalf("after refused transfers the chat is %s with %q, want still agent1's", got.State, got.Agent)
	}
	if after := len(transcript(t, r.svc, c.ID)); after != before {
		t.Fatalf("refused transfers wrote %d messages", after-before)
	}
	if err := r.svc.EndByAgent(ctx, c.ID, "agent1"); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Transfer(ctx, c.ID, "agent1", webchat.Target{Queue: "webchat"}); errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("transfer of a closed chat: %v, want conflict", err)
	}
}
