package webchat_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/knowledge/embedded/embeddedtest"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/webchat"
)

// routed is a chat service following a real routing engine, on a fake clock.
type routed struct {
	t      *testing.T
	clk    *clock.Fake
	engine *routing.Engine
	store  *postgres.ChatStore
	svc    *webchat.Service
	stop   func()
}

func newRouted(t *testing.T, maxWait int) *routed {
	t.Helper()
	r := &routed{t: t, clk: clock.NewFake(t0), store: postgres.NewChatStore(pgtest.NewDB(t))}
	r.engine = routing.New(r.clk, routing.Config{})
	if err := r.engine.SetQueue(routing.QueueConfig{Name: webchat.Queue, Title: "网上咨询", Strategy: routing.LongestIdle,
		RingSeconds: 20, MaxWaitSeconds: maxWait}); err != nil {
		t.Fatal(err)
	}
	r.start()
	return r
}

// start runs a service over the store that follows the engine, as a
// server (re)starting does.
func (r *routed) start() {
	r.t.Helper()
	if r.stop != nil {
		r.stop()
	}
	r.svc = webchat.NewService(r.store, embeddedtest.DemoSearch(r.t, knowledge.DefaultSynonyms()), r.clk, slog.New(slog.DiscardHandler), webchat.Config{})
	stop, err := r.svc.Follow(context.Background(), r.engine)
	if err != nil {
		r.t.Fatal(err)
	}
	r.stop = stop
	r.t.Cleanup(stop)
}

func (r *routed) chat() (webchat.Chat, *webchat.Listener) {
	r.t.Helper()
	c, _, err := r.svc.Start(context.Background(), "")
	if err != nil {
		r.t.Fatal(err)
	}
	return c, r.svc.Hub().Listen(c.ID)
}

func (r *routed) state(id int64) webchat.Chat {
	r.t.Helper()
	c, err := r.store.Chat(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *routed) agentReady(id string) {
	r.t.Helper()
	// One chat at a time, so that a second chat waits.
	if _, err := r.engine.Login(routing.Profile{ID: id, Name: id, Skills: map[string]int{webchat.Queue: 1}, ChatCapacity: 1}); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.engine.SetPresence(id, routing.Ready, ""); err != nil {
		r.t.Fatal(err)
	}
}

// accept answers the offer ringing for the agent.
func (r *routed) accept(agent string) routing.ContactView {
	r.t.Helper()
	var offer string
	testenv.Eventually(r.t, agent+"'s offer", func() bool {
		v, ok := r.engine.Agent(agent)
		if ok && v.Offer != nil {
			offer = v.Offer.ID
		}
		return offer != ""
	})
	c, err := r.engine.Accept(agent, offer)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// signal waits for the listener's next signal of kind, skipping messages.
func signal(t *testing.T, l *webchat.Listener, kind string) any {
	t.Helper()
	for {
		select {
		case ev, ok := <-l.C:
			if !ok {
				t.Fatalf("listener closed waiting for %s", kind)
			}
			if ev.Message == nil && ev.Signal == kind {
				return ev.Data
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s signal", kind)
		}
	}
}

func TestRouting_HandoffQueuesPositionsAndAgentJoins(t *testing.T) {
	ctx := context.Background()
	r := newRouted(t, 0)
	a, la := r.chat()
	b, lb := r.chat()
	for _, c := range []webchat.Chat{a, b} {
		if err := r.svc.Handoff(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if pos := signal(t, la, "queue").(map[string]int)["position"]; pos != 1 {
		t.Errorf("first chat told position %d, want 1", pos)
	}
	if pos := signal(t, lb, "queue").(map[string]int)["position"]; pos != 2 {
		t.Errorf("second chat told position %d, want 2", pos)
	}

	r.agentReady("agent1")
	contact := r.accept("agent1")
	if contact.Ref == "" || contact.Channel != routing.Chat {
		t.Fatalf("the agent got %+v, want a chat contact", contact)
	}
	if joined := signal(t, la, "agent.joined").(map[string]string); joined["agent"] != "agent1" {
		t.Errorf("agent.joined %v", joined)
	}
	if pos := signal(t, lb, "queue").(map[string]int)["position"]; pos != 1 {
		t.Errorf("after the first was taken the second chat is told %d, want 1", pos)
	}
	// The chat service stores the state, then tells the citizen.
	testenv.Eventually(t, "the citizen told of the agent's arrival", func() bool {
		ms := transcript(t, r.svc, a.ID)
		last := ms[len(ms)-1]
		return last.From == webchat.FromSystem && strings.Contains(last.Text, "agent1")
	})
	if c := r.state(a.ID); c.State != webchat.StateAgent || c.Agent != "agent1" {
		t.Errorf("the first chat is %s with %q, want with agent1", c.State, c.Agent)
	}

	// The agent ends the chat: it closes as answered and asks for a rating, once.
	if _, err := r.engine.End(contact.ID); err != nil {
		t.Fatal(err)
	}
	signal(t, la, "rate.request")
	testenv.Eventually(t, "the chat closed", func() bool { return r.state(a.ID).State == webchat.StateClosed })
	if c := r.state(a.ID); c.Outcome != webchat.OutcomeAnswered {
		t.Errorf("outcome %q, want answered", c.Outcome)
	}

	// The citizen of the second chat leaves while waiting: abandoned, and
	// routing forgets the contact.
	if err := r.svc.Close(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if c := r.state(b.ID); c.Outcome != webchat.OutcomeAbandoned {
		t.Errorf("outcome of a chat left in the queue %q, want abandoned", c.Outcome)
	}
	for _, v := range r.engine.Contacts() {
		if v.Ref == "" || v.Status == routing.Waiting {
			t.Errorf("routing still has %+v", v)
		}
	}
	closing := 0
	for _, m := range transcript(t, r.svc, a.ID) {
		if strings.Contains(m.Text, "本次会话已结束") {
			closing++
		}
	}
	if closing != 1 {
		t.Errorf("the ended chat says it ended %d times, want once", closing)
	}
}

// A restart loses routing, not chats: the waiting chats queue again.
func TestRouting_RestartQueuesOpenChatsAgain(t *testing.T) {
	ctx := context.Background()
	r := newRouted(t, 0)
	a, _ := r.chat()
	if err := r.svc.Handoff(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	r.engine = routing.New(r.clk, routing.Config{}) // the new process's engine
	if err := r.engine.SetQueue(routing.QueueConfig{Name: webchat.Queue, Title: "网上咨询", Strategy: routing.LongestIdle, RingSeconds: 20}); err != nil {
		t.Fatal(err)
	}
	r.start()
	found := false
	for _, v := range r.engine.Contacts() {
		found = found || (v.Channel == routing.Chat && v.Status == routing.Waiting)
	}
	if !found {
		t.Fatal("after the restart the waiting chat is not in routing")
	}
	r.agentReady("agent2")
	r.accept("agent2")
	testenv.Eventually(t, "the chat with agent2", func() bool { return r.state(a.ID).Agent == "agent2" })
}

// Waiting longer than the queue allows hands the chat back to the bot.
func TestRouting_TimedOutChatGoesBackToTheBot(t *testing.T) {
	ctx := context.Background()
	r := newRouted(t, 60)
	a, _ := r.chat()
	if err := r.svc.Handoff(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(61 * time.Second)
	r.engine.Expire()
	testenv.Eventually(t, "the citizen told that no agent is free", func() bool {
		ms := transcript(t, r.svc, a.ID)
		return strings.Contains(ms[len(ms)-1].Text, "没有空闲")
	})
	if c := r.state(a.ID); c.State != webchat.StateBot {
		t.Errorf("after timing out the chat is %s, want the bot's", c.State)
	}
	if got := say(t, r.svc, a.ID, "护照", "after"); got.Seq == 0 {
		t.Fatal("no message after the time-out")
	}
	if ms := transcript(t, r.svc, a.ID); ms[len(ms)-1].From != webchat.FromBot {
		t.Errorf("after timing out the bot does not answer again: %+v", ms[len(ms)-1])
	}
}
