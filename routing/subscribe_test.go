package routing_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
)

// hangAfter is how long a test waits for the engine before calling it a
// deadlock; the steps it waits for take microseconds.
const hangAfter = 10 * time.Second

// newEngine is an engine on a fake clock with one queue and ready agents.
func newEngine(t *testing.T, q routing.QueueConfig, agents ...string) *routing.Engine {
	t.Helper()
	e := routing.New(clock.NewFake(t0), routing.Config{})
	if err := e.SetQueue(q); err != nil {
		t.Fatal(err)
	}
	for _, id := range agents {
		if _, err := e.Login(routing.Profile{ID: id, Skills: skills(q.Name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.SetPresence(id, routing.Ready, routing.ReasonNone); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// serve runs handle for every event of a new subscription on a goroutine
// of its own, as a channel or the hub does, until handle returns false or
// ctx ends; the returned channel is closed when the goroutine has ended.
func serve(ctx context.Context, e *routing.Engine, handle func(routing.Event) bool) <-chan struct{} {
	sub := e.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sub.Close()
		for {
			ev, err := sub.Next(ctx)
			if err != nil || !handle(ev) {
				return
			}
		}
	}()
	return done
}

func waitFor(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(hangAfter):
		t.Fatalf("%s: nothing after %s, the engine is deadlocked", what, hangAfter)
	}
}

// TestSubscription_SubscriberCallsTheEngine: a channel answers and hangs up
// from inside the events it receives — what a listener run under the
// engine's delivery lock could not do without deadlocking the engine.
func TestSubscription_SubscriberCallsTheEngine(t *testing.T) {
	t.Run("EndsAContactFromInsideAnEvent", func(t *testing.T) {
		e := newEngine(t, routing.QueueConfig{Name: "q"}, "a1")
		var got []string
		var endErr error
		done := serve(t.Context(), e, func(ev routing.Event) bool {
			if ev.Contact != nil {
				got = append(got, string(ev.Kind))
			}
			switch ev.Kind {
			case routing.EventOffer:
				_, endErr = e.End(ev.Offer.Contact.ID) // the caller hangs up while it rings
			case routing.EventAbandoned:
				return false
			}
			return endErr == nil
		})
		if _, err := e.Enqueue(routing.Contact{ID: "c1", Channel: routing.Voice, Queue: "q"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the contact ended from its offer", done)
		if endErr != nil || !slices.Equal(got, []string{"contact.abandoned"}) {
			t.Fatalf("End from the event: %v; contact events %v", endErr, got)
		}
		if v, _ := e.Agent("a1"); v.State != routing.Ready || v.Offer != nil {
			t.Fatalf("a1 after the hang-up: %+v", v)
		}
	})
	t.Run("AcceptsThenEndsFromInsideEvents", func(t *testing.T) {
		e := newEngine(t, routing.QueueConfig{Name: "q"}, "a1")
		var kinds []routing.EventKind
		var callErr error
		done := serve(t.Context(), e, func(ev routing.Event) bool {
			switch ev.Kind {
			case routing.EventOffer:
				_, callErr = e.Accept(ev.Offer.Agent, ev.Offer.ID)
			case routing.EventAssigned:
				_, callErr = e.End(ev.Contact.ID)
			case routing.EventEnded:
			default:
				return true
			}
			kinds = append(kinds, ev.Kind)
			return callErr == nil && ev.Kind != routing.EventEnded
		})
		if _, err := e.Enqueue(routing.Contact{Channel: routing.Voice, Queue: "q"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "accept and end from the events", done)
		want := []routing.EventKind{routing.EventOffer, routing.EventAssigned, routing.EventEnded}
		if callErr != nil || !slices.Equal(kinds, want) {
			t.Fatalf("calls from the events: %v; events %v, want %v", callErr, kinds, want)
		}
	})
}

// TestSubscription_InOrderAndCompleteUnderConcurrentProducers: citizens
// arrive and hang up from eight goroutines while one subscriber, the agents'
// side, accepts and ends contacts from inside its events. It and a
// subscriber that reads only at the end see the same events, numbered
// without a gap, and every contact's whole life in order.
func TestSubscription_InOrderAndCompleteUnderConcurrentProducers(t *testing.T) {
	e := newEngine(t, routing.QueueConfig{Name: "q"}, "a1", "a2", "a3", "a4")
	late := e.Subscribe() // read once everything is over: a subscriber far behind
	defer late.Close()

	var live []routing.Event // the agents' side's, read after it has ended
	var misses int           // its calls that lost a race with a hang-up
	agentSide := serve(t.Context(), e, func(ev routing.Event) bool {
		live = append(live, ev)
		var err error
		switch ev.Kind {
		case routing.EventOffer:
			_, err = e.Accept(ev.Offer.Agent, ev.Offer.ID)
		case routing.EventAssigned:
			_, err = e.End(ev.Contact.ID)
		case routing.EventAgent:
			return ev.Agent.ID != "end-marker"
		}
		if err != nil {
			misses++ // conflict or not_found: the citizen hung up first
		}
		return true
	})

	const producers, each = 8, 100
	var wg sync.WaitGroup
	ids := make([][]string, producers)
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				ch := routing.Chat
				if i%3 == 0 {
					ch = routing.Voice
				}
				c, err := e.Enqueue(routing.Contact{ID: fmt.Sprintf("p%d-%d", p, i), Channel: ch, Queue: "q"})
				if err != nil {
					t.Error(err)
					return
				}
				ids[p] = append(ids[p], c.ID)
				if i%4 == 0 {
					e.End(c.ID) // hangs up at once: abandoned, or ended if already answered
				}
			}
		})
	}
	wg.Wait()
	testenv.Eventually(t, "every contact to end", func() bool { return len(e.Contacts()) == 0 })
	if _, err := e.Login(routing.Profile{ID: "end-marker"}); err != nil { // the last change
		t.Fatal(err)
	}
	waitFor(t, "the agents' side to reach the last change", agentSide)

	var after []routing.Event
	for ev, ok := late.TryNext(); ok; ev, ok = late.TryNext() {
		after = append(after, ev)
	}
	if len(live) != len(after) || len(after) == 0 {
		t.Fatalf("the agents' side saw %d events, the late subscriber %d", len(live), len(after))
	}
	for i := range after {
		if i > 0 && after[i].Seq != after[i-1].Seq+1 {
			t.Fatalf("event %d has number %d after %d: one is missing or out of order", i, after[i].Seq, after[i-1].Seq)
		}
		if live[i].Seq != after[i].Seq || live[i].Kind != after[i].Kind {
			t.Fatalf("the subscribers disagree at event %d: %d %s and %d %s", i, live[i].Seq, live[i].Kind, after[i].Seq, after[i].Kind)
		}
	}
	checkLives(t, after, slices.Concat(ids...))
	t.Logf("%d events, %d contacts; %d of the agents' calls lost a race with a hang-up", len(after), producers*each, misses)
}

// checkLives: each contact ends exactly once, as an answered contact that
// ended or one abandoned, and each offer of it ends before the next.
func checkLives(t *testing.T, events []routing.Event, ids []string) {
	t.Helper()
	life := map[string][]string{}
	for _, ev := range events {
		switch {
		case ev.Offer != nil:
			life[ev.Offer.Contact.ID] = append(life[ev.Offer.Contact.ID], string(ev.Kind))
		case ev.Contact != nil:
			life[ev.Contact.ID] = append(life[ev.Contact.ID], string(ev.Kind))
		}
	}
	for _, id := range ids {
		l := life[id]
		ringing := false
		for i, k := range l {
			last := i == len(l)-1
			switch {
			case k == "offer" && !ringing && !last:
				ringing = true
			case k == "offer.withdrawn" && ringing:
				ringing = false
			case k == "contact.assigned" && !ringing && i == len(l)-2 && l[i+1] == "contact.ended":
			case k == "contact.ended" && last && i > 0 && l[i-1] == "contact.assigned":
			case k == "contact.abandoned" && !ringing && last:
			default:
				t.Fatalf("contact %s: %v (at %d)", id, l, i)
			}
		}
		if len(l) == 0 {
			t.Fatalf("contact %s: no events", id)
		}
	}
}

// TestSubscription_NeverDrops: a subscriber that does not read for a long
// while loses nothing, and the engine does not wait for it.
func TestSubscription_NeverDrops(t *testing.T) {
	e := newEngine(t, routing.QueueConfig{Name: "q"}, "a1")
	sub := e.Subscribe()
	defer sub.Close()
	const contacts = 5000
	for i := range contacts {
		c, err := e.Enqueue(routing.Contact{Channel: routing.Voice, Queue: "q"})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			e.End(c.ID)
		}
	}
	queued := sub.Len()
	var got []routing.Event
	for range queued {
		ev, err := sub.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if _, ok := sub.TryNext(); ok || sub.Len() != 0 {
		t.Fatalf("more than the %d events Len counted", queued)
	}
	for i := range got {
		if i > 0 && got[i].Seq != got[i-1].Seq+1 {
			t.Fatalf("event %d has number %d after %d", i, got[i].Seq, got[i-1].Seq)
		}
	}
	enqueued := 0
	for _, ev := range got {
		if ev.Kind == routing.EventQueue {
			enqueued++ // one per change: every Enqueue and End touches the queue
		}
	}
	if enqueued != contacts+contacts/2 {
		t.Fatalf("%d queue events for %d changes", enqueued, contacts+contacts/2)
	}
}

// TestSubscription_EndsCleanly: subscribers' goroutines end when their
// subscription is closed or their context ends, and leave nothing behind;
// a closed subscription is no longer fed.
func TestSubscription_EndsCleanly(t *testing.T) {
	e := newEngine(t, routing.QueueConfig{Name: "q"}, "a1", "a2")
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	var subs []*routing.Subscription
	var done []<-chan struct{}
	var wg sync.WaitGroup
	for i := range 20 {
		sub := e.Subscribe()
		subs = append(subs, sub)
		end := make(chan struct{})
		done = append(done, end)
		wg.Go(func() {
			defer close(end)
			ctx := ctx // odd ones end with the context, even ones when closed
			if i%2 == 0 {
				ctx = context.Background()
			}
			for {
				_, err := sub.Next(ctx)
				switch {
				case i%2 == 0 && errors.Is(err, routing.ErrClosed):
					return
				case i%2 == 1 && errors.Is(err, context.Canceled):
					sub.Close()
					return
				case err != nil:
					t.Errorf("subscriber %d: %v", i, err)
					return
				}
			}
		})
	}
	for range 100 {
		c, err := e.Enqueue(routing.Contact{Channel: routing.Chat, Queue: "q"})
		if err != nil {
			t.Fatal(err)
		}
		e.End(c.ID)
	}
	for i, sub := range subs {
		if i%2 == 0 {
			sub.Close()
		}
	}
	cancel()
	for i, d := range done {
		waitFor(t, fmt.Sprintf("subscriber %d to end", i), d)
	}
	wg.Wait()
	testenv.Eventually(t, "the subscribers' goroutines to be gone", func() bool { return runtime.NumGoroutine() <= before })
	for _, sub := range subs {
		if _, err := sub.Next(context.Background()); !errors.Is(err, routing.ErrClosed) || sub.Len() != 0 {
			t.Fatalf("a closed subscription: %v, %d queued", err, sub.Len())
		}
	}
	if _, err := e.Enqueue(routing.Contact{Channel: routing.Chat, Queue: "q"}); err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		if sub.Len() != 0 {
			t.Fatal("a closed subscription is still fed")
		}
	}
}

// TestSubscription_CloseLetsQueuedEventsGo: events still queued at Close
// are dropped with the subscription, which is fed no more.
func TestSubscription_CloseLetsQueuedEventsGo(t *testing.T) {
	e := newEngine(t, routing.QueueConfig{Name: "q"}, "a1")
	sub := e.Subscribe()
	if _, err := e.Enqueue(routing.Contact{Channel: routing.Chat, Queue: "q"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Next(t.Context()); err != nil || sub.Len() == 0 {
		t.Fatalf("Next: %v, %d more queued", err, sub.Len())
	}
	sub.Close()
	if _, err := sub.Next(t.Context()); !errors.Is(err, routing.ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", err)
	}
	if _, err := e.Enqueue(routing.Contact{Channel: routing.Chat, Queue: "q"}); err != nil || sub.Len() != 0 {
		t.Fatalf("after Close: %v, %d queued", err, sub.Len())
	}
}
