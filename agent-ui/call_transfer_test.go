package agentui_test

import (
	"fmt"
	"testing"

	"github.com/open12345/hotline/routing"
)

// An agent passes its own call on to a queue with call.transfer: routing
// queues the contact there again (the call flow hangs up the agent's
// phone, as the SIP tests show). Only the agent's own connected call,
// to one existing queue or agent.
func TestCallTransfer_ConsoleTransfersItsOwnCall(t *testing.T) {
	e := newEnv(t)
	tab := e.readyAgent()
	_, c := e.connect(tab, routing.Contact{Channel: routing.Voice, Queue: "complaint", Caller: "13800001234", Ref: "call-1"})

	other := e.mustWS("agent2")
	wantError(t, "agent2 transfers agent1's call", other.request("call.transfer", map[string]any{"contact_id": c.ID, "queue": "general"}), "not_found")
	sup := e.mustWS("supervisor")
	wantError(t, "a supervisor's call.transfer", sup.request("call.transfer", map[string]any{"contact_id": c.ID, "queue": "general"}), "forbidden")
	for _, tc := range []struct {
		data map[string]any
		code string
	}{
		{map[string]any{"contact_id": c.ID}, "invalid"},
		{map[string]any{"contact_id": c.ID, "queue": "general", "agent": "agent2"}, "invalid"},
		{map[string]any{"contact_id": c.ID, "queue": "no-such-queue"}, "not_found"},
		{map[string]any{"contact_id": c.ID, "agent": "nobody"}, "not_found"},
		{map[string]any{"contact_id": "nope", "queue": "general"}, "not_found"},
		{map[string]any{"contact_id": c.ID, "queue": 42}, "invalid"},
	} {
		wantError(t, fmt.Sprint("call.transfer ", tc.data), tab.request("call.transfer", tc.data), tc.code)
	}
	if st, _ := e.contactStatus(c.ID); st != routing.Connected {
		t.Fatalf("after refused transfers the call is %s, want still connected", st)
	}
	if r := tab.request("call.transfer", map[string]any{"contact_id": c.ID, "queue": "general"}); r.Type != "ack" {
		t.Fatalf("call.transfer: %s %s", r.Type, r.Data)
	}
	v, ok := e.routing.Contact(c.ID)
	if !ok || v.Queue != "general" || v.Status == routing.Connected && v.Agent == "agent1" {
		t.Errorf("after the transfer %+v, want it in general, off agent1", v)
	}
}

// call.hold reaches only the agent's own call, with a boolean, and says
// so when no voice channel runs (the SIP tests hold real calls).
func TestCallHold_OnlyTheAgentsOwnCall(t *testing.T) {
	e := newEnv(t)
	tab := e.readyAgent()
	_, c := e.connect(tab, routing.Contact{Channel: routing.Voice, Queue: "complaint", Caller: "13800001234", Ref: "call-1"})
	other := e.mustWS("agent2")
	wantError(t, "agent2 holds agent1's call", other.request("call.hold", map[string]any{"contact_id": c.ID, "hold": true}), "not_found")
	wantError(t, "hold with a string", tab.request("call.hold", map[string]any{"contact_id": c.ID, "hold": "yes"}), "invalid")
	wantError(t, "hold of an unknown call", tab.request("call.hold", map[string]any{"contact_id": "nope", "hold": true}), "not_found")
	wantError(t, "hold without a voice channel", tab.request("call.hold", map[string]any{"contact_id": c.ID, "hold": true}), "unavailable")
}

// call.conference names someone else, for the agent's own call.
func TestCallConference_RefusesBadRequests(t *testing.T) {
	e := newEnv(t)
	tab := e.readyAgent()
	_, c := e.connect(tab, routing.Contact{Channel: routing.Voice, Queue: "complaint", Caller: "13800001234", Ref: "call-1"})
	other := e.mustWS("agent2")
	wantError(t, "agent2 joins agent1's call", other.request("call.conference", map[string]any{"contact_id": c.ID, "user": "dept-rsj"}), "not_found")
	for _, tc := range []struct {
		data map[string]any
		code string
	}{
		{map[string]any{"contact_id": c.ID}, "invalid"},
		{map[string]any{"contact_id": c.ID, "user": "agent1"}, "invalid"},
		{map[string]any{"contact_id": c.ID, "user": string(make([]byte, 65))}, "invalid"},
		{map[string]any{"contact_id": "nope", "user": "dept-rsj"}, "not_found"},
		{map[string]any{"contact_id": c.ID, "user": "dept-rsj"}, "unavailable"}, // no voice channel here
		{map[string]any{"contact_id": c.ID, "user": "dept-rsj", "department": "rsj"}, "invalid"},
		{map[string]any{"contact_id": c.ID, "department": string(make([]byte, 41))}, "invalid"},
		{map[string]any{"contact_id": c.ID, "department": "rsj"}, "unavailable"},
	} {
		wantError(t, fmt.Sprint("call.conference ", tc.data), tab.request("call.conference", tc.data), tc.code)
	}
}

// The consultation's steps are the agent's own call's, with an agent to
// consult to start.
func TestCallConsult_RefusesBadRequests(t *testing.T) {
	e := newEnv(t)
	tab := e.readyAgent()
	_, c := e.connect(tab, routing.Contact{Channel: routing.Voice, Queue: "complaint", Caller: "13800001234", Ref: "call-1"})
	other := e.mustWS("agent2")
	wantError(t, "agent2 consults on agent1's call", other.request("call.consult", map[string]any{"contact_id": c.ID, "agent": "agent1"}), "not_found")
	for _, tc := range []struct {
		typ  string
		data map[string]any
		code string
	}{
		{"call.consult", map[string]any{"contact_id": c.ID}, "invalid"},
		{"call.consult", map[string]any{"contact_id": c.ID, "agent": "agent1"}, "invalid"},
		{"call.consult", map[string]any{"contact_id": c.ID, "agent": string(make([]byte, 65))}, "invalid"},
		{"call.consult.complete", map[string]any{"contact_id": c.ID, "agent": "agent2"}, "invalid"},
		{"call.consult", map[string]any{"contact_id": "nope", "agent": "agent2"}, "not_found"},
		{"call.consult.cancel", map[string]any{"contact_id": "nope"}, "not_found"},
		{"call.consult", map[string]any{"contact_id": c.ID, "agent": "agent2"}, "unavailable"}, // no voice channel here
		{"call.consult.complete", map[string]any{"contact_id": c.ID}, "unavailable"},
	} {
		wantError(t, fmt.Sprint(tc.typ, " ", tc.data), tab.request(tc.typ, tc.data), tc.code)
	}
}
