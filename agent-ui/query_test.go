package agentui_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// refusedParam checks that a request is answered 400 invalid with a
// message naming the parameter.
func (e *env) refusedParam(user, method, path, param string) {
	e.t.Helper()
	r := e.call(user, method, path, nil)
	code, msg := e.errorOf(r)
	if r.Status != 400 || code != "invalid" || !strings.Contains(msg, `"`+param+`"`) {
		e.t.Errorf("%s %s: %d %s, want 400 invalid naming %q", method, path, r.Status, r.Body, param)
	}
}

// Every endpoint that takes query parameters refuses one it does not take,
// instead of answering as if it had not been sent.
func TestQuery_UnknownParameterIsRefused(t *testing.T) {
	e := newEnv(t)
	tk := e.newTicket("help", nil)
	e.createGuide("admin", guideBody("rsj-001", "失业登记", "rsj", "published"))
	e.must(e.call("admin", "PUT", "/api/v1/catalogue", map[string]any{"categories": []map[string]any{
		{"code": "cs-zy", "name": "噪音扰民", "departments": []string{"cgj"}}}}), 200, nil)
	endpoints := []struct{ user, method, path string }{
		{"agent1", "GET", "/api/v1/tickets?status=accepted"},
		{"dept-rsj", "GET", "/api/v1/tickets?limit=5"},
		{"agent1", "GET", fmt.Sprintf("/api/v1/tickets/%d/events?limit=5", tk.ID)},
		{"agent1", "GET", "/api/v1/tickets/" + tk.Number + "/events?limit=5"},
		{"agent1", "GET", "/api/v1/guides?department=rsj"},
		{"agent1", "GET", "/api/v1/guides/search?q=失业"},
		{"supervisor", "GET", "/api/v1/guides/review?department=rsj"},
		{"admin", "GET", "/api/v1/guides/export?format=csv"},
		{"admin", "POST", "/api/v1/guides/import?format=json"},
		{"", "GET", "/api/v1/public/guides/search?q=失业"},
		{"", "GET", "/api/v1/public/tickets/" + tk.Number + "?phone=13812341234"},
		{"agent1", "GET", "/api/v1/citizens/history?phone=13812341234"},
		{"agent1", "GET", "/api/v1/deadline?from=2026-09-30T10:00:00%2B08:00&kind=complaint"},
		{"agent1", "GET", "/api/v1/catalogue/suggest?category=cs-zy"},
		{"supervisor", "GET", "/api/v1/deliveries?state=failed"},
	}
	for _, ep := range endpoints {
		// The endpoint works with its own parameters…
		if ep.method == "GET" {
			if r := e.call(ep.user, ep.method, ep.path, nil); r.Status != 200 {
				t.Errorf("%s %s: %d %s, want 200", ep.method, ep.path, r.Status, r.Body)
			}
		}
		// …and names the one it does not take, whatever else is sent.
		e.refusedParam(ep.user, ep.method, ep.path+"&phone2=13812341234", "phone2")
		e.refusedParam(ep.user, ep.method, ep.path+"&Limit=5", "Limit")
	}
	// An endpoint that takes no parameters names any it is sent.
	for _, ep := range []struct{ user, path string }{
		{"agent1", "/api/v1/me"}, {"admin", "/api/v1/users"}, {"agent1", fmt.Sprintf("/api/v1/tickets/%d", tk.ID)},
		{"agent1", "/api/v1/tickets/" + tk.Number}, {"agent1", fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID)},
		{"agent1", "/api/v1/departments"}, {"agent1", "/api/v1/calendar/2026"}, {"agent1", "/api/v1/deadline/policies"},
		{"agent1", "/api/v1/catalogue"}, {"supervisor", "/api/v1/admin/queues"},
		{"agent1", "/api/v1/guides/rsj-001"}, {"agent1", "/api/v1/guides/rsj-001/versions"}, {"agent1", "/api/v1/synonyms"},
		{"agent1", "/api/v1/routing/queues"}, {"agent1", "/api/v1/routing/wallboard"}, {"supervisor", "/api/v1/routing/agents"},
		{"supervisor", "/api/v1/routing/agents/agent1/profile"},
	} {
		if r := e.call(ep.user, "GET", ep.path, nil); r.Status != 200 {
			t.Errorf("GET %s: %d %s, want 200", ep.path, r.Status, r.Body)
		}
		e.refusedParam(ep.user, "GET", ep.path+"?phone=13812341234", "phone")
	}
	// What the integrator tried: a filter that did not exist matched everything.
	e.refusedParam("agent1", "GET", "/api/v1/tickets?phone_number=13812341234", "phone_number")
	e.refusedParam("agent1", "GET", "/api/v1/tickets?stauts=closed", "stauts")
}

// No API parameter may be given twice: a list is comma-separated.
func TestQuery_RepeatedParameterIsRefused(t *testing.T) {
	e := newEnv(t)
	tk := e.newTicket("help", nil)
	for _, c := range []struct{ user, path, param string }{
		{"agent1", "/api/v1/tickets?status=accepted&status=closed", "status"},
		{"agent1", "/api/v1/tickets?phone=13812341234&phone=13900002222", "phone"},
		{"agent1", "/api/v1/tickets?limit=1&limit=2", "limit"},
		{"agent1", fmt.Sprintf("/api/v1/tickets/%d/events?cursor=&cursor=", tk.ID), "cursor"},
		{"agent1", "/api/v1/guides/search?q=a&q=b", "q"},
		{"", "/api/v1/public/tickets/" + tk.Number + "?phone=13812341234&phone=13812341234", "phone"},
		{"agent1", "/api/v1/deadline?from=2026-09-30T10:00:00%2B08:00&kind=help&kind=complaint", "kind"},
		{"supervisor", "/api/v1/deliveries?state=failed&state=pending", "state"},
	} {
		e.refusedParam(c.user, "GET", c.path, c.param)
	}
}

// ticketIDs lists the IDs of a ticket list, following every page.
func (e *env) ticketIDs(user, query string) []int64 {
	e.t.Helper()
	var ids []int64
	cursor := ""
	for range 10 {
		var page struct {
			Items      []ticket
			NextCursor string `json:"next_cursor"`
		}
		e.must(e.call(user, "GET", "/api/v1/tickets?limit=1&"+query+"&cursor="+url.QueryEscape(cursor), nil), 200, &page)
		for _, t := range page.Items {
			ids = append(ids, t.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			return ids
		}
	}
	e.t.Fatalf("tickets?%s: more than 10 pages", query)
	return nil
}

func TestTicketList_PhoneFilter(t *testing.T) {
	e := newEnv(t)
	mine := []int64{e.newTicket("help", nil).ID} // 13812341234
	withPhone := func(phone string) int64 {
		return e.newTicket("complaint", map[string]any{"citizen": map[string]any{"name": "李四", "phone": phone}}).ID
	}
	other := withPhone("13900002222")
	mine = append(mine, withPhone("+86 138 1234 1234"))
	landline := withPhone("(020) 1234-5678")
	e.newTicket("consultation", map[string]any{"citizen": map[string]any{}}) // no phone
	// The same digits in the text are not the citizen's phone.
	e.newTicket("help", map[string]any{"content": "邻居电话13812341234", "citizen": map[string]any{"phone": "13900002222"}})
	slices.Reverse(mine) // newest first

	for _, user := range []string{"agent1", "supervisor", "admin"} {
		for _, spelling := range []string{"13812341234", "138-1234-1234", "+8613812341234", "１３８１２３４１２３４"} {
			if got := e.ticketIDs(user, "phone="+url.QueryEscape(spelling)); !slices.Equal(got, mine) {
				t.Errorf("%s: phone=%s = %v, want %v", user, spelling, got, mine)
			}
		}
		if got := e.ticketIDs(user, "phone=020-12345678"); !slices.Equal(got, []int64{landline}) {
			t.Errorf("%s: landline = %v, want [%d]", user, got, landline)
		}
		if got := e.ticketIDs(user, "phone=13700000000"); len(got) != 0 {
			t.Errorf("%s: a phone with no tickets = %v", user, got)
		}
	}
	// With the other filters: all of them must hold.
	if got := e.ticketIDs("agent1", "phone=13812341234&kind=complaint"); !slices.Equal(got, mine[:1]) {
		t.Errorf("phone and kind = %v, want %v", got, mine[:1])
	}
	if got := e.ticketIDs("agent1", "phone=13812341234&q=13812341234"); !slices.Equal(got, mine) {
		t.Errorf("phone and q of the same phone = %v, want %v", got, mine)
	}
	if got := e.ticketIDs("agent1", "phone=13812341234&q=13900002222"); len(got) != 0 {
		t.Errorf("phone and q of another phone = %v, want none", got)
	}
	if got := e.ticketIDs("agent1", "phone=13900002222&status=accepted"); len(got) != 2 || got[1] != other {
		t.Errorf("the other citizen = %v, want two tickets ending with %d", got, other)
	}
}

// Department users see phones masked: a filter by phone is refused
// whatever its value, before it is looked at, so it tells them nothing.
func TestTicketList_PhoneFilterIsForStaffOnly(t *testing.T) {
	e := newEnv(t)
	tk := e.dispatched()
	for _, phone := range []string{"13812341234", "13900002222", "", "abc", strings.Repeat("1", 41)} {
		r := e.call("dept-rsj", "GET", "/api/v1/tickets?phone="+url.QueryEscape(phone), nil)
		code, msg := e.errorOf(r)
		if r.Status != 403 || code != "forbidden" || !strings.Contains(msg, "phone") {
			t.Errorf("dept-rsj phone=%q: %d %s, want 403 about phone", phone, r.Status, r.Body)
		}
	}
	// Their own ticket stays in their list without the filter.
	var page struct{ Items []ticket }
	e.must(e.call("dept-rsj", "GET", "/api/v1/tickets", nil), 200, &page)
	if len(page.Items) != 1 || page.Items[0].ID != tk.ID || page.Items[0].Citizen.Phone != "138****1234" {
		t.Fatalf("dept-rsj's list: %+v", page.Items)
	}
}

func TestTicketList_HostilePhoneIsRefused(t *testing.T) {
	e := newEnv(t)
	e.newTicket("help", nil)
	for _, phone := range []string{
		strings.Repeat("1", 41), "1381234" + strings.Repeat(" ", 40) + "1234", "abc", "138一二三四1234", "13812341234 OR 1=1",
		"1381234%", "138\x001234", "138\n1234", "\t13812341234", "138\u202e1234", "", "   ", "12345", "+86",
	} {
		r := e.call("agent1", "GET", "/api/v1/tickets?phone="+url.QueryEscape(phone), nil)
		code, msg := e.errorOf(r)
		if r.Status != 400 || code != "invalid" || !strings.Contains(msg, "phone") {
			t.Errorf("phone=%q: %d %.200s, want 400 invalid about phone", phone, r.Status, r.Body)
		}
	}
	if r := e.call("agent1", "GET", "/api/v1/tickets?phone=%zz", nil); r.Status != 400 {
		t.Errorf("a malformed escape: %d %s, want 400", r.Status, r.Body)
	}
}
