package agentui_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// errorOf decodes an error envelope.
func (e *env) errorOf(r response) (code, message string) {
	e.t.Helper()
	var env struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(r.Body, &env); err != nil {
		e.t.Fatalf("status %d without error envelope: %s", r.Status, r.Body)
	}
	return env.Error.Code, env.Error.Message
}

func TestTicketNumber_WorksWhereTheIDDoes(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	if len(tk.Number) != 14 || !strings.HasPrefix(tk.Number, "20260930") {
		t.Fatalf("number %q, want 14 digits of 2026-09-30", tk.Number)
	}
	byNumber := "/api/v1/tickets/" + tk.Number

	for _, user := range []string{"agent1", "dept-rsj"} {
		var got ticket
		e.must(e.call(user, "GET", byNumber, nil), 200, &got)
		if got.ID != tk.ID || got.Number != tk.Number {
			t.Fatalf("%s: GET by number = ticket %d %q, want %d %q", user, got.ID, got.Number, tk.ID, tk.Number)
		}
		if r, want := e.call(user, "GET", byNumber, nil), e.call(user, "GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), nil); string(r.Body) != string(want.Body) {
			t.Fatalf("%s: by number %s\nby ID %s", user, r.Body, want.Body)
		}
	}

	byID := e.call("dept-rsj", "GET", fmt.Sprintf("/api/v1/tickets/%d/events", tk.ID), nil)
	events := e.call("dept-rsj", "GET", byNumber+"/events?limit=1", nil)
	var page struct {
		Items      []event
		NextCursor string `json:"next_cursor"`
	}
	e.must(events, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Action != "create" || page.NextCursor == "" {
		t.Fatalf("first page of events by number: %s", events.Body)
	}
	all := e.call("dept-rsj", "GET", byNumber+"/events", nil)
	if all.Status != 200 || string(all.Body) != string(byID.Body) {
		t.Fatalf("events by number %d %s\nby ID %s", all.Status, all.Body, byID.Body)
	}

	var signed ticket
	e.must(e.call("dept-rsj", "POST", byNumber+"/actions/sign", nil), 200, &signed)
	if signed.ID != tk.ID || signed.Status != "in_progress" {
		t.Fatalf("sign by number: %+v", signed)
	}
	if evs := e.events(tk.ID); evs[len(evs)-1].Action != "sign" {
		t.Fatalf("the sign by number is not in the history: %+v", evs)
	}

	body, ct := multipartBody(t, "file", "整改.png", "image/png", pngFile(t))
	var att attachment
	e.must(e.callWith("dept-rsj", "POST", byNumber+"/attachments", body, ct), 201, &att)
	var list struct{ Items []attachment }
	e.must(e.call("dept-rsj", "GET", byNumber+"/attachments", nil), 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != att.ID {
		t.Fatalf("attachments by number: %+v, want the one uploaded (%d)", list.Items, att.ID)
	}
	if r := e.call("dept-rsj", "GET", fmt.Sprintf("%s/attachments/%d", byNumber, att.ID), nil); r.Status != 200 || string(r.Body) != string(pngFile(t)) {
		t.Fatalf("download by number: %d", r.Status)
	}

	// A number is the whole number: the ID under another date is no ticket.
	other := "20260929" + tk.Number[8:]
	for _, path := range []string{"/api/v1/tickets/" + other, "/api/v1/tickets/" + other + "/events"} {
		r := e.call("agent1", "GET", path, nil)
		if code, msg := e.errorOf(r); r.Status != 404 || code != "not_found" || msg != "ticket "+other+" not found" {
			t.Fatalf("GET %s: %d %s, want 404 ticket %s not found", path, r.Status, r.Body, other)
		}
	}
}

// A department that may not see a ticket gets, by number, exactly the
// answer an unknown number gets, as it does by ID: nothing tells a ticket
// of another department from none.
func TestTicketNumber_InvisibleIsTheSame404AsByID(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched() // rsj's
	att := e.mustUpload("agent1", tk.ID, "现场.png", pngFile(t))
	id := strconv.FormatInt(tk.ID, 10)
	unknownID, unknownNumber := "424242", "20260930424242"
	requests := []struct {
		method, suffix string
		body           any
	}{
		{"GET", "", nil}, {"GET", "/events", nil}, {"GET", "/attachments", nil},
		{"GET", fmt.Sprintf("/attachments/%d", att.ID), nil}, {"POST", "/actions/sign", nil},
		{"POST", "/actions/note", map[string]any{"text": "试探"}},
		{"POST", "/actions/note", map[string]any{"text": "试探", "attachments": []int64{att.ID}}},
	}
	for _, rq := range requests {
		answer := func(ref string) string {
			r := e.call("dept-cgj", rq.method, "/api/v1/tickets/"+ref+rq.suffix, rq.body)
			code, msg := e.errorOf(r)
			// The message names what was asked for; nothing else may differ.
			return fmt.Sprintf("%d %s %s", r.Status, code, strings.Replace(msg, ref, "REF", 1))
		}
		byNumber, byID := answer(tk.Number), answer(id)
		if byNumber != "404 not_found ticket REF not found" || byNumber != answer(unknownNumber) ||
			byID != byNumber || byID != answer(unknownID) {
			t.Errorf("%s …%s %v: the answers differ: number %q, ID %q, unknown number %q, unknown ID %q", rq.method, rq.suffix,
				rq.body, byNumber, byID, answer(unknownNumber), answer(unknownID))
		}
	}
	if got := e.get("admin", tk.ID); got.Status != "dispatched" {
		t.Fatalf("refused actions changed the ticket: %+v", got)
	}
	if evs := e.events(tk.ID); evs[len(evs)-1].Action != "attach" {
		t.Fatalf("refused actions wrote history: %+v", evs[len(evs)-1])
	}
}
