package routing_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/routing"
)

const (
	benchAgents  = 1000
	benchWaiting = 10_000
)

var benchQueues = []routing.QueueConfig{
	{Name: "general", Strategy: routing.LongestIdle},
	{Name: "backup", Strategy: routing.RoundRobin},
	{Name: "complaint", Strategy: routing.SkillLevel},
	{Name: "business", Strategy: routing.FewestAnswered},
}

// benchEngine is an engine whose subscriber remembers each agent's offer.
type benchEngine struct {
	clk    *clock.Fake
	e      *routing.Engine
	sub    *routing.Subscription
	offers map[string]string // agent → offer ringing
}

func newBenchEngine(b *testing.B, queues []routing.QueueConfig) *benchEngine {
	b.Helper()
	be := &benchEngine{clk: clock.NewFake(t0), offers: map[string]string{}}
	be.e = routing.New(be.clk, routing.Config{})
	be.sub = be.e.Subscribe()
	b.Cleanup(be.sub.Close)
	for _, q := range queues {
		if err := be.e.SetQueue(q); err != nil {
			b.Fatal(err)
		}
	}
	return be
}

// sync takes the events queued so far: they are, once a call returns.
func (be *benchEngine) sync() {
	for ev, ok := be.sub.TryNext(); ok; ev, ok = be.sub.TryNext() {
		switch ev.Kind {
		case routing.EventOffer:
			be.offers[ev.Offer.Agent] = ev.Offer.ID
		case routing.EventWithdrawn:
			delete(be.offers, ev.Offer.Agent)
		}
	}
}

// answer accepts the agent's offer and returns the contact.
func (be *benchEngine) answer(b *testing.B, agent string) string {
	be.sync()
	c, err := be.e.Accept(agent, be.offers[agent])
	if err != nil {
		b.Fatalf("%s accepts: %v", agent, err)
	}
	return c.ID
}

// tick lets time pass now and then, so that the ring timers of offers
// long answered are cleared as Run would.
func (be *benchEngine) tick(i int) {
	if i%1024 == 1023 {
		be.clk.Advance(20 * time.Second)
		be.e.Expire()
	}
}

// BenchmarkDecisions: 1,000 agents, each in two of four queues, all on a
// call, with 10,000 calls waiting. Each iteration one agent ends its call
// and is offered and accepts the best waiting call it can take, and one
// call arrives, so every decision is made at full queue size.
func BenchmarkDecisions(b *testing.B) {
	be := newBenchEngine(b, benchQueues)
	agents := make([]string, benchAgents)
	current := map[string]string{} // agent → call
	for i := range agents {
		agents[i] = fmt.Sprintf("agent%04d", i)
		p := routing.Profile{ID: agents[i], Skills: map[string]int{
			benchQueues[i%4].Name: 1 + i%10, benchQueues[(i+1)%4].Name: 1 + i%7}}
		be.e.Login(p)
		be.e.SetPresence(p.ID, routing.Ready, routing.ReasonNone)
		be.e.Enqueue(routing.Contact{Channel: routing.Voice, Queue: benchQueues[i%4].Name})
		current[p.ID] = be.answer(b, p.ID)
	}
	for i := range benchWaiting {
		be.e.Enqueue(routing.Contact{Channel: routing.Voice, Queue: benchQueues[i%4].Name, Priority: i % 3})
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a := agents[i%benchAgents]
		if _, err := be.e.End(current[a]); err != nil {
			b.Fatal(err)
		}
		current[a] = be.answer(b, a)
		be.e.Enqueue(routing.Contact{Channel: routing.Voice, Queue: benchQueues[i%4].Name, Priority: i % 3})
		be.tick(i)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	b.StopTimer()
	if n := len(be.e.Contacts()); n != benchAgents+benchWaiting {
		b.Fatalf("%d live contacts, want %d", n, benchAgents+benchWaiting)
	}
	if err := be.e.Check(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkArrival: a call arrives in a queue of 1,000 agents, half of them
// on a call, and the strategy picks among the other half (ring-all rings
// them all). The caller then hangs up, which frees the agents again.
func BenchmarkArrival(b *testing.B) {
	for _, s := range routing.Strategies {
		b.Run(string(s), func(b *testing.B) {
			be := newBenchEngine(b, []routing.QueueConfig{{Name: "q", Strategy: s}})
			for i := range benchAgents {
				id := fmt.Sprintf("agent%04d", i)
				be.e.Login(routing.Profile{ID: id, Skills: map[string]int{"q": 1 + i%10}})
				if i%2 == 0 {
					be.e.Enqueue(routing.Contact{Channel: routing.Voice, Queue: "q"})
					be.e.SetPresence(id, routing.Ready, routing.ReasonNone)
					be.answer(b, id)
				}
			}
			for i := 1; i < benchAgents; i += 2 {
				be.e.SetPresence(fmt.Sprintf("agent%04d", i), routing.Ready, routing.ReasonNone)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				c, err := be.e.Enqueue(routing.Contact{Channel: routing.Voice, Queue: "q"})
				be.sync()
				if err != nil || len(be.offers) == 0 {
					b.Fatalf("not offered: %v", err)
				}
				be.e.End(c.ID)
				be.tick(i)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "arrivals/s")
		})
	}
}
