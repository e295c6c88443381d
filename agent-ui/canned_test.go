package agentui_test

import (
	"fmt"
	"strings"
	"testing"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/canned"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/webchat"
)

type cannedJSON struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	Category  string `json:"category"`
	Shortcut  string `json:"shortcut"`
	SortOrder int    `json:"sort_order"`
	Active    bool   `json:"active"`
	UpdatedBy string `json:"updated_by"`
}

func cannedEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, func(db *postgres.DB, d *agentui.Deps) {
		d.Canned = canned.NewService(postgres.NewCannedStore(db), d.Clock)
	})
}

func (e *env) cannedList(user, query string) []cannedJSON {
	e.t.Helper()
	var out struct{ Items []cannedJSON }
	e.must(e.call(user, "GET", "/api/v1/canned-replies"+query, nil), 200, &out)
	return out.Items
}

// A canned reply holds what a chat message may: its limits are the chat's.
func TestCanned_TextLimitIsAChatMessage(t *testing.T) {
	if canned.MaxTextRunes != webchat.MaxMessageRunes {
		t.Fatalf("canned text holds %d characters, a chat message %d", canned.MaxTextRunes, webchat.MaxMessageRunes)
	}
}

// Admins add, change, deactivate and delete canned replies; agents and
// supervisors read the active ones; departments nothing.
func TestCanned_AdminKeepsStaffRead(t *testing.T) {
	e := cannedEnv(t)
	var hello, bye cannedJSON
	e.must(e.call("admin", "POST", "/api/v1/canned-replies", map[string]any{"title": "问候", "text": "您好，很高兴为您服务。\n请问有什么可以帮您？",
		"category": "通用", "shortcut": "hi", "sort_order": 1}), 201, &hello)
	if hello.ID == 0 || !hello.Active || hello.UpdatedBy != "admin" || hello.Shortcut != "hi" {
		t.Fatalf("created %+v", hello)
	}
	e.must(e.call("admin", "POST", "/api/v1/canned-replies", map[string]any{"title": "结束语", "text": "感谢您的咨询，再见。"}), 201, &bye)
	for _, user := range []string{"agent1", "supervisor", "admin"} {
		if got := e.cannedList(user, ""); len(got) != 2 || got[0].ID != bye.ID || got[1].ID != hello.ID {
			t.Errorf("%s lists %+v, want by sort order: 结束语 (0), 问候 (1)", user, got)
		}
	}
	var one cannedJSON
	e.must(e.call("agent1", "GET", fmt.Sprintf("/api/v1/canned-replies/%d", hello.ID), nil), 200, &one)
	if one.Text != hello.Text {
		t.Errorf("agent1 reads %+v", one)
	}

	var changed cannedJSON
	e.must(e.call("admin", "PUT", fmt.Sprintf("/api/v1/canned-replies/%d", hello.ID), map[string]any{"active": false}), 200, &changed)
	if changed.Active || changed.Title != "问候" || changed.Text != hello.Text {
		t.Fatalf("deactivated %+v: only active may change", changed)
	}
	if got := e.cannedList("agent1", ""); len(got) != 1 || got[0].ID != bye.ID {
		t.Errorf("agent1 lists %+v, want the active reply only", got)
	}
	if r := e.call("agent1", "GET", fmt.Sprintf("/api/v1/canned-replies/%d", hello.ID), nil); r.Status != 404 {
		t.Errorf("agent1 reads an inactive reply: %d, want 404", r.Status)
	}
	if got := e.cannedList("admin", "?include_inactive=true"); len(got) != 2 {
		t.Errorf("admin lists %d with inactive ones, want 2", len(got))
	}
	e.must(e.call("admin", "PUT", fmt.Sprintf("/api/v1/canned-replies/%d", bye.ID), map[string]any{"title": "结束", "shortcut": "bye"}), 200, &changed)
	if changed.Title != "结束" || changed.Shortcut != "bye" || changed.Text != bye.Text {
		t.Errorf("changed %+v", changed)
	}
	e.must(e.call("admin", "DELETE", fmt.Sprintf("/api/v1/canned-replies/%d", bye.ID), nil), 204, nil)
	if got := e.cannedList("admin", "?include_inactive=true"); len(got) != 1 || got[0].ID != hello.ID {
		t.Errorf("after delete the admin lists %+v", got)
	}
}

// Every action checks the role; a refused one changes nothing.
func TestCanned_RolesAreCheckedOnEveryAction(t *testing.T) {
	e := cannedEnv(t)
	var r0 cannedJSON
	e.must(e.call("admin", "POST", "/api/v1/canned-replies", map[string]any{"title": "问候", "text": "您好"}), 201, &r0)
	item := fmt.Sprintf("/api/v1/canned-replies/%d", r0.ID)
	for _, tc := range []struct {
		user, method, path string
		body               any
		status             int
	}{
		{"", "GET", "/api/v1/canned-replies", nil, 401},
		{"dept-rsj", "GET", "/api/v1/canned-replies", nil, 403},
		{"dept-rsj", "GET", item, nil, 403},
		{"agent1", "GET", "/api/v1/canned-replies?include_inactive=true", nil, 403},
		{"supervisor", "GET", "/api/v1/canned-replies?include_inactive=true", nil, 403},
		{"agent1", "POST", "/api/v1/canned-replies", map[string]any{"title": "x", "text": "y"}, 403},
		{"supervisor", "POST", "/api/v1/canned-replies", map[string]any{"title": "x", "text": "y"}, 403},
		{"agent1", "PUT", item, map[string]any{"text": "改了"}, 403},
		{"supervisor", "PUT", item, map[string]any{"active": false}, 403},
		{"agent1", "DELETE", item, nil, 403},
		{"supervisor", "DELETE", item, nil, 403},
		{"dept-rsj", "DELETE", item, nil, 403},
	} {
		r := e.call(tc.user, tc.method, tc.path, tc.body)
		if r.Status != tc.status {
			t.Errorf("%s %s %s as %q: %d, want %d", tc.method, tc.path, r.Body, tc.user, r.Status, tc.status)
		} else if code := e.errorCode(r); tc.status == 403 && code != "forbidden" {
			t.Errorf("%s %s as %s: code %s", tc.method, tc.path, tc.user, code)
		}
	}
	if got := e.cannedList("admin", "?include_inactive=true"); len(got) != 1 || got[0].Text != "您好" || !got[0].Active {
		t.Errorf("after refused actions: %+v", got)
	}
}

// Bad input is refused with a clear invalid (or not_found, conflict) and
// stores nothing.
func TestCanned_BadInput(t *testing.T) {
	e := cannedEnv(t)
	var r0 cannedJSON
	e.must(e.call("admin", "POST", "/api/v1/canned-replies", map[string]any{"title": "问候", "text": "您好", "shortcut": "hi"}), 201, &r0)
	item := fmt.Sprintf("/api/v1/canned-replies/%d", r0.ID)
	long := strings.Repeat("长", 2001)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"TextTooLong", "POST", "/api/v1/canned-replies", map[string]any{"title": "长", "text": long}, 400, "invalid"},
		{"TextEmpty", "POST", "/api/v1/canned-replies", map[string]any{"title": "空"}, 400, "invalid"},
		{"TitleEmpty", "POST", "/api/v1/canned-replies", map[string]any{"text": "无题"}, 400, "invalid"},
		{"TitleTooLong", "POST", "/api/v1/canned-replies", map[string]any{"title": strings.Repeat("题", 61), "text": "x"}, 400, "invalid"},
		{"TitleTwoLines", "POST", "/api/v1/canned-replies", map[string]any{"title": "a\nb", "text": "x"}, 400, "invalid"},
		{"ControlInText", "POST", "/api/v1/canned-replies", map[string]any{"title": "控", "text": "响铃\u0007"}, 400, "invalid"},
		{"BidiInTitle", "POST", "/api/v1/canned-replies", map[string]any{"title": "\u202e反向", "text": "x"}, 400, "invalid"},
		{"NULInCategory", "POST", "/api/v1/canned-replies", map[string]any{"title": "空字符", "text": "x", "category": "a\u0000"}, 400, "invalid"},
		{"ShortcutWithSpace", "POST", "/api/v1/canned-replies", map[string]any{"title": "s", "text": "x", "shortcut": "a b"}, 400, "invalid"},
		{"ShortcutTaken", "POST", "/api/v1/canned-replies", map[string]any{"title": "s", "text": "x", "shortcut": "HI"}, 409, "conflict"},
		{"SortOrderNegative", "POST", "/api/v1/canned-replies", map[string]any{"title": "s", "text": "x", "sort_order": -1}, 400, "invalid"},
		{"UnknownField", "POST", "/api/v1/canned-replies", map[string]any{"title": "s", "text": "x", "id": 7}, 400, "invalid"},
		{"NotJSON", "POST", "/api/v1/canned-replies", []byte("title=s"), 400, "invalid"},
		{"PutTextTooLong", "PUT", item, map[string]any{"text": long}, 400, "invalid"},
		{"PutControl", "PUT", item, map[string]any{"title": "x\u001b[31m"}, 400, "invalid"},
		{"PutUnknownID", "PUT", "/api/v1/canned-replies/999999", map[string]any{"active": false}, 404, "not_found"},
		{"PutMalformedID", "PUT", "/api/v1/canned-replies/abc", map[string]any{"active": false}, 404, "not_found"},
		{"GetUnknownID", "GET", "/api/v1/canned-replies/999999", nil, 404, "not_found"},
		{"DeleteUnknownID", "DELETE", "/api/v1/canned-replies/999999", nil, 404, "not_found"},
		{"UnknownQuery", "GET", "/api/v1/canned-replies?q=x", nil, 400, "invalid"},
		{"BadIncludeInactive", "GET", "/api/v1/canned-replies?include_inactive=yes", nil, 400, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call("admin", tc.method, tc.path, tc.body)
			if r.Status != tc.status || e.errorCode(r) != tc.code {
				t.Fatalf("%s %s: %d %s, want %d %s", tc.method, tc.path, r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	var ok cannedJSON
	e.must(e.call("admin", "POST", "/api/v1/canned-replies", map[string]any{"title": "刚好", "text": strings.Repeat("长", 2000)}), 201, &ok)
	if got := e.cannedList("admin", "?include_inactive=true"); len(got) != 2 || got[0].ID+got[1].ID != r0.ID+ok.ID {
		t.Errorf("after bad input: %d replies, want the first and the 2,000-character one", len(got))
	}
}
