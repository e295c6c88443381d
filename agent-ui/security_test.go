package agentui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDepartment_SeesMaskedDataOfItsOwnTicketsOnly(t *testing.T) {
	e := newEnv(t)
	open := e.mustAct("agent1", e.newTicket("complaint", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	secret := e.newTicket("report", map[string]any{"confidential": true,
		"citizen": map[string]any{"name": "李四", "phone": "020-87654321", "id_number": "11010519491231002X", "address": "天河路1号"}})
	e.mustAct("agent1", secret.ID, "dispatch", map[string]any{"department": "rsj", "co_departments": []string{"cgj"}})
	other := e.mustAct("agent1", e.newTicket("help", nil).ID, "dispatch", map[string]any{"department": "cgj"})

	got := e.get("dept-rsj", open.ID)
	if got.Citizen.Phone != "138****1234" || got.Citizen.IDNumber != "1101**********002X" || got.Citizen.Name != "张三" {
		t.Fatalf("department view of an ordinary ticket: %+v", got.Citizen)
	}
	got = e.get("dept-rsj", secret.ID)
	if got.Citizen.Name != "" || got.Citizen.Phone != "020-****4321" {
		t.Fatalf("department view of a confidential ticket: %+v", got.Citizen)
	}
	if got := e.get("dept-cgj", secret.ID); got.Citizen.Name != "" {
		t.Fatalf("supporting department sees the name of a confidential ticket")
	}
	if got := e.get("agent1", secret.ID); got.Citizen.Name != "李四" || got.Citizen.Phone != "020-87654321" {
		t.Fatalf("agents see the full data: %+v", got.Citizen)
	}
	// Direct access to another department's ticket looks like a missing one.
	for _, path := range []string{fmt.Sprintf("/api/v1/tickets/%d", other.ID), fmt.Sprintf("/api/v1/tickets/%d/events", other.ID)} {
		if r := e.call("dept-rsj", "GET", path, nil); r.Status != 404 {
			t.Fatalf("GET %s by another department: %d", path, r.Status)
		}
	}
	if r := e.act("dept-rsj", other.ID, "note", map[string]any{"text": "x"}); r.Status != 404 {
		t.Fatalf("note on another department's ticket: %d", r.Status)
	}
	if r := e.act("dept-cgj", secret.ID, "sign", nil); r.Status != 403 {
		t.Fatalf("supporting department signed: %d", r.Status)
	}
	var list struct {
		Items []ticket
	}
	for _, q := range []string{"", "?department=cgj", "?q=13812341234", "?q=" + other.Number} {
		e.must(e.call("dept-rsj", "GET", "/api/v1/tickets"+q, nil), 200, &list)
		for _, it := range list.Items {
			if it.ID == other.ID {
				t.Fatalf("list %q shows another department's ticket", q)
			}
			if strings.Contains(it.Citizen.Phone, "1234123") {
				t.Fatalf("list %q shows an unmasked phone", q)
			}
		}
	}
	e.must(e.call("dept-rsj", "GET", "/api/v1/tickets", nil), 200, &list)
	if len(list.Items) != 2 {
		t.Fatalf("department list has %d tickets, want 2", len(list.Items))
	}
	if r := e.call("dept-rsj", "POST", "/api/v1/tickets", map[string]any{"kind": "help", "channel": "api", "title": "t", "content": "c"}); r.Status != 403 {
		t.Fatalf("department recorded a ticket: %d", r.Status)
	}
}

func TestAuth_LoginCookieThrottleLogout(t *testing.T) {
	e := newEnv(t)
	r := e.call("", "POST", "/api/v1/login", map[string]string{"username": "agent1", "password": testPassword})
	cookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{"hotline_session=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Fatalf("session cookie %q lacks %s", cookie, want)
		}
	}
	// The cookie alone authenticates.
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
	resp, err := e.srv.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("cookie login: %v %v", err, resp)
	}
	resp.Body.Close()

	for _, path := range []string{"/api/v1/tickets", "/api/v1/departments", "/api/v1/me", "/api/v1/calendar/2026"} {
		r := e.call("", "GET", path, nil)
		if r.Status != 401 || e.errorCode(r) != "unauthorized" {
			t.Fatalf("GET %s without login: %d", path, r.Status)
		}
	}
	e.tokens["forged"] = "forged-token"
	if r := e.call("forged", "GET", "/api/v1/tickets", nil); r.Status != 401 {
		t.Fatalf("forged token: %d", r.Status)
	}

	for i := 0; i < 5; i++ {
		if r := e.call("", "POST", "/api/v1/login", map[string]string{"username": "agent2", "password": "wrong"}); r.Status != 401 {
			t.Fatalf("wrong password %d: %d", i, r.Status)
		}
	}
	r = e.call("", "POST", "/api/v1/login", map[string]string{"username": "agent2", "password": testPassword})
	if r.Status != 429 || e.errorCode(r) != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth attempt with the right password: %d %s %v", r.Status, r.Body, r.Header)
	}
	e.clock.Advance(16 * time.Minute)
	e.must(e.call("", "POST", "/api/v1/login", map[string]string{"username": "agent2", "password": testPassword}), 200, nil)
	if r := e.call("", "POST", "/api/v1/login", map[string]string{"username": "nobody", "password": "whatever1"}); r.Status != 401 {
		t.Fatalf("unknown user: %d", r.Status)
	}

	// A session ended elsewhere (another instance, an admin) stops working
	// here once the short session cache has expired.
	e.must(e.call("supervisor", "GET", "/api/v1/me", nil), 200, nil)
	if _, err := e.db.Pool.Exec(t.Context(), "DELETE FROM tokens WHERE user_id = (SELECT id FROM users WHERE username = 'supervisor')"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(11 * time.Second)
	if r := e.call("supervisor", "GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("deleted session still works after the cache TTL: %d", r.Status)
	}

	e.must(e.call("agent1", "POST", "/api/v1/logout", nil), 204, nil)
	if r := e.call("agent1", "GET", "/api/v1/me", nil); r.Status != 401 {
		t.Fatalf("token still works after logout: %d", r.Status)
	}
}

func TestAdminOnly_ReferenceData(t *testing.T) {
	e := newEnv(t)
	dept := map[string]any{"code": "sthjj", "name": "市生态环境局", "webhook_url": "https://example.org/hook", "webhook_secret": "0123456789abcdef0123"}
	for _, user := range []string{"supervisor", "agent1", "dept-rsj"} {
		if r := e.call(user, "POST", "/api/v1/departments", dept); r.Status != 403 {
			t.Fatalf("%s created a department: %d", user, r.Status)
		}
		if r := e.call(user, "POST", "/api/v1/users", map[string]any{"username": "x1", "role": "admin", "password": "password123"}); r.Status != 403 {
			t.Fatalf("%s created a user: %d", user, r.Status)
		}
	}
	e.must(e.call("admin", "POST", "/api/v1/departments", dept), 201, nil)
	// An update without the write-only secret keeps the stored one.
	e.must(e.call("admin", "PUT", "/api/v1/departments/sthjj", map[string]any{"name": "市生态环境局（新）", "webhook_url": "https://example.org/hook2"}), 200, nil)
	var stored string
	if err := e.db.Pool.QueryRow(t.Context(), "SELECT webhook_secret FROM departments WHERE code = 'sthjj'").Scan(&stored); err != nil || stored != "0123456789abcdef0123" {
		t.Fatalf("secret after update: %q %v", stored, err)
	}
	// The duty phone, written with separators, is kept as digits.
	e.must(e.call("admin", "PUT", "/api/v1/departments/sthjj", map[string]any{"name": "市生态环境局", "phone": "020-8888 6666"}), 200, nil)
	var phone string
	if err := e.db.Pool.QueryRow(t.Context(), "SELECT phone FROM departments WHERE code = 'sthjj'").Scan(&phone); err != nil || phone != "02088886666" {
		t.Fatalf("phone after update: %q %v", phone, err)
	}
	if r := e.call("admin", "POST", "/api/v1/departments", dept); r.Status != 409 {
		t.Fatalf("duplicate department: %d", r.Status)
	}
	r := e.call("agent1", "GET", "/api/v1/departments", nil)
	if strings.Contains(string(r.Body), "0123456789abcdef") {
		t.Fatal("department list shows a webhook secret")
	}
	for _, bad := range []map[string]any{{"code": "Bad Code", "name": "x"}, {"code": "x1"}, {"code": "x2", "name": "y", "parent": "missing"},
		{"code": "x3", "name": "y", "webhook_url": "ftp://x"}, {"code": "x4", "name": "y", "webhook_url": "https://x.org", "webhook_secret": "short"},
		{"code": "x5", "name": "y", "phone": "12"}, {"code": "x6", "name": "y", "phone": "020-8888x"}, {"code": "x7", "name": "y", "phone": "123456789012345678901"}} {
		if r := e.call("admin", "POST", "/api/v1/departments", bad); r.Status != 400 {
			t.Errorf("department %v: %d, want 400", bad, r.Status)
		}
	}
	e.must(e.call("admin", "POST", "/api/v1/users", map[string]any{"username": "dept-sthjj", "role": "department", "department": "sthjj", "password": "password123"}), 201, nil)
	if r := e.call("admin", "POST", "/api/v1/users", map[string]any{"username": "d2", "role": "department", "department": "missing", "password": "password123"}); r.Status != 400 {
		t.Fatalf("user of a missing department: %d %s", r.Status, r.Body)
	}
}

func TestCatalogue_SuggestsTheDistrictUnitFirst(t *testing.T) {
	e := newEnv(t)
	cat := map[string]any{"categories": []map[string]any{
		{"code": "cs", "name": "城市管理", "departments": []string{"cgj"}, "children": []map[string]any{
			{"code": "cs-zy", "name": "噪音扰民", "departments": []string{}},
			{"code": "cs-ldbx", "name": "路灯报修", "departments": []string{"cgj", "rsj"}},
		}},
	}}
	if r := e.call("supervisor", "PUT", "/api/v1/catalogue", cat); r.Status != 403 {
		t.Fatalf("supervisor edited the catalogue: %d", r.Status)
	}
	e.must(e.call("admin", "PUT", "/api/v1/catalogue", cat), 200, nil)
	var s struct{ Departments []string }
	e.must(e.call("agent1", "GET", "/api/v1/catalogue/suggest?category=cs-zy&region="+urlq("天河区"), nil), 200, &s)
	if strings.Join(s.Departments, ",") != "cgj-th,cgj" {
		t.Fatalf("suggest in 天河区: %v", s.Departments)
	}
	e.must(e.call("agent1", "GET", "/api/v1/catalogue/suggest?category="+urlq("路灯报修"), nil), 200, &s)
	if strings.Join(s.Departments, ",") != "cgj,rsj" {
		t.Fatalf("suggest by name: %v", s.Departments)
	}
	if r := e.call("agent1", "GET", "/api/v1/catalogue/suggest?category=none", nil); r.Status != 404 {
		t.Fatalf("unknown category: %d", r.Status)
	}
	var got struct{ Categories []struct{ Children []any } }
	e.must(e.call("dept-rsj", "GET", "/api/v1/catalogue", nil), 200, &got)
	if len(got.Categories) != 1 || len(got.Categories[0].Children) != 2 {
		t.Fatalf("catalogue read back: %+v", got)
	}
	three := map[string]any{"categories": []map[string]any{{"code": "a", "name": "a", "children": []map[string]any{
		{"code": "b", "name": "b", "children": []map[string]any{{"code": "c", "name": "c"}}}}}}}
	for _, bad := range []map[string]any{three,
		{"categories": []map[string]any{{"code": "a", "name": "a", "departments": []string{"missing"}}}},
		{"categories": []map[string]any{{"code": "a", "name": "a"}, {"code": "a", "name": "b"}}}} {
		if r := e.call("admin", "PUT", "/api/v1/catalogue", bad); r.Status != 400 {
			t.Errorf("catalogue %v: %d, want 400", bad, r.Status)
		}
	}
}
