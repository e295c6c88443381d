package agentui_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/routing"
)

// channelControl is a channel's control that records what it was asked
// and leaves the contact in routing, as a call still hanging up would.
type channelControl struct {
	onDevice bool // contacts are answered on the agent's phone
	mu       sync.Mutex
	ended    []string
}

func (c *channelControl) End(_ context.Context, contactID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = append(c.ended, contactID)
	return nil
}

func (c *channelControl) AnsweredOnDevice() bool { return c.onDevice }

func (c *channelControl) endedOnes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ended)
}

// newEnvWithVoice is an env whose voice contacts are controlled by the returned control.
func newEnvWithVoice(t *testing.T) (*env, *channelControl) {
	voice := &channelControl{}
	e := newEnvWith(t, func(d *agentui.Deps) {
		d.Controls = map[routing.Channel]agentui.ContactControl{routing.Voice: voice}
	})
	return e, voice
}

// offered is what the tests read of an offer.
type offered struct {
	OfferID       string        `json:"offer_id"`
	TicketChannel string        `json:"ticket_channel"`
	Contact       contactOnWire `json:"contact"`
}

// contactOnWire is a contact as the console gets it.
type contactOnWire struct {
	routing.ContactView
	TicketChannel string `json:"ticket_channel"`
}

// connect has agent1 (ready, on tab) take the contact, entered as a
// channel would enter it; it returns the offer and the accepted contact.
func (e *env) connect(tab *wsConn, in routing.Contact) (offered, contactOnWire) {
	e.t.Helper()
	if _, err := e.routing.Enqueue(in); err != nil {
		e.t.Fatal(err)
	}
	var o offered
	tab.await("offer", nil, &o)
	ack := tab.request("offer.accept", map[string]string{"offer_id": o.OfferID})
	var c contactOnWire
	if err := json.Unmarshal(ack.Data, &c); ack.Type != "ack" || err != nil || c.Status != routing.Connected {
		e.t.Fatalf("accept: %s %s", ack.Type, ack.Data)
	}
	return o, c
}

// readyAgent opens agent1's console and makes the agent ready.
func (e *env) readyAgent() *wsConn {
	e.t.Helper()
	tab := e.mustWS("agent1")
	tab.await("presence", stateIs(routing.NotReady), nil)
	if ack := tab.request("presence.set", map[string]string{"state": "ready"}); ack.Type != "ack" {
		e.t.Fatalf("presence.set: %s %s", ack.Type, ack.Data)
	}
	return tab
}

func (e *env) contactStatus(id string) (routing.ContactStatus, bool) {
	for _, c := range e.routing.Contacts() {
		if c.ID == id {
			return c.Status, true
		}
	}
	return "", false
}

func TestContactControl_ConsoleEndGoesThroughTheChannel(t *testing.T) {
	e, voice := newEnvWithVoice(t)
	tab := e.readyAgent()
	_, c := e.connect(tab, routing.Contact{Channel: routing.Voice, Queue: "complaint", Caller: "13800001234", Ref: "call-1"})
	if ack := tab.request("contact.end", map[string]string{"contact_id": c.ID}); ack.Type != "ack" {
		t.Fatalf("contact.end: %s %s", ack.Type, ack.Data)
	}
	if got := voice.endedOnes(); !slices.Equal(got, []string{c.ID}) {
		t.Fatalf("voice control ended %v, want [%s]", got, c.ID)
	}
	// Routing hears of the end from the channel, once the call is down.
	if st, ok := e.contactStatus(c.ID); !ok || st != routing.Connected {
		t.Fatalf("contact in routing: %q %v, want still connected until the channel ends it", st, ok)
	}
}

func TestContactControl_SupervisorEndGoesThroughTheChannel(t *testing.T) {
	e, voice := newEnvWithVoice(t)
	tab := e.readyAgent()
	_, c := e.connect(tab, routing.Contact{Channel: routing.Voice, Queue: "complaint", Caller: "13800001234", Ref: "call-2"})
	var got routing.ContactView
	e.must(e.call("supervisor", "POST", "/api/v1/routing/contacts/"+c.ID+"/end", nil), 200, &got)
	if got.ID != c.ID {
		t.Fatalf("answer %+v, want contact %s", got, c.ID)
	}
	if ended := voice.endedOnes(); !slices.Equal(ended, []string{c.ID}) {
		t.Fatalf("voice control ended %v, want [%s]", ended, c.ID)
	}
	if st, ok := e.contactStatus(c.ID); !ok || st != routing.Connected {
		t.Fatalf("contact in routing: %q %v, want still connected until the channel ends it", st, ok)
	}
	if r := e.call("supervisor", "POST", "/api/v1/routing/contacts/nope/end", nil); r.Status != 404 {
		t.Fatalf("end of an unknown contact: %d %s", r.Status, r.Body)
	}
}

// Contacts no channel carries end in routing, as before: those of a
// channel without a control, and test contacts (no channel reference).
func TestContactControl_WithoutControlEndsInRouting(t *testing.T) {
	e, voice := newEnvWithVoice(t)
	tab := e.readyAgent()
	_, chat := e.connect(tab, routing.Contact{Channel: routing.Chat, Queue: "complaint", Caller: "访客", Ref: "chat-1"})
	if ack := tab.request("contact.end", map[string]string{"contact_id": chat.ID}); ack.Type != "ack" {
		t.Fatalf("contact.end: %s %s", ack.Type, ack.Data)
	}
	if _, ok := e.contactStatus(chat.ID); ok {
		t.Fatalf("chat contact %s still in routing", chat.ID)
	}
	tab.await("presence", stateIs(routing.WrapUp), nil)
	if ack := tab.request("presence.set", map[string]string{"state": "ready"}); ack.Type != "ack" {
		t.Fatalf("presence.set: %s %s", ack.Type, ack.Data)
	}
	var injected routing.ContactView
	e.must(e.call("supervisor", "POST", "/api/v1/routing/contacts",
		map[string]any{"channel": "voice", "queue": "complaint", "caller": "13800001234"}), 201, &injected)
	var ended routing.ContactView
	e.must(e.call("supervisor", "POST", "/api/v1/routing/contacts/"+injected.ID+"/end", nil), 200, &ended)
	if ended.Status != routing.Abandoned {
		t.Fatalf("test contact ended as %q, want abandoned", ended.Status)
	}
	if got := voice.endedOnes(); len(got) != 0 {
		t.Fatalf("voice control asked to end %v, which no channel carries", got)
	}
	if err := e.routing.Check(); err != nil {
		t.Fatal(err)
	}
}

// A call that rings the agent's phone is answered there: the console's
// offer says so and its accept is refused; declining still works.
func TestContactControl_PhoneCallsAreAnsweredOnThePhone(t *testing.T) {
	voice := &channelControl{onDevice: true}
	e := newEnvWith(t, func(d *agentui.Deps) {
		d.Controls = map[routing.Channel]agentui.ContactControl{routing.Voice: voice}
	})
	tab := e.readyAgent()
	if _, err := e.routing.Enqueue(routing.Contact{Channel: routing.Voice, Queue: "complaint", Caller: "13800001234", Ref: "call-9"}); err != nil {
		t.Fatal(err)
	}
	var o struct {
		OfferID       string `json:"offer_id"`
		AnswerOnPhone bool   `json:"answer_on_phone"`
	}
	tab.await("offer", nil, &o)
	if !o.AnswerOnPhone {
		t.Fatal("the offer of a call ringing the agent's phone does not say answer_on_phone")
	}
	if ack := tab.request("offer.accept", map[string]string{"offer_id": o.OfferID}); ack.Type != "error" || !strings.Contains(string(ack.Data), "phone") {
		t.Fatalf("accepting a phone call in the console: %s %s, want an error saying to answer on the phone", ack.Type, ack.Data)
	}
	if ack := tab.request("offer.decline", map[string]string{"offer_id": o.OfferID}); ack.Type != "ack" {
		t.Fatalf("offer.decline: %s %s", ack.Type, ack.Data)
	}
	tab.await("offer.withdrawn", nil, nil)
	// A test contact (no channel reference) is still answered in the console.
	if ack := tab.request("presence.set", map[string]string{"state": "ready"}); ack.Type != "ack" {
		t.Fatalf("presence.set: %s %s", ack.Type, ack.Data)
	}
	e.connect(tab, routing.Contact{Channel: routing.Voice, Queue: "complaint", Caller: "13800001234"})
}

func TestChannels_ContactsCarryTheTicketChannel(t *testing.T) {
	e := newEnv(t)
	tab := e.readyAgent()
	for _, tc := range []struct {
		in   routing.Contact
		want string
	}{
		{routing.Contact{Channel: routing.Voice, Queue: "complaint", Caller: "13800001234", Ref: "call-3"}, "phone"},
		{routing.Contact{Channel: routing.Chat, Queue: "complaint", Caller: "访客", Ref: "chat-3"}, "webchat"},
	} {
		o, c := e.connect(tab, tc.in)
		if o.TicketChannel != tc.want || o.Contact.TicketChannel != tc.want || c.TicketChannel != tc.want {
			t.Fatalf("%s: offer %q, offer's contact %q, accepted contact %q; want %q",
				tc.in.Channel, o.TicketChannel, o.Contact.TicketChannel, c.TicketChannel, tc.want)
		}
		var p struct {
			Contacts []contactOnWire
		}
		tab.await("presence", func(d json.RawMessage) bool {
			return json.Unmarshal(d, &p) == nil && slices.ContainsFunc(p.Contacts, func(x contactOnWire) bool { return x.ID == c.ID })
		}, nil)
		for _, x := range p.Contacts {
			if x.ID == c.ID && x.TicketChannel != tc.want {
				t.Fatalf("presence contact %s: ticket channel %q, want %q", x.ID, x.TicketChannel, tc.want)
			}
		}
		if ack := tab.request("contact.end", map[string]string{"contact_id": c.ID}); ack.Type != "ack" {
			t.Fatalf("contact.end: %s %s", ack.Type, ack.Data)
		}
		tab.await("presence", stateIs(routing.WrapUp), nil)
		if ack := tab.request("presence.set", map[string]string{"state": "ready"}); ack.Type != "ack" {
			t.Fatalf("presence.set: %s %s", ack.Type, ack.Data)
		}
	}
}
