package routing_test

import (
	"testing"

	"github.com/open12345/hotline/routing"
)

func capacityHarness(t *testing.T, cfg routing.Config, p routing.Profile) *harness {
	h := newHarnessWith(t, cfg, t0, routing.QueueConfig{Name: "q"})
	p.ID, p.Skills = "a1", skills("q")
	h.ready(p)
	return h
}

// acceptChats offers and accepts n chats in turn.
func (h *harness) acceptChats(n int) []string {
	h.t.Helper()
	var ids []string
	for range n {
		c := h.chat("q")
		h.wantOffer("a1", c)
		ids = append(ids, h.answer("a1"))
	}
	return ids
}

func TestCapacity(t *testing.T) {
	t.Run("OneVoiceCallIsExclusive", func(t *testing.T) {
		h := capacityHarness(t, routing.Config{}, routing.Profile{})
		h.call("q")
		h.answer("a1")
		h.call("q")
		h.chat("q")
		h.wantOffer("a1", "")
		if v := h.view("a1"); v.Voice != 1 || v.Chats != 0 {
			t.Fatalf("view %+v", v)
		}
	})
	t.Run("ChatsUpToTheDefaultOfThree", func(t *testing.T) {
		h := capacityHarness(t, routing.Config{}, routing.Profile{})
		h.acceptChats(3)
		h.chat("q")
		h.wantOffer("a1", "")
		if v := h.view("a1"); v.Chats != 3 || v.ChatLimit != 3 {
			t.Fatalf("view %+v", v)
		}
	})
	t.Run("DefaultFromConfig", func(t *testing.T) {
		h := capacityHarness(t, routing.Config{ChatCapacity: 5}, routing.Profile{})
		h.acceptChats(5)
		h.chat("q")
		h.wantOffer("a1", "")
	})
	t.Run("ProfileOverridesTheDefault", func(t *testing.T) {
		h := capacityHarness(t, routing.Config{}, routing.Profile{ChatCapacity: 1})
		h.acceptChats(1)
		h.chat("q")
		h.wantOffer("a1", "")
	})
	t.Run("NoVoiceBesideChats", func(t *testing.T) {
		h := capacityHarness(t, routing.Config{}, routing.Profile{})
		chats := h.acceptChats(1)
		call := h.call("q")
		h.wantOffer("a1", "")
		h.end(chats[0])
		h.wantOffer("a1", call)
	})
	t.Run("AChatEndingFreesASlot", func(t *testing.T) {
		h := capacityHarness(t, routing.Config{}, routing.Profile{})
		chats := h.acceptChats(3)
		next := h.chat("q")
		h.end(chats[1])
		h.wantOffer("a1", next)
	})
	t.Run("OnlyOneOfferRingsAtATime", func(t *testing.T) {
		h := capacityHarness(t, routing.Config{}, routing.Profile{})
		c1, c2 := h.chat("q"), h.chat("q")
		h.wantOffer("a1", c1)
		if h.contactStatus(c2) != routing.Waiting {
			t.Fatalf("second chat is %s", h.contactStatus(c2))
		}
		h.answer("a1")
		h.wantOffer("a1", c2) // the next one rings once the first is taken
	})
	t.Run("ARingingChatCountsAgainstCapacity", func(t *testing.T) {
		h := capacityHarness(t, routing.Config{}, routing.Profile{ChatCapacity: 2})
		h.acceptChats(1)
		ringing := h.chat("q")
		h.wantOffer("a1", ringing)
		if v := h.view("a1"); v.Chats != 1 || v.Offer == nil {
			t.Fatalf("view %+v", v)
		}
		h.answer("a1")
		h.chat("q")
		h.wantOffer("a1", "")
	})
}
