package agentui_test

import (
	"fmt"
	"strings"
	"testing"
)

// Departments see phone and ID numbers masked also inside the free texts
// of a ticket (content, reply, notes, history, deliveries), never the
// address of a confidential ticket, and no department's webhook URL.
func TestDepartment_FreeTextsAreMasked(t *testing.T) {
	e := newEnv(t)
	tk := e.newTicket("complaint", map[string]any{"confidential": true,
		"content": "请回电13812341234，身份证11010519491231002X",
		"citizen": map[string]any{"name": "李四", "phone": "13812341234", "address": "天河路1号"}})
	e.mustAct("agent1", tk.ID, "dispatch", map[string]any{"department": "rsj"})
	e.mustAct("dept-rsj", tk.ID, "sign", nil)
	e.mustAct("dept-rsj", tk.ID, "note", map[string]any{"text": "市民另留电话 139 0000 1111"})
	e.must(e.call("admin", "PUT", "/api/v1/departments/rsj", map[string]any{"name": "市人社局",
		"webhook_url": "https://rsj.example.gov.cn/hotline", "webhook_secret": "0123456789abcdef0123"}), 200, nil)
	e.mustAct("supervisor", tk.ID, "urge", map[string]any{"note": "请尽快回电13812341234"})
	e.mustAct("dept-rsj", tk.ID, "reply", map[string]any{"reply": "已电话13812341234联系市民"})

	got := e.get("dept-rsj", tk.ID)
	if got.Content != "请回电138****1234，身份证1101**********002X" || got.Reply != "已电话138****1234联系市民" {
		t.Fatalf("department sees content %q, reply %q", got.Content, got.Reply)
	}
	if got.Citizen.Address != "" || got.Citizen.Name != "" {
		t.Fatalf("department sees the citizen of a confidential ticket: %+v", got.Citizen)
	}
	if full := e.get("agent1", tk.ID); !strings.Contains(full.Content, "13812341234") || full.Citizen.Address != "天河路1号" {
		t.Fatalf("agents see everything: %+v", full)
	}
	for _, user := range []string{"dept-rsj"} {
		r := e.call(user, "GET", fmt.Sprintf("/api/v1/tickets/%d/events", tk.ID), nil)
		if r.Status != 200 || strings.Contains(string(r.Body), "13812341234") || strings.Contains(string(r.Body), "139 0000 1111") {
			t.Fatalf("%s's history holds a full number: %s", user, r.Body)
		}
		r = e.call(user, "GET", "/api/v1/tickets?q="+urlq("拖欠"), nil)
		if strings.Contains(string(r.Body), "13812341234") {
			t.Fatalf("%s's list holds a full number: %s", user, r.Body)
		}
	}
	// A search cannot confirm the digits a department sees masked.
	var list struct{ Items []ticket }
	for q, found := range map[string]bool{"请回电": true, "13812341234": false, "81234": false, "0519491231": false} {
		e.must(e.call("dept-rsj", "GET", "/api/v1/tickets?q="+urlq(q), nil), 200, &list)
		if (len(list.Items) == 1) != found {
			t.Errorf("department search %q found %d tickets, want found=%v", q, len(list.Items), found)
		}
		e.must(e.call("agent1", "GET", "/api/v1/tickets?q="+urlq(q), nil), 200, &list)
		if len(list.Items) != 1 {
			t.Errorf("agent search %q found %d tickets", q, len(list.Items))
		}
	}
	if r := e.call("admin", "GET", fmt.Sprintf("/api/v1/tickets/%d/events", tk.ID), nil); !strings.Contains(string(r.Body), "139 0000 1111") {
		t.Fatalf("staff see the history as written: %s", r.Body)
	}
	// Deliveries: the detail masked, the webhook URL for admins only.
	r := e.call("dept-rsj", "GET", "/api/v1/deliveries", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), "138****1234") || strings.Contains(string(r.Body), "13812341234") {
		t.Fatalf("the department's deliveries: %s", r.Body)
	}
	for _, c := range []struct {
		user, path string
		urlShown   bool
	}{
		{"dept-rsj", "/api/v1/departments", false},
		{"agent1", "/api/v1/departments", false},
		{"supervisor", "/api/v1/departments", false},
		{"admin", "/api/v1/departments", true},
		{"dept-rsj", "/api/v1/deliveries", false},
		{"supervisor", "/api/v1/deliveries", false},
	} {
		body := string(e.call(c.user, "GET", c.path, nil).Body)
		if strings.Contains(body, "rsj.example.gov.cn") != c.urlShown {
			t.Errorf("%s GET %s shows the webhook URL: %v, want %v", c.user, c.path, !c.urlShown, c.urlShown)
		}
	}
}

// The cursor of a department's search comes from what it is shown, so
// neither the tickets nor the cursor tell of a match in masked digits.
func TestDepartment_SearchCursorTellsNothingMasked(t *testing.T) {
	e := newEnv(t)
	for range 2 {
		tk := e.newTicket("help", map[string]any{"content": "市民电话13912345678，路灯不亮"})
		e.mustAct("agent1", tk.ID, "dispatch", map[string]any{"department": "rsj"})
	}
	type page struct {
		Items      []ticket
		NextCursor string `json:"next_cursor"`
	}
	for _, q := range []string{"1391", "1234", "9123", "0000"} {
		var p page
		e.must(e.call("dept-rsj", "GET", "/api/v1/tickets?limit=1&q="+q, nil), 200, &p)
		if len(p.Items) != 0 || p.NextCursor != "" {
			t.Errorf("q=%s: %d tickets, cursor %q; want neither", q, len(p.Items), p.NextCursor)
		}
	}
	var p1, p2 page
	e.must(e.call("dept-rsj", "GET", "/api/v1/tickets?limit=1&q="+urlq("路灯"), nil), 200, &p1)
	if len(p1.Items) != 1 || p1.NextCursor == "" {
		t.Fatalf("first page: %+v", p1)
	}
	e.must(e.call("dept-rsj", "GET", "/api/v1/tickets?limit=1&q="+urlq("路灯")+"&cursor="+p1.NextCursor, nil), 200, &p2)
	if len(p2.Items) != 1 || p2.NextCursor != "" || p2.Items[0].ID == p1.Items[0].ID {
		t.Fatalf("second page: %+v", p2)
	}
}
