package agentui_test

import (
	"fmt"
	"testing"
)

// The history and the attachments name people as the console shows them:
// the account's display name beside the username; the system has none.
func TestHistory_NamesActorsByDisplayName(t *testing.T) {
	e := newEnv(t)
	tk := e.newTicket("complaint", nil)
	e.mustAct("agent1", tk.ID, "dispatch", map[string]any{"department": "rsj"})
	e.mustAct("dept-rsj", tk.ID, "sign", nil)
	e.mustUpload("dept-rsj", tk.ID, "核查记录.pdf", pdfFile())

	var evs struct {
		Items []struct {
			Action string
			Actor  struct {
				Username    string
				DisplayName string `json:"display_name"`
			}
		}
	}
	e.must(e.call("dept-rsj", "GET", fmt.Sprintf("/api/v1/tickets/%d/events", tk.ID), nil), 200, &evs)
	want := map[string]string{"create": "话务员一号", "dispatch": "话务员一号", "sign": "人社局信访科"}
	seen := map[string]bool{}
	for _, ev := range evs.Items {
		if name, ok := want[ev.Action]; ok {
			seen[ev.Action] = true
			if ev.Actor.DisplayName != name {
				t.Errorf("%s by %s: display name %q, want %q", ev.Action, ev.Actor.Username, ev.Actor.DisplayName, name)
			}
		}
		if ev.Actor.Username == "system" && ev.Actor.DisplayName != "" {
			t.Errorf("%s by the system carries display name %q", ev.Action, ev.Actor.DisplayName)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("history %+v lacks some of %v", evs.Items, want)
	}

	var files struct {
		Items []struct {
			UploadedBy struct {
				DisplayName string `json:"display_name"`
			} `json:"uploaded_by"`
		}
	}
	e.must(e.call("agent1", "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID), nil), 200, &files)
	if len(files.Items) != 1 || files.Items[0].UploadedBy.DisplayName != "人社局信访科" {
		t.Fatalf("attachments %+v, want one uploaded by 人社局信访科", files.Items)
	}
}
