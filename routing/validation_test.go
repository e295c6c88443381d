package routing_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

func TestValidation_QueueConfig(t *testing.T) {
	bad := map[string]routing.QueueConfig{
		"NoName":               {},
		"LongName":             {Name: strings.Repeat("q", 33)},
		"NameWithSpace":        {Name: "a b"},
		"UnknownStrategy":      {Name: "q", Strategy: "random"},
		"LongTitle":            {Name: "q", Title: strings.Repeat("咨", 41)},
		"RingTooLong":          {Name: "q", RingSeconds: routing.MaxRingSeconds + 1},
		"NegativeRing":         {Name: "q", RingSeconds: -1},
		"NegativeWrapUp":       {Name: "q", WrapUpSeconds: -1},
		"WrapUpTooLong":        {Name: "q", WrapUpSeconds: routing.MaxWrapUpSeconds + 1},
		"NegativeMaxWait":      {Name: "q", MaxWaitSeconds: -1},
		"MaxWaitTooLong":       {Name: "q", MaxWaitSeconds: routing.MaxWaitLimit + 1},
		"OverflowTooLate":      {Name: "q", OverflowAfterSeconds: routing.MaxWaitLimit + 1, OverflowTo: "b"},
		"OverflowWithoutQueue": {Name: "q", OverflowAfterSeconds: 10},
		"OverflowWithoutTime":  {Name: "q", OverflowTo: "b"},
		"OverflowToItself":     {Name: "q", OverflowAfterSeconds: 10, OverflowTo: "q"},
		"OverflowToBadName":    {Name: "q", OverflowAfterSeconds: 10, OverflowTo: "b/c"},
	}
	for name, q := range bad {
		t.Run(name, func(t *testing.T) {
			wantCode(t, q.Normalize(), errs.Invalid)
			e := newHarness(t).e
			wantCode(t, e.SetQueue(q), errs.Invalid)
			if len(e.Queues()) != 0 {
				t.Fatal("a bad queue was added")
			}
		})
	}
	t.Run("DefaultsAndLimits", func(t *testing.T) {
		q := routing.QueueConfig{Name: "Q_1-x", Title: strings.Repeat("咨", 40), RingSeconds: routing.MaxRingSeconds,
			WrapUpSeconds: routing.MaxWrapUpSeconds, MaxWaitSeconds: routing.MaxWaitLimit}
		if err := q.Normalize(); err != nil {
			t.Fatal(err)
		}
		d := routing.QueueConfig{Name: "d"}
		if err := d.Normalize(); err != nil || d.RingSeconds != routing.DefaultRingSeconds {
			t.Fatalf("defaults %+v, %v", d, err)
		}
	})
}

func TestValidation_Profile(t *testing.T) {
	many := map[string]int{}
	for i := range 65 {
		many[fmt.Sprintf("q%d", i)] = 1
	}
	bad := map[string]routing.Profile{
		"NoID":             {},
		"LongID":           {ID: strings.Repeat("a", 65)},
		"NegativeCapacity": {ID: "a", ChatCapacity: -1},
		"CapacityTooHigh":  {ID: "a", ChatCapacity: routing.MaxChatCapacity + 1},
		"TooManySkills":    {ID: "a", Skills: many},
		"BadSkillName":     {ID: "a", Skills: map[string]int{"a b": 1}},
		"LevelZero":        {ID: "a", Skills: map[string]int{"q": 0}},
		"LevelTooHigh":     {ID: "a", Skills: map[string]int{"q": routing.MaxSkillLevel + 1}},
	}
	for name, p := range bad {
		t.Run(name, func(t *testing.T) {
			e := newHarness(t).e
			_, err := e.Login(p)
			wantCode(t, err, errs.Invalid)
			_, err = e.SetProfile(p)
			wantCode(t, err, errs.Invalid)
			if len(e.Agents()) != 0 {
				t.Fatal("a bad profile was added")
			}
		})
	}
}

func TestValidation_Enqueue(t *testing.T) {
	h := newHarness(t, routing.QueueConfig{Name: "q"})
	h.readyIn([]string{"a1"}, "q")
	h.enqueue(routing.Contact{ID: "ringing", Channel: routing.Voice, Queue: "q"})
	h.enqueue(routing.Contact{ID: "waiting", Channel: routing.Voice, Queue: "q"})
	for _, tc := range []struct {
		name string
		c    routing.Contact
		code errs.Code
	}{
		{"UnknownChannel", routing.Contact{Channel: "fax", Queue: "q"}, errs.Invalid},
		{"NoChannel", routing.Contact{Queue: "q"}, errs.Invalid},
		{"NegativePriority", routing.Contact{Channel: routing.Chat, Queue: "q", Priority: -1}, errs.Invalid},
		{"PriorityTooHigh", routing.Contact{Channel: routing.Chat, Queue: "q", Priority: routing.MaxPriority + 1}, errs.Invalid},
		{"LongID", routing.Contact{ID: strings.Repeat("c", 129), Channel: routing.Chat, Queue: "q"}, errs.Invalid},
		{"LongCaller", routing.Contact{Channel: routing.Chat, Queue: "q", Caller: strings.Repeat("1", 65)}, errs.Invalid},
		{"UnknownQueue", routing.Contact{Channel: routing.Chat, Queue: "nope"}, errs.NotFound},
		{"DuplicateRinging", routing.Contact{ID: "ringing", Channel: routing.Chat, Queue: "q"}, errs.Conflict},
		{"DuplicateWaiting", routing.Contact{ID: "waiting", Channel: routing.Chat, Queue: "q"}, errs.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.e.Enqueue(tc.c)
			wantCode(t, err, tc.code)
			if errs.Message(err) == "internal error" {
				t.Fatalf("no message for the user: %v", err)
			}
		})
	}
	if n := len(h.e.Contacts()); n != 2 {
		t.Fatalf("%d live contacts after bad input", n)
	}
	t.Run("MaxPriorityIsFine", func(t *testing.T) {
		h.enqueue(routing.Contact{Channel: routing.Chat, Queue: "q", Priority: routing.MaxPriority})
	})
}

func TestValidation_Presence(t *testing.T) {
	h := newHarness(t, routing.QueueConfig{Name: "q"})
	h.readyIn([]string{"a1"}, "q")
	h.e.SetProfile(routing.Profile{ID: "off", Skills: skills("q")})
	for _, tc := range []struct {
		name   string
		agent  string
		state  routing.State
		reason routing.Reason
		code   errs.Code
	}{
		{"UnknownReason", "a1", routing.NotReady, "nap", errs.Invalid},
		{"MissedIsTheEngines", "a1", routing.NotReady, routing.ReasonMissed, errs.Invalid},
		{"ReadyWithAReason", "a1", routing.Ready, routing.ReasonBreak, errs.Invalid},
		{"WrapUpWithAReason", "a1", routing.WrapUp, routing.ReasonBreak, errs.Invalid},
		{"Busy", "a1", routing.Busy, "", errs.Invalid},
		{"Offline", "a1", routing.Offline, "", errs.Invalid},
		{"UnknownAgent", "nobody", routing.Ready, "", errs.NotFound},
		{"OfflineAgent", "off", routing.Ready, "", errs.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.e.SetPresence(tc.agent, tc.state, tc.reason)
			wantCode(t, err, tc.code)
		})
	}
	h.wantState("a1", routing.Ready, routing.ReasonNone)
	t.Run("EveryReasonAnAgentMayChoose", func(t *testing.T) {
		for _, r := range append(routing.Reasons, routing.ReasonNone) {
			h.presence("a1", routing.NotReady, r)
			h.wantState("a1", routing.NotReady, r)
		}
	})
}
