package routing_test

import (
	"maps"
	"testing"
	"time"

	"github.com/open12345/hotline/routing"
)

func TestStats_Waiting(t *testing.T) {
	h := newHarness(t, routing.QueueConfig{Name: "q", RingSeconds: 30})
	h.call("q")
	h.advance(10 * time.Second)
	h.call("q")
	h.advance(20 * time.Second)
	s := h.stats("q")
	if s.Waiting != 2 || s.LongestWait != 30 {
		t.Fatalf("waiting %d, longest %v", s.Waiting, s.LongestWait)
	}
	t.Run("ARingingContactIsStillWaiting", func(t *testing.T) {
		h.readyIn([]string{"a1"}, "q")
		if s := h.stats("q"); s.Waiting != 2 || s.LongestWait != 30 || s.ReadyAgents != 1 {
			t.Fatalf("stats %+v", s)
		}
	})
	t.Run("AnAnsweredContactIsNot", func(t *testing.T) {
		h.answer("a1")
		s := h.stats("q")
		if s.Waiting != 1 || s.LongestWait != 20 || s.BusyAgents != 1 || s.AgentsOnline != 1 {
			t.Fatalf("stats %+v", s)
		}
	})
}

// serviceLevelDay answers contacts after 10, 15, 18 and 25 s, loses one
// to a hang-up and one to the maximum wait.
func serviceLevelDay(t *testing.T, h *harness) {
	t.Helper()
	h.readyIn([]string{"a1"}, "q")
	h.presence("a1", routing.NotReady, routing.ReasonBreak)
	for _, wait := range []int{10, 15, 18, 25} {
		h.call("q")
		h.advance(sec(wait))
		h.presence("a1", routing.Ready, routing.ReasonNone)
		h.serve("a1")
		h.presence("a1", routing.NotReady, routing.ReasonBreak)
	}
	h.end(h.call("q"))
	h.call("q")
	h.advance(sec(60))
}

func TestStats_ServiceLevel(t *testing.T) {
	t.Run("AnsweredWithinOverAllEnded", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q", MaxWaitSeconds: 60})
		serviceLevelDay(t, h)
		s := h.stats("q")
		if s.Answered != 4 || s.Abandoned != 1 || s.TimedOut != 1 {
			t.Fatalf("stats %+v", s)
		}
		want := map[string]float64{"15": 2.0 / 6, "20": 3.0 / 6}
		if got := ratios(s.ServiceLevel); !maps.Equal(got, want) {
			t.Fatalf("service level %v, want %v", got, want)
		}
		if !maps.Equal(s.AnsweredWithin, map[string]int{"15": 2, "20": 3}) {
			t.Fatalf("answered within %v", s.AnsweredWithin)
		}
		if s.AnswerRate == nil || *s.AnswerRate != 4.0/6 {
			t.Fatalf("answer rate %v, want 4/6", s.AnswerRate)
		}
	})
	t.Run("NoneWhenNothingEnded", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q"})
		h.call("q")
		s := h.stats("q")
		if len(s.ServiceLevel) != 2 || s.ServiceLevel["15"] != nil || s.ServiceLevel["20"] != nil {
			t.Fatalf("service level %v with nothing measured, want null for 15 and 20", ratios(s.ServiceLevel))
		}
		if s.AnswerRate != nil || !maps.Equal(s.AnsweredWithin, map[string]int{"15": 0, "20": 0}) {
			t.Fatalf("answer rate %v, answered within %v with nothing measured", s.AnswerRate, s.AnsweredWithin)
		}
	})
	t.Run("ZeroIsMeasuredWhenAllWereLost", func(t *testing.T) {
		h := newHarness(t, routing.QueueConfig{Name: "q"})
		h.end(h.call("q"))
		s := h.stats("q")
		if got := ratios(s.ServiceLevel); !maps.Equal(got, map[string]float64{"15": 0, "20": 0}) || s.AnswerRate == nil || *s.AnswerRate != 0 {
			t.Fatalf("one abandoned: service level %v, answer rate %v, want 0 and 0", got, s.AnswerRate)
		}
	})
	t.Run("ThresholdsFromConfig", func(t *testing.T) {
		cfg := routing.Config{ServiceLevels: []time.Duration{30 * time.Second}}
		h := newHarnessWith(t, cfg, t0, routing.QueueConfig{Name: "q", MaxWaitSeconds: 60})
		serviceLevelDay(t, h)
		if sl := ratios(h.stats("q").ServiceLevel); !maps.Equal(sl, map[string]float64{"30": 4.0 / 6}) {
			t.Fatalf("service level %v", sl)
		}
	})
}

func TestStats_ResetAtLocalMidnight(t *testing.T) {
	beijing := time.FixedZone("CST", 8*3600)
	cfg := routing.Config{Location: beijing}
	// The day starts at 07:00 local, which is 23:00 UTC the day before.
	start := time.Date(2026, 9, 30, 7, 0, 0, 0, beijing)
	setup := func(t *testing.T) *harness {
		h := newHarnessWith(t, cfg, start, routing.QueueConfig{Name: "q", MaxWaitSeconds: 60})
		serviceLevelDay(t, h)
		h.call("q") // still waiting at midnight
		return h
	}
	t.Run("NotAtUTCMidnight", func(t *testing.T) {
		h := setup(t)
		h.clk.Set(time.Date(2026, 9, 30, 8, 30, 0, 0, beijing))
		if s := h.stats("q"); s.Answered != 4 || h.view("a1").Answered != 4 {
			t.Fatalf("reset at UTC midnight: %+v", s)
		}
	})
	t.Run("ViewsShowTheNewDayWithoutAnyChange", func(t *testing.T) {
		h := setup(t)
		h.clk.Set(time.Date(2026, 10, 1, 0, 0, 0, 0, beijing))
		s := h.stats("q")
		if s.Answered+s.Abandoned+s.TimedOut != 0 || s.ServiceLevel["15"] != nil || s.Waiting != 1 {
			t.Fatalf("stats after midnight %+v", s)
		}
		if v := h.view("a1"); v.Answered != 0 {
			t.Fatalf("a1 answered %d today", v.Answered)
		}
	})
	t.Run("TodaysFiguresCountFromMidnight", func(t *testing.T) {
		h := setup(t)
		h.clk.Set(time.Date(2026, 10, 1, 0, 0, 5, 0, beijing))
		h.presence("a1", routing.Ready, routing.ReasonNone)
		h.serve("a1")
		if s := h.stats("q"); s.Answered != 1 || s.Abandoned != 0 || s.ServiceLevel["20"] == nil || *s.ServiceLevel["20"] != 0 {
			t.Fatalf("stats %+v", s) // it waited since yesterday
		}
	})
}

// ratios reads the measured service levels; a threshold with nothing
// measured is left out.
func ratios(sl map[string]*float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range sl {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}
