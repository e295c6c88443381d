package agentui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/open12345/hotline/ticketing"
)

// "Not yours" and "no such ticket" give the same answer, so a department
// cannot tell which ticket IDs exist.
func TestDepartment_NoExistenceOracle(t *testing.T) {
	e := newEnv(t)
	other := e.mustAct("agent1", e.newTicket("help", nil).ID, "dispatch", map[string]any{"department": "cgj"})
	missing := other.ID + 1000
	for _, path := range []string{"/api/v1/tickets/%d", "/api/v1/tickets/%d/events", "/api/v1/tickets/%d/attachments"} {
		a := e.call("dept-rsj", "GET", fmt.Sprintf(path, other.ID), nil)
		b := e.call("dept-rsj", "GET", fmt.Sprintf(path, missing), nil)
		want := strings.ReplaceAll(string(b.Body), fmt.Sprint(missing), fmt.Sprint(other.ID))
		if a.Status != 404 || b.Status != 404 || string(a.Body) != want {
			t.Errorf("%s: another's ticket %d %s, a missing one %d %s", path, a.Status, a.Body, b.Status, b.Body)
		}
	}
	a := e.act("dept-rsj", other.ID, "note", map[string]any{"text": "x"})
	b := e.act("dept-rsj", missing, "note", map[string]any{"text": "x"})
	if a.Status != 404 || strings.ReplaceAll(string(b.Body), fmt.Sprint(missing), fmt.Sprint(other.ID)) != string(a.Body) {
		t.Errorf("note: another's ticket %s, a missing one %s", a.Body, b.Body)
	}
	a = e.call("dept-rsj", "GET", "/api/v1/tickets?q="+other.Number, nil)
	if a.Status != 200 || strings.Contains(string(a.Body), other.Number) {
		t.Errorf("searching another's ticket by number: %s", a.Body)
	}
}

// A ticket takes a bounded number of files, and its history comes in pages.
func TestTicket_AttachmentsAndHistoryAreBounded(t *testing.T) {
	e := newEnv(t)
	tk := e.newTicket("help", nil)
	img := pngFile(t)
	for i := range ticketing.MaxAttachmentsPerTicket {
		e.mustUpload("agent1", tk.ID, fmt.Sprintf("photo%d.png", i), img)
	}
	rowsBefore, filesBefore := e.stored()
	r := e.upload("agent1", tk.ID, "one-too-many.png", "image/png", img)
	if r.Status != 409 || !strings.Contains(string(r.Body), "at most") {
		t.Fatalf("attachment %d: %d %s", ticketing.MaxAttachmentsPerTicket+1, r.Status, r.Body)
	}
	if rows, files := e.stored(); rows != rowsBefore || files != filesBefore {
		t.Fatalf("the refused upload left %d rows and %d files", rows-rowsBefore, files-filesBefore)
	}

	for i := range 7 {
		e.mustAct("agent1", tk.ID, "note", map[string]any{"text": fmt.Sprintf("备注%d", i)})
	}
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		var p struct {
			Items      []event
			NextCursor string `json:"next_cursor"`
		}
		e.must(e.call("agent1", "GET", fmt.Sprintf("/api/v1/tickets/%d/events?limit=10&cursor=%s", tk.ID, cursor), nil), 200, &p)
		if len(p.Items) > 10 {
			t.Fatalf("a page of %d events, limit 10", len(p.Items))
		}
		for _, ev := range p.Items {
			seen = append(seen, ev.Action)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pages do not end")
		}
	}
	// create, 20 attachments, 7 notes: oldest first, each once.
	if len(seen) != 28 || seen[0] != "create" || seen[27] != "note" {
		t.Fatalf("history pages gave %d events: %v", len(seen), seen)
	}
	if r := e.call("agent1", "GET", fmt.Sprintf("/api/v1/tickets/%d/events?limit=%d", tk.ID, ticketing.MaxEventPage+1), nil); r.Status != 400 {
		t.Fatalf("a page over the limit: %d", r.Status)
	}
}
