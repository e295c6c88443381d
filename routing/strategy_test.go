package routing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/open12345/hotline/routing"
)

func queueWith(s routing.Strategy) routing.QueueConfig {
	return routing.QueueConfig{Name: "q", Strategy: s, RingSeconds: 10}
}

// serve answers and ends at once the contact ringing for the agent.
func (h *harness) serve(agent string) {
	h.t.Helper()
	h.end(h.answer(agent))
}

func TestStrategy_LongestIdle(t *testing.T) {
	t.Run("IsTheDefault", func(t *testing.T) {
		q := routing.QueueConfig{Name: "q"}
		if err := q.Normalize(); err != nil || q.Strategy != routing.LongestIdle {
			t.Fatalf("Normalize: %v, strategy %q", err, q.Strategy)
		}
	})
	t.Run("TiesGoToTheLowestID", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q"})
		h.readyIn([]string{"a3", "a1", "a2"}, "q")
		h.wantOffer("a1", h.call("q"))
	})
	t.Run("IdleClockIsTheLastOwnContactEnd", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q"})
		h.readyIn([]string{"a1", "a2", "a3"}, "q")
		c1 := h.call("q")
		h.answer("a1")
		c2 := h.call("q")
		h.answer("a2")
		h.advance(10 * time.Second)
		h.end(c2) // a2 idle since t0+10
		h.advance(10 * time.Second)
		h.end(c1) // a1 idle since t0+20; a3 since it was created
		for _, want := range []string{"a3", "a2", "a1"} {
			h.wantOffer(want, h.call("q"))
			h.answer(want)
		}
		if got := h.view("a2").IdleSince; !got.Equal(t0.Add(10 * time.Second)) {
			t.Fatalf("a2 idle since %v", got)
		}
	})
	t.Run("RingOutDoesNotRestartTheIdleClock", func(t *testing.T) {
		h := newHarness(t, queueWith(routing.LongestIdle))
		h.readyIn([]string{"a1", "a2"}, "q")
		h.wantOffer("a1", h.call("q"))
		h.advance(10 * time.Second) // rings out: a1 missed, a2 offered
		h.presence("a1", routing.Ready, routing.ReasonNone)
		h.serve("a2")
		h.wantOffer("a1", h.call("q"))
	})
}

func TestStrategy_RoundRobin(t *testing.T) {
	setup := func(t *testing.T, agents ...string) *harness {
		h := newHarness(t, queueWith(routing.RoundRobin))
		h.readyIn(agents, "q")
		return h
	}
	t.Run("NextAgentAfterTheLastOffered", func(t *testing.T) {
		h := setup(t, "a1", "a2", "a3")
		h.wantOffer("a1", h.call("q"))
		h.serve("a1") // a1 is idle again, and idle as long as the others
		h.wantOffer("a2", h.call("q"))
	})
	t.Run("WrapsAround", func(t *testing.T) {
		h := setup(t, "a1", "a2", "a3")
		for _, want := range []string{"a1", "a2", "a3", "a1", "a2"} {
			h.wantOffer(want, h.call("q"))
			h.serve(want)
		}
	})
	t.Run("SkipsAgentsWhoAreNotReady", func(t *testing.T) {
		h := setup(t, "a1", "a2", "a3")
		h.presence("a2", routing.NotReady, routing.ReasonBreak)
		for _, want := range []string{"a1", "a3", "a1"} {
			h.wantOffer(want, h.call("q"))
			h.serve(want)
		}
	})
	t.Run("CountsOffersMadeWhenAnAgentFreesUp", func(t *testing.T) {
		h := setup(t, "a1", "a2", "a3", "a4")
		var calls []string
		for _, a := range []string{"a1", "a2", "a3", "a4"} {
			calls = append(calls, h.call("q"))
			h.answer(a)
		}
		h.call("q") // waits
		h.end(calls[1])
		h.answer("a2") // a2 was the last one offered
		h.end(calls[0])
		h.end(calls[2])
		h.end(calls[3])
		h.wantOffer("a3", h.call("q"))
	})
}

func TestStrategy_RingAll(t *testing.T) {
	setup := func(t *testing.T) (*harness, string) {
		h := newHarness(t, queueWith(routing.RingAll))
		h.readyIn([]string{"a1", "a2", "a3", "a4"}, "q")
		h.presence("a4", routing.NotReady, routing.ReasonMeal)
		return h, h.call("q")
	}
	t.Run("OffersEveryReadyAgentAtOnce", func(t *testing.T) {
		h, c := setup(t)
		for _, a := range []string{"a1", "a2", "a3"} {
			h.wantOffer(a, c)
		}
		h.wantOffer("a4", "")
	})
	t.Run("FirstAcceptWinsOthersAreTaken", func(t *testing.T) {
		h, c := setup(t)
		h.answer("a2")
		if got := h.withdrawn("a2", c); !slices.Equal(got, []string{routing.WithdrawnAccepted}) {
			t.Fatalf("a2 withdrawn %v", got)
		}
		for _, a := range []string{"a1", "a3"} {
			if got := h.withdrawn(a, c); !slices.Equal(got, []string{routing.WithdrawnTaken}) {
				t.Fatalf("%s withdrawn %v, want taken", a, got)
			}
			h.wantOffer(a, "")
			h.wantState(a, routing.Ready, routing.ReasonNone)
		}
		if h.view("a2").Contacts[0].ID != c {
			t.Fatal("a2 does not hold the contact")
		}
	})
	t.Run("SecondAcceptIsAConflict", func(t *testing.T) {
		h, _ := setup(t)
		late := h.offerID("a3")
		h.answer("a1")
		_, err := h.e.Accept("a3", late)
		wantCode(t, err, "conflict")
	})
	t.Run("RingOutDoesNotMakeAgentsMissed", func(t *testing.T) {
		h, c := setup(t)
		h.advance(10 * time.Second)
		for _, a := range []string{"a1", "a2", "a3"} {
			h.wantState(a, routing.Ready, routing.ReasonNone)
			if got := h.withdrawn(a, c); !slices.Equal(got, []string{routing.WithdrawnTimeout}) {
				t.Fatalf("%s withdrawn %v", a, got)
			}
			h.wantOffer(a, c) // rings everyone again
		}
	})
	t.Run("RingOutServesBetterContactsWaitingFirst", func(t *testing.T) {
		h, c := setup(t)
		h.advance(time.Second)
		var want []string
		for range 3 { // as many as there are agents ringing for c
			want = append(want, h.enqueue(routing.Contact{Channel: routing.Voice, Queue: "q", Priority: 5}).ID)
		}
		h.advance(9 * time.Second)
		got := []string{h.offered("a1"), h.offered("a2"), h.offered("a3")}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || h.contactStatus(c) != routing.Waiting {
			t.Fatalf("after ring-out offers %v, want %v and %s waiting", got, want, c)
		}
	})
}

func TestStrategy_FewestAnswered(t *testing.T) {
	// a1 answers two calls early; a2 arrives later, so a1 has idled longer.
	setup := func(t *testing.T) *harness {
		h := newHarness(t, queueWith(routing.FewestAnswered))
		h.readyIn([]string{"a1"}, "q")
		for range 2 {
			h.call("q")
			h.serve("a1")
		}
		h.advance(100 * time.Second)
		h.readyIn([]string{"a2"}, "q")
		return h
	}
	t.Run("PicksTheAgentWhoAnsweredFewest", func(t *testing.T) {
		h := setup(t)
		h.wantOffer("a2", h.call("q"))
	})
	t.Run("TiesGoToTheLongestIdle", func(t *testing.T) {
		h := setup(t)
		for range 2 {
			h.call("q")
			h.serve("a2")
		}
		h.wantOffer("a1", h.call("q"))
	})
	t.Run("CountsStartAgainAtMidnight", func(t *testing.T) {
		h := setup(t)
		h.clk.Set(time.Date(2026, 10, 1, 0, 0, 1, 0, time.UTC))
		if v := h.view("a1"); v.Answered != 0 {
			t.Fatalf("a1 answered %d after midnight", v.Answered)
		}
		h.wantOffer("a1", h.call("q")) // 0 each: the longest idle
	})
}

func TestStrategy_SkillLevel(t *testing.T) {
	h := newHarness(t, queueWith(routing.SkillLevel))
	h.ready(routing.Profile{ID: "a1", Skills: map[string]int{"q": 1}})
	h.ready(routing.Profile{ID: "a3", Skills: map[string]int{"q": 5}})
	h.advance(time.Second)
	h.ready(routing.Profile{ID: "a2", Skills: map[string]int{"q": 5}})
	t.Run("HighestLevelThenLongestIdle", func(t *testing.T) {
		for _, want := range []string{"a3", "a2", "a1"} {
			h.wantOffer(want, h.call("q"))
			h.answer(want)
		}
	})
}
