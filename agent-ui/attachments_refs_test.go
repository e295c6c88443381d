package agentui_test

import (
	"fmt"
	"reflect"
	"testing"
)

func TestAttachments_RepliesAndNotesReferToTheTicketsOwnFiles(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	e.mustAct("dept-rsj", tk.ID, "sign", nil)
	own := e.mustUpload("dept-rsj", tk.ID, "整改后.jpg", jpegFile(t))
	other := e.dispatched()
	foreign := e.mustUpload("agent1", other.ID, "other.jpg", jpegFile(t))
	many := make([]int64, 21)
	for i := range many {
		many[i] = own.ID
	}

	before := e.get("dept-rsj", tk.ID)
	eventsBefore := len(e.events(tk.ID))
	for name, c := range map[string]struct {
		user, action string
		body         map[string]any
		status       int
	}{
		"ReplyWithAnotherTicketsFile": {"dept-rsj", "reply", map[string]any{"reply": "已处理", "attachments": []int64{own.ID, foreign.ID}}, 400},
		"ReplyWithAMissingFile":       {"dept-rsj", "reply", map[string]any{"reply": "已处理", "attachments": []int64{foreign.ID + 100}}, 400},
		"ReplyWithANegativeID":        {"dept-rsj", "reply", map[string]any{"reply": "已处理", "attachments": []int64{-1}}, 400},
		"ReplyWithTooManyFiles":       {"dept-rsj", "reply", map[string]any{"reply": "已处理", "attachments": many}, 400},
		"NoteWithAnotherTicketsFile":  {"agent1", "note", map[string]any{"text": "补充", "attachments": []int64{foreign.ID}}, 400},
		"AttachmentsAsStrings":        {"dept-rsj", "reply", map[string]any{"reply": "已处理", "attachments": []string{"1"}}, 400},
		// The ticket's own rules answer first, so no file is revealed.
		"ReplyByAnotherDepartment": {"dept-cgj", "reply", map[string]any{"reply": "已处理", "attachments": []int64{own.ID}}, 404},
		"ReplyByAgent":             {"agent1", "reply", map[string]any{"reply": "已处理", "attachments": []int64{foreign.ID}}, 403},
	} {
		t.Run(name, func(t *testing.T) {
			e.t = t
			r := e.act(c.user, tk.ID, c.action, c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			e.errorCode(r)
		})
	}
	e.t = t
	if after := e.get("dept-rsj", tk.ID); !reflect.DeepEqual(after, before) || len(e.events(tk.ID)) != eventsBefore {
		t.Fatalf("refused actions changed the ticket: %+v → %+v", before, after)
	}

	checkReferences(t, e, tk.ID, own.ID)
}

// checkReferences has a note and a reply (naming it twice) refer to the
// ticket's own attachment, and checks that their events list it once.
func checkReferences(t *testing.T, e *env, ticketID, own int64) {
	t.Helper()
	e.mustAct("agent1", ticketID, "note", map[string]any{"text": "现场照片见附件", "attachments": []int64{own}})
	got := e.mustAct("dept-rsj", ticketID, "reply", map[string]any{"reply": "已责令停工", "attachments": []int64{own, own}})
	if got.Status != "replied" {
		t.Fatalf("status %s", got.Status)
	}
	evs := e.events(ticketID)
	note, reply := evs[len(evs)-2], evs[len(evs)-1]
	want := []any{float64(own)}
	if note.Action != "note" || !reflect.DeepEqual(note.Payload["attachments"], want) {
		t.Fatalf("note event: %+v", note)
	}
	if reply.Action != "reply" || !reflect.DeepEqual(reply.Payload["attachments"], want) || reply.Payload["reply"] != "已责令停工" {
		t.Fatalf("reply event: %+v", reply)
	}
	if _, ok := evs[len(evs)-3].Payload["attachments"]; ok {
		t.Fatalf("an action without attachments lists some: %+v", evs[len(evs)-3])
	}
}

func TestAttachments_OtherActionsIgnoreTheField(t *testing.T) {
	e := newEnv(t)
	tk := e.newTicket("complaint", nil)
	r := e.act("agent1", tk.ID, "dispatch", map[string]any{"department": "rsj", "attachments": []int64{424242}})
	if r.Status != 200 {
		t.Fatalf("dispatch with an unused attachments field: %d %s", r.Status, r.Body)
	}
	evs := e.events(tk.ID)
	if _, ok := evs[len(evs)-1].Payload["attachments"]; ok {
		t.Fatalf("dispatch event lists attachments: %+v", evs[len(evs)-1])
	}
	if r := e.call("agent1", "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID), nil); r.Status != 200 || string(r.Body) != "{\"items\":[],\"next_cursor\":\"\"}\n" {
		t.Fatalf("empty list: %d %s", r.Status, r.Body)
	}
}
