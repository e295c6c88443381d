package routing_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// phone registers (true) or unregisters the agent's phone.
func (h *harness) phone(agent string, registered bool) {
	h.t.Helper()
	if err := h.e.SetReachable(agent, routing.Voice, registered); err != nil {
		h.t.Fatalf("SetReachable(%s, voice, %v): %v", agent, registered, err)
	}
	h.check()
}

// voiceHarness requires a phone for voice, as the voice channel does.
func voiceHarness(t *testing.T, queues ...routing.QueueConfig) *harness {
	h := newHarness(t, queues...)
	if err := h.e.RequireDevice(routing.Voice, true); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestReachability(t *testing.T) {
	q := routing.QueueConfig{Name: "q", RingSeconds: 10}
	t.Run("WithoutAPhoneChatsButNoCalls", func(t *testing.T) {
		h := voiceHarness(t, q)
		h.readyIn([]string{"a1"}, "q")
		call := h.call("q")
		h.wantOffer("a1", "")
		chat := h.chat("q")
		h.wantOffer("a1", chat)
		h.answer("a1")
		h.wantOffer("a1", "") // the call still waits: no phone
		if v := h.view("a1"); v.VoiceReachable || v.State != routing.Busy || v.Chats != 1 {
			t.Fatalf("a1 without a phone: %+v", v)
		}
		if s := h.contactStatus(call); s != routing.Waiting {
			t.Fatalf("call is %s, want waiting", s)
		}
		if w := h.withdrawn("a1", call); len(w) != 0 {
			t.Fatalf("the call was offered to a1: %v", w)
		}
	})
	t.Run("RegisteringRingsTheWaitingCall", func(t *testing.T) {
		h := voiceHarness(t, q)
		h.readyIn([]string{"a1"}, "q")
		call := h.call("q")
		h.wantOffer("a1", "")
		h.wantKinds(func() { h.phone("a1", true) }, "offer")
		h.wantOffer("a1", call)
		if !h.view("a1").VoiceReachable {
			t.Fatal("a1 with a phone is not voice_reachable")
		}
	})
	t.Run("UnregisteringStopsNewOffers", func(t *testing.T) {
		h := voiceHarness(t, q)
		h.readyIn([]string{"a1"}, "q")
		h.phone("a1", true)
		h.end(h.answer2(h.call("q"), "a1"))
		h.phone("a1", false)
		call := h.call("q")
		h.wantOffer("a1", "")
		chat := h.chat("q")
		h.wantOffer("a1", chat)
		if h.contactStatus(call) != routing.Waiting {
			t.Fatal("the call does not wait")
		}
	})
	t.Run("UnregisteringWhileRingingWithdrawsTheOffer", func(t *testing.T) {
		h := voiceHarness(t, q)
		h.readyIn([]string{"a1", "a2"}, "q")
		h.phone("a1", true)
		h.phone("a2", true)
		call := h.call("q")
		h.wantOffer("a1", call)
		h.wantKinds(func() { h.phone("a1", false) }, "offer.withdrawn:unreachable", "offer")
		h.wantOffer("a2", call)
		h.wantState("a1", routing.Ready, routing.ReasonNone) // not missed: the phone went, not the agent
		chat := h.chat("q")
		h.wantOffer("a1", chat)
	})
	t.Run("UnregisteringLeavesARingingChat", func(t *testing.T) {
		h := voiceHarness(t, q)
		h.readyIn([]string{"a1"}, "q")
		h.phone("a1", true)
		chat := h.chat("q")
		h.phone("a1", false)
		h.wantOffer("a1", chat)
	})
	t.Run("UnregisteringDuringACallLeavesItConnected", func(t *testing.T) {
		h := voiceHarness(t, q)
		h.readyIn([]string{"a1"}, "q")
		h.phone("a1", true)
		call := h.answer2(h.call("q"), "a1")
		h.phone("a1", false)
		if h.contactStatus(call) != routing.Connected {
			t.Fatal("the connected call was touched")
		}
	})
	t.Run("RingAllRingsOnlyPhonesThatCanRing", func(t *testing.T) {
		h := voiceHarness(t, routing.QueueConfig{Name: "all", Strategy: routing.RingAll})
		h.readyIn([]string{"a1", "a2", "a3"}, "all")
		h.phone("a1", true)
		h.phone("a2", true)
		call := h.call("all")
		h.wantOffer("a1", call)
		h.wantOffer("a2", call)
		h.wantOffer("a3", "")
		h.phone("a2", false)
		h.wantOffer("a1", call)
		h.wantOffer("a2", "")
		if w := h.withdrawn("a2", call); !slices.Equal(w, []string{routing.WithdrawnUnreachable}) {
			t.Fatalf("a2's offer ended %v", w)
		}
	})
	t.Run("RegisteredBeforeLoginAndKeptAcrossLogins", func(t *testing.T) {
		h := voiceHarness(t, q)
		h.phone("a1", true) // the phone registers before the console opens
		h.readyIn([]string{"a1"}, "q")
		call := h.call("q")
		h.wantOffer("a1", call)
		h.e.Logout("a1")
		h.readyIn([]string{"a1"}, "q")
		h.wantOffer("a1", call)
	})
	t.Run("OffByDefault", func(t *testing.T) {
		h := newHarness(t, q) // no voice channel: test contacts reach anyone ready
		h.readyIn([]string{"a1"}, "q")
		call := h.call("q")
		h.wantOffer("a1", call)
		if !h.view("a1").VoiceReachable {
			t.Fatal("voice_reachable is false with no device required")
		}
	})
	t.Run("RequiringAPhoneWithdrawsOffersThatCannotRing", func(t *testing.T) {
		h := newHarness(t, q)
		h.readyIn([]string{"a1", "a2"}, "q")
		h.phone("a2", true) // registered while not yet required
		call := h.call("q")
		h.wantOffer("a1", call)
		h.wantKinds(func() {
			if err := h.e.RequireDevice(routing.Voice, true); err != nil {
				t.Fatal(err)
			}
		}, "offer.withdrawn:unreachable", "offer")
		h.check()
		h.wantOffer("a2", call)
		if h.view("a1").VoiceReachable || !h.view("a2").VoiceReachable {
			t.Fatalf("voice_reachable: a1 %v, a2 %v", h.view("a1").VoiceReachable, h.view("a2").VoiceReachable)
		}
	})
	t.Run("NoLongerRequiringAPhoneRoutesTheWaitingCalls", func(t *testing.T) {
		h := voiceHarness(t, q)
		h.readyIn([]string{"a1"}, "q")
		call := h.call("q")
		h.wantKinds(func() {
			if err := h.e.RequireDevice(routing.Voice, false); err != nil {
				t.Fatal(err)
			}
		}, "offer")
		h.check()
		h.wantOffer("a1", call)
	})
	t.Run("ChatCanRequireADeviceToo", func(t *testing.T) {
		h := newHarness(t, q)
		if err := h.e.RequireDevice(routing.Chat, true); err != nil {
			t.Fatal(err)
		}
		h.readyIn([]string{"a1"}, "q")
		chat := h.chat("q")
		h.wantOffer("a1", "")
		if err := h.e.SetReachable("a1", routing.Chat, true); err != nil {
			t.Fatal(err)
		}
		h.check()
		h.wantOffer("a1", chat)
		if !h.view("a1").VoiceReachable {
			t.Fatal("voice_reachable follows the chat requirement")
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		h := newHarness(t, q)
		wantCode(t, h.e.SetReachable("", routing.Voice, true), errs.Invalid)
		wantCode(t, h.e.SetReachable(strings.Repeat("a", 65), routing.Voice, true), errs.Invalid)
		wantCode(t, h.e.SetReachable("a1", "sms", true), errs.Invalid)
		wantCode(t, h.e.RequireDevice("fax", true), errs.Invalid)
		h.phone("nobody", false) // an agent routing has never seen: nothing to do
	})
}

// answer2 waits for the contact to ring for the agent and accepts it.
func (h *harness) answer2(contact, agent string) string {
	h.t.Helper()
	h.wantOffer(agent, contact)
	return h.answer(agent)
}

// TestAgentView_VoiceReachableInJSON: the console's presence message
// carries voice_reachable, false as well as true.
func TestAgentView_VoiceReachableInJSON(t *testing.T) {
	h := voiceHarness(t, routing.QueueConfig{Name: "q"})
	h.readyIn([]string{"a1"}, "q")
	for _, registered := range []bool{false, true} {
		h.phone("a1", registered)
		b, err := json.Marshal(h.view("a1"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if got, ok := m["voice_reachable"]; !ok || got != registered {
			t.Fatalf("registered %v: voice_reachable %v in %s", registered, got, b)
		}
	}
	var last *routing.AgentView
	for _, ev := range h.drained() {
		if ev.Kind == routing.EventAgent && ev.Agent.ID == "a1" {
			last = ev.Agent
		}
	}
	if last == nil || !last.VoiceReachable {
		t.Fatalf("the last agent event does not show the phone: %+v", last)
	}
}
