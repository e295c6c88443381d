package agentui

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/routing"
)

// FuzzHubRequest feeds arbitrary frames to the request handler of an
// agent's connection: nothing may panic, and routing must stay consistent.
func FuzzHubRequest(f *testing.F) {
	for _, seed := range []string{
		`{"type":"presence.set","id":"1","data":{"state":"ready"}}`,
		`{"type":"presence.set","data":{"state":"not_ready","reason":"meal"}}`,
		`{"type":"offer.accept","data":{"offer_id":"o1"}}`,
		`{"type":"offer.decline","data":{"offer_id":""}}`,
		`{"type":"contact.end","data":{"contact_id":"c1"}}`,
		`{"type":"chat.send","data":{"chat_id":"1","text":"你好"}}`,
		`{"type":"presence.set","data":null}`,
		`{"type":"","data":[]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		clk := clock.NewFake(time.Date(2026, 9, 30, 10, 0, 0, 0, time.UTC))
		engine := routing.New(clk, routing.Config{})
		if err := engine.SetQueue(routing.QueueConfig{Name: "general"}); err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Login(routing.Profile{ID: "agent1", Skills: map[string]int{"general": 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Enqueue(routing.Contact{Channel: routing.Voice, Queue: "general"}); err != nil {
			t.Fatal(err)
		}
		h := &Hub{engine: engine}
		c := &wsClient{actor: auth.Actor{Username: "agent1", Role: auth.RoleAgent}}
		var req envelope
		if json.Unmarshal(frame, &req) != nil {
			return // the connection closes on frames that are not JSON
		}
		if _, err := h.handle(c, req); err == nil && req.Type == "" {
			t.Fatal("a message without a type was accepted")
		}
		if err := engine.Check(); err != nil {
			t.Fatal(err)
		}
	})
}
