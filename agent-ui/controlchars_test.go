package agentui_test

import (
	"fmt"
	"strings"
	"testing"
)

// Every text that enters through the API is checked once at the edge: NUL
// and other control characters (line breaks and tabs only in long texts),
// and bidirectional overrides, answer 400 with the envelope and store
// nothing. Each of these answered 500 (and logged an ERROR) before.
func TestBadInput_ControlCharactersAnswer400Everywhere(t *testing.T) {
	e := newEnv(t)
	tk := e.newTicket("help", nil)
	ticket := func(title, name string) map[string]any {
		return map[string]any{"kind": "help", "channel": "phone", "title": title, "content": "内容",
			"citizen": map[string]any{"name": name, "phone": "13812341234"}}
	}
	cases := []struct {
		name, user, method, path string
		body                     any
	}{
		{"ListDepartmentNUL", "agent1", "GET", "/api/v1/tickets?department=%00", nil},
		{"ListQueryNUL", "agent1", "GET", "/api/v1/tickets?q=a%00b", nil},
		{"ListQueryEscape", "agent1", "GET", "/api/v1/tickets?q=%1b%5b31m", nil},
		{"ListQueryInvalidUTF8", "agent1", "GET", "/api/v1/tickets?q=%ff%fe", nil},
		{"MalformedQueryString", "agent1", "GET", "/api/v1/tickets?q=%zz", nil},
		{"GuidesDepartmentNUL", "agent1", "GET", "/api/v1/guides?department=%00", nil},
		{"GuidesSearchNUL", "agent1", "GET", "/api/v1/guides/search?q=%E7%A4%BE%00", nil},
		{"GuidePathNUL", "agent1", "GET", "/api/v1/guides/a%00b", nil},
		{"DeliveriesDepartmentNUL", "admin", "GET", "/api/v1/deliveries?department=%00", nil},
		{"TitleNUL", "agent1", "POST", "/api/v1/tickets", ticket("a\x00b", "张三")},
		{"NameNUL", "agent1", "POST", "/api/v1/tickets", ticket("标题", "张\x00三")},
		{"TitleBidiOverride", "agent1", "POST", "/api/v1/tickets", ticket("退款\u202egnp.exe", "张三")},
		{"NameBidiIsolate", "agent1", "POST", "/api/v1/tickets", ticket("标题", "张\u2066三")},
		{"TitleLineBreak", "agent1", "POST", "/api/v1/tickets", ticket("标题\n第二行", "张三")},
		{"NameTab", "agent1", "POST", "/api/v1/tickets", ticket("标题", "张\t三")},
		{"ContentC1", "agent1", "POST", "/api/v1/tickets", map[string]any{"kind": "help", "channel": "phone", "title": "t", "content": "a\u0085b"}},
		{"NoteNUL", "agent1", "POST", fmt.Sprintf("/api/v1/tickets/%d/actions/note", tk.ID), map[string]any{"text": "备注\x00"}},
		{"ProfileNUL", "admin", "PUT", "/api/v1/routing/agents/agent1/profile", map[string]any{"name": "坐席\x00", "skills": map[string]int{"consultation": 1}}},
		{"LoginUsernameNUL", "", "POST", "/api/v1/login", map[string]any{"username": "a\x00b", "password": testPassword}},
		{"LoginPasswordNUL", "", "POST", "/api/v1/login", map[string]any{"username": "agent1", "password": "x\x00"}},
		{"KeyNUL", "agent1", "POST", "/api/v1/tickets", []byte(`{"kind":"help","channel":"phone","title":"t","content":"c","x\u0000":1}`)},
		{"DepartmentNameNUL", "admin", "POST", "/api/v1/departments", map[string]any{"code": "x", "name": "局\x00"}},
		{"SynonymNUL", "admin", "PUT", "/api/v1/synonyms", map[string]any{"社保": []string{"社会\x00保险"}}},
	}
	before := e.count()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			r := e.call(c.user, c.method, c.path, c.body)
			if r.Status != 400 {
				t.Fatalf("status %d, want 400: %.300s", r.Status, r.Body)
			}
			if code := e.errorCode(r); code != "invalid" {
				t.Fatalf("code %s, want invalid", code)
			}
		})
	}
	e.t = t
	if after := e.count(); after != before {
		t.Fatalf("refused requests created %d tickets", after-before)
	}
	if evs := e.events(tk.ID); len(evs) != 1 {
		t.Fatalf("the refused note was recorded: %d events", len(evs))
	}
	// Line breaks and tabs stay welcome in long texts.
	created := e.newTicket("help", map[string]any{"content": "第一行\n第二行\t缩进\r\n"})
	if got := e.get("agent1", created.ID); !strings.Contains(got.Content, "第二行\t缩进") {
		t.Fatalf("content lost its line breaks: %q", got.Content)
	}
}
