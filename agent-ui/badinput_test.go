package agentui_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func urlq(s string) string { return url.QueryEscape(s) }

func TestBadInput_AnswersWithTheEnvelopeAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	valid := `{"kind":"help","channel":"phone","title":"t","content":"c"}`
	huge := []byte(`{"kind":"help","channel":"phone","title":"t","content":"` + strings.Repeat("长", 1<<19) + `"}`)
	cases := []struct {
		name   string
		method string
		path   string
		body   []byte
		status int
	}{
		{"MalformedJSON", "POST", "/api/v1/tickets", []byte(`{"kind":`), 400},
		{"NotAnObject", "POST", "/api/v1/tickets", []byte(`[1,2]`), 400},
		{"TrailingData", "POST", "/api/v1/tickets", []byte(valid + `{}`), 400},
		{"UnknownField", "POST", "/api/v1/tickets", []byte(`{"kind":"help","channel":"phone","title":"t","content":"c","status":"closed"}`), 400},
		{"UnknownKind", "POST", "/api/v1/tickets", []byte(`{"kind":"gossip","channel":"phone","title":"t","content":"c"}`), 400},
		{"UnknownChannel", "POST", "/api/v1/tickets", []byte(`{"kind":"help","channel":"fax","title":"t","content":"c"}`), 400},
		{"UnknownUrgency", "POST", "/api/v1/tickets", []byte(`{"kind":"help","channel":"phone","urgency":"asap","title":"t","content":"c"}`), 400},
		{"WrongType", "POST", "/api/v1/tickets", []byte(`{"kind":1,"channel":"phone","title":"t","content":"c"}`), 400},
		{"MissingTitle", "POST", "/api/v1/tickets", []byte(`{"kind":"help","channel":"phone","content":"c"}`), 400},
		{"TitleTooLong", "POST", "/api/v1/tickets", []byte(`{"kind":"help","channel":"phone","title":"` + strings.Repeat("长", 201) + `","content":"c"}`), 400},
		{"InvalidPhone", "POST", "/api/v1/tickets", []byte(`{"kind":"help","channel":"phone","title":"t","content":"c","citizen":{"phone":"12345"}}`), 400},
		{"InvalidIDNumber", "POST", "/api/v1/tickets", []byte(`{"kind":"help","channel":"phone","title":"t","content":"c","citizen":{"id_number":"110105194912310021"}}`), 400},
		{"InvalidUTF8", "POST", "/api/v1/tickets", []byte("{\"kind\":\"help\",\"channel\":\"phone\",\"title\":\"\xff\xfe\",\"content\":\"c\"}"), 400},
		{"BodyOver1MiB", "POST", "/api/v1/tickets", huge, 413},
		{"EmptyBody", "POST", "/api/v1/tickets", nil, 400},
		{"UnknownAction", "POST", "/api/v1/tickets/1/actions/explode", []byte(`{}`), 400},
		{"NonNumericID", "GET", "/api/v1/tickets/abc", nil, 404},
		{"NegativeID", "GET", "/api/v1/tickets/-1", nil, 404},
		{"HugeID", "GET", "/api/v1/tickets/99999999999999999999999", nil, 404},
		{"MissingTicket", "GET", "/api/v1/tickets/424242", nil, 404},
		{"BadStatusFilter", "GET", "/api/v1/tickets?status=open", nil, 400},
		{"BadLimit", "GET", "/api/v1/tickets?limit=-3", nil, 400},
		{"LimitTooLarge", "GET", "/api/v1/tickets?limit=100000", nil, 400},
		{"ForgedCursor", "GET", "/api/v1/tickets?cursor=" + urlq("' OR 1=1 --"), nil, 400},
		{"UnknownEndpoint", "GET", "/api/v1/nothing", nil, 404},
		{"WrongMethod", "DELETE", "/api/v1/tickets", nil, 405},
		{"BadYear", "GET", "/api/v1/calendar/twenty", nil, 400},
		{"YearOutOfRange", "GET", "/api/v1/calendar/1066", nil, 400},
		{"WrongContentType", "POST", "/api/v1/tickets", []byte(valid), 400},
	}
	before := e.count()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			var body any
			if c.body != nil {
				body = c.body
			}
			var r response
			if c.name == "WrongContentType" {
				r = e.callWith("agent1", c.method, c.path, c.body, "text/plain")
			} else {
				r = e.call("agent1", c.method, c.path, body)
			}
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %.200s", r.Status, c.status, r.Body)
			}
			e.errorCode(r)
		})
	}
	e.t = t
	if after := e.count(); after != before {
		t.Fatalf("bad requests created %d tickets", after-before)
	}
}

func TestBadInput_SQLMetacharactersAreStoredVerbatim(t *testing.T) {
	e := newEnv(t)
	hostile := []string{`'; DROP TABLE tickets; --`, `" OR 1=1 --`, `\x00\\%_`, `<script>alert(1)</script>`, `$1 $$ ;; /* */`, "emoji 🚒 and 中文"}
	for _, s := range hostile {
		tk := e.newTicket("help", map[string]any{"title": s, "content": s, "citizen": map[string]any{"name": s, "address": s}})
		got := e.get("agent1", tk.ID)
		if got.Title != s || got.Content != s || got.Citizen.Name != s || got.Citizen.Address != s {
			t.Fatalf("stored %q as %+v", s, got)
		}
		var list struct{ Items []ticket }
		e.must(e.call("agent1", "GET", "/api/v1/tickets?q="+urlq(s), nil), 200, &list)
		if len(list.Items) == 0 || list.Items[0].ID != tk.ID {
			t.Fatalf("search for %q did not find its ticket: %+v", s, list.Items)
		}
	}
	r := e.call("agent1", "GET", "/api/v1/tickets/1", nil)
	if bytes.Contains(r.Body, []byte("<script>")) {
		t.Fatal("JSON output carries raw <script>; it must be escaped")
	}
}

func TestList_CursorPaginationAndFilters(t *testing.T) {
	e := newEnv(t)
	var ids []int64
	for i := 0; i < 7; i++ {
		kind := []string{"help", "complaint"}[i%2]
		ids = append(ids, e.newTicket(kind, map[string]any{"title": fmt.Sprintf("工单%d", i)}).ID)
	}
	e.mustAct("agent1", ids[0], "dispatch", map[string]any{"department": "rsj"})
	var seen []int64
	cursor := ""
	for pages := 0; ; pages++ {
		var p struct {
			Items      []ticket
			NextCursor string `json:"next_cursor"`
		}
		e.must(e.call("agent1", "GET", "/api/v1/tickets?limit=3&cursor="+cursor, nil), 200, &p)
		for _, it := range p.Items {
			seen = append(seen, it.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 7 || seen[0] != ids[6] || seen[6] != ids[0] {
		t.Fatalf("pages gave %v, want all 7 newest first", seen)
	}
	var p struct{ Items []ticket }
	e.must(e.call("agent1", "GET", "/api/v1/tickets?kind=complaint&status=accepted", nil), 200, &p)
	if len(p.Items) != 3 {
		t.Fatalf("complaints still accepted: %d, want 3", len(p.Items))
	}
	e.must(e.call("agent1", "GET", "/api/v1/tickets?department=rsj&status=dispatched,in_progress", nil), 200, &p)
	if len(p.Items) != 1 || p.Items[0].ID != ids[0] {
		t.Fatalf("department filter: %+v", p.Items)
	}
	e.must(e.call("agent1", "GET", "/api/v1/tickets?q="+urlq("工单3"), nil), 200, &p)
	if len(p.Items) != 1 || p.Items[0].ID != ids[3] {
		t.Fatalf("text search: %+v", p.Items)
	}
	e.must(e.call("agent1", "GET", "/api/v1/tickets?q="+urlq("+86 138 1234 1234"), nil), 200, &p)
	if len(p.Items) != 7 {
		t.Fatalf("phone search found %d, want 7", len(p.Items))
	}
}

// count returns how many tickets exist.
func (e *env) count() int {
	e.t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(e.t.Context(), "SELECT count(*) FROM tickets").Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
