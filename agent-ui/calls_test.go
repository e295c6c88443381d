package agentui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/ticketing"
)

// callsService is embedded under this name so that its Calls method (the
// screen pop's history) is promoted.
type callsService = telephony.Calls

// lateCalls are set once the test's database exists, after the server
// that uses them was built.
type lateCalls struct{ *callsService }

// callEnv is an env with call records, recordings under rec.
type callEnv struct {
	*env
	calls *telephony.Calls
	rec   string
}

func newCallEnv(t *testing.T) callEnv {
	t.Helper()
	late := &lateCalls{}
	rec := t.TempDir()
	var tickets *ticketing.Service
	e := newEnvWith(t, func(d *agentui.Deps) { d.CallRecords, d.Calls, d.Recordings, tickets = late, late, rec, d.Tickets })
	late.callsService = telephony.NewCalls(postgres.NewCallStore(e.db), e.clock, telephony.WithTicketRatings(tickets))
	return callEnv{env: e, calls: late.callsService, rec: rec}
}

// answered records a call from caller that agent answers after wait and
// talks for talk.
func (e callEnv) answered(caller, agent string, wait, talk time.Duration) int64 {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.calls.Start(ctx, telephony.NewCall{Direction: telephony.Inbound, Caller: caller, Callee: "12345"})
	if err != nil {
		e.t.Fatal(err)
	}
	steps := []struct {
		kind   telephony.EventKind
		detail string
		after  time.Duration
	}{{telephony.EventDigit, "1", 0}, {telephony.EventQueued, "consultation", 0},
		{telephony.EventOffered, agent, 0}, {telephony.EventAnswered, agent, wait}}
	for _, s := range steps {
		e.clock.Advance(s.after)
		if err := e.calls.Event(ctx, c.ID, s.kind, s.detail); err != nil {
			e.t.Fatal(err)
		}
	}
	e.clock.Advance(talk)
	if _, err := e.calls.Finish(ctx, c.ID, telephony.OutcomeAnswered, telephony.HangupAgent); err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// unanswered records a call from caller that ends with outcome after the
// caller pressed digit (and waited in a queue unless outcome is ivr).
func (e callEnv) unanswered(caller, digit string, outcome telephony.Outcome) int64 {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.calls.Start(ctx, telephony.NewCall{Direction: telephony.Inbound, Caller: caller, Callee: "12345"})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.calls.Event(ctx, c.ID, telephony.EventDigit, digit); err != nil {
		e.t.Fatal(err)
	}
	if outcome != telephony.OutcomeIVR {
		if err := e.calls.Event(ctx, c.ID, telephony.EventQueued, "complaint"); err != nil {
			e.t.Fatal(err)
		}
	}
	e.clock.Advance(30 * time.Second)
	if _, err := e.calls.Finish(ctx, c.ID, outcome, telephony.HangupCaller); err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

type callJSON struct {
	ID           string
	Caller       string
	Agent        string
	Outcome      *string
	IVRPath      string `json:"ivr_path"`
	Queue        string
	WaitSeconds  int     `json:"wait_seconds"`
	TalkSeconds  int     `json:"talk_seconds"`
	HangupBy     *string `json:"hangup_by"`
	Satisfaction *int
	RecordingURL *string `json:"recording_url"`
	TicketID     *int64  `json:"ticket_id"`
	Events       []struct{ Event, Detail string }
}

type callPage struct {
	Items      []callJSON
	NextCursor string `json:"next_cursor"`
}

func (e callEnv) list(user, query string) callPage {
	e.t.Helper()
	var p callPage
	e.must(e.call(user, "GET", "/api/v1/calls"+query, nil), 200, &p)
	return p
}

func ids(p callPage) []string {
	var out []string
	for _, c := range p.Items {
		out = append(out, c.ID)
	}
	return out
}

// A call's record has DESIGN.md's fields (and its events), with the wait,
// talk time, IVR path, rating and recording of what happened.
func TestCalls_RecordShape(t *testing.T) {
	e := newCallEnv(t)
	ctx := context.Background()
	id := e.answered("+86 138-1234-1234", "agent1", 20*time.Second, time.Minute)
	if err := e.calls.SetSatisfaction(ctx, id, 5); err != nil {
		t.Fatal(err)
	}
	if err := e.calls.SetRecording(ctx, id, "call-1.wav"); err != nil {
		t.Fatal(err)
	}
	if err := e.calls.SetRecording(ctx, id, "../etc/passwd"); err == nil {
		t.Fatal("a recording name with a path was accepted")
	}
	if _, err := e.calls.Finish(ctx, id, telephony.OutcomeAnswered, telephony.HangupAgent); err == nil {
		t.Fatal("a call finished twice")
	}
	path := fmt.Sprintf("/api/v1/calls/%d", id)
	r := e.call("supervisor", "GET", path, nil)
	var raw map[string]json.RawMessage
	e.must(r, 200, &raw)
	want := []string{"id", "direction", "caller", "callee", "started_at", "answered_at", "ended_at", "ivr_path", "queue",
		"agent", "outcome", "wait_seconds", "talk_seconds", "hangup_by", "satisfaction", "recording_url", "ticket_id", "events"}
	if got := slices.Sorted(maps.Keys(raw)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	var c callJSON
	e.must(r, 200, &c)
	if c.Caller != "13812341234" || c.Agent != "agent1" || *c.Outcome != "answered" || c.IVRPath != "1" ||
		c.Queue != "consultation" || c.WaitSeconds != 20 || c.TalkSeconds != 60 || *c.HangupBy != "agent" ||
		*c.Satisfaction != 5 || *c.RecordingURL != path+"/recording" || c.TicketID != nil {
		t.Fatalf("record %s", r.Body)
	}
	var kinds []string
	for _, ev := range c.Events {
		kinds = append(kinds, ev.Event)
	}
	if !slices.Equal(kinds, []string{"started", "digit", "queued", "offered", "answered", "ended"}) {
		t.Fatalf("events %v", kinds)
	}
}

// Two abandoned calls from one phone make one open callback entry that
// counts both; an IVR-only call makes none.
func TestCalls_AbandonedTwiceIsOneCallback(t *testing.T) {
	e := newCallEnv(t)
	first := e.unanswered("13900001111", "2", telephony.OutcomeAbandoned)
	e.clock.Advance(10 * time.Minute)
	second := e.unanswered("13900001111", "2", telephony.OutcomeAbandoned)
	e.unanswered("13700002222", "4", telephony.OutcomeIVR)
	type cb struct {
		Phone, Reason, State string
		CallID               string `json:"call_id"`
		Attempts, Calls      int
		CreatedAt            time.Time `json:"created_at"`
		DueAt                time.Time `json:"due_at"`
	}
	for _, user := range []string{"supervisor", "admin", "agent1"} {
		var p struct{ Items []cb }
		e.must(e.call(user, "GET", "/api/v1/callbacks?state=open", nil), 200, &p)
		if len(p.Items) != 1 {
			t.Fatalf("%s: %d callbacks, want 1: %+v", user, len(p.Items), p.Items)
		}
		c := p.Items[0]
		if c.Phone != "13900001111" || c.Reason != "abandoned" || c.State != "waiting" || c.Attempts != 0 || c.Calls != 2 ||
			c.CallID != strconv.FormatInt(second, 10) || !c.DueAt.Equal(c.CreatedAt.Add(telephony.CallbackWithin)) {
			t.Fatalf("%s: callback %+v (first call %d, second %d)", user, c, first, second)
		}
	}
	var done struct{ Items []cb }
	e.must(e.call("supervisor", "GET", "/api/v1/callbacks?state=reached", nil), 200, &done)
	if len(done.Items) != 0 {
		t.Fatalf("done callbacks %+v", done.Items)
	}
	for _, c := range []struct {
		user, query string
		status      int
	}{
		{"dept-rsj", "", 403},
		{"supervisor", "?state=bogus", 400},
		{"supervisor", "?status=open", 400},
		{"supervisor", "?limit=100000", 400},
		{"supervisor", "?cursor=%%%", 400},
	} {
		if r := e.call(c.user, "GET", "/api/v1/callbacks"+c.query, nil); r.Status != c.status {
			t.Errorf("%s GET /callbacks%s: %d %s, want %d", c.user, c.query, r.Status, r.Body, c.status)
		}
	}
}

// The list filters by caller, agent, outcome and local days, pages with
// the cursor, and shows an agent only the calls they answered.
func TestCalls_ListFiltersAndPages(t *testing.T) {
	e := newCallEnv(t)
	a1 := e.answered("13812341234", "agent1", 5*time.Second, time.Minute)
	a2 := e.answered("13812341234", "agent2", 5*time.Second, time.Minute)
	ab := e.unanswered("13900001111", "2", telephony.OutcomeAbandoned)
	iv := e.unanswered("13700002222", "4", telephony.OutcomeIVR)
	s := func(id int64) string { return strconv.FormatInt(id, 10) }
	all := []string{s(iv), s(ab), s(a2), s(a1)}
	for query, want := range map[string][]string{
		"":                               all,
		"?caller=138-1234-1234":          {s(a2), s(a1)},
		"?agent=agent1":                  {s(a1)},
		"?outcome=ivr":                   {s(iv)},
		"?outcome=abandoned":             {s(ab)},
		"?from=2026-09-30&to=2026-09-30": all,
		"?from=2026-10-01":               nil,
		"?to=2026-09-29":                 nil,
		"?from=2026-09-30T02:00:00Z":     all, // 10:00 in Shanghai, when the first call began
		"?from=2026-09-30T02:00:01Z":     {s(iv), s(ab), s(a2)},
	} {
		if got := ids(e.list("supervisor", query)); !slices.Equal(got, want) {
			t.Errorf("GET /calls%s: %v, want %v", query, got, want)
		}
	}
	p1 := e.list("admin", "?limit=3")
	p2 := e.list("admin", "?limit=3&cursor="+p1.NextCursor)
	if got := append(ids(p1), ids(p2)...); !slices.Equal(got, all) || p1.NextCursor == "" || p2.NextCursor != "" {
		t.Fatalf("pages %v then %v (cursors %q, %q), want %v", ids(p1), ids(p2), p1.NextCursor, p2.NextCursor, all)
	}
	if got := ids(e.list("agent1", "")); !slices.Equal(got, []string{s(a1)}) {
		t.Fatalf("agent1 sees %v, want only its call %d", got, a1)
	}
	for _, c := range []struct {
		user, path string
		status     int
	}{
		{"agent1", "/api/v1/calls/" + s(a1), 200},
		{"agent2", "/api/v1/calls/" + s(a1), 403},
		{"agent2", "/api/v1/calls/" + s(ab), 403},
		{"agent2", "/api/v1/calls?agent=agent1", 403},
		{"dept-rsj", "/api/v1/calls", 403},
		{"dept-rsj", "/api/v1/calls/" + s(a1), 403},
		{"", "/api/v1/calls", 401},
		{"supervisor", "/api/v1/calls/999999", 404},
		{"supervisor", "/api/v1/calls/abc", 404},
		{"supervisor", "/api/v1/calls/" + s(a1) + "?x=1", 400},
		{"supervisor", "/api/v1/calls?phone=13812341234", 400},
		{"supervisor", "/api/v1/calls?from=2026-13-01", 400},
		{"supervisor", "/api/v1/calls?from=yesterday", 400},
		{"supervisor", "/api/v1/calls?to=2026-09-30T25:00:00Z", 400},
		{"supervisor", "/api/v1/calls?from=2026-10-02&to=2026-10-01", 400},
		{"supervisor", "/api/v1/calls?limit=100000", 400},
		{"supervisor", "/api/v1/calls?limit=0", 400},
		{"supervisor", "/api/v1/calls?limit=99999999999999999999", 400},
		{"supervisor", "/api/v1/calls?cursor=garbage", 400},
		{"supervisor", "/api/v1/calls?cursor=dDA", 400},
		{"supervisor", "/api/v1/calls?outcome=hung", 400},
		{"supervisor", "/api/v1/calls?caller=" + strings.Repeat("1", 70), 400},
	} {
		if r := e.call(c.user, "GET", c.path, nil); r.Status != c.status {
			t.Errorf("%q GET %s: %d %s, want %d", c.user, c.path, r.Status, r.Body, c.status)
		}
	}
}

// A recording is served with ranges to supervisors and to the agent who
// took the call, to nobody else; a call without one answers 404.
func TestCalls_Recording(t *testing.T) {
	e := newCallEnv(t)
	ctx := context.Background()
	id := e.answered("13812341234", "agent1", time.Second, time.Minute)
	wav := make([]byte, 1000)
	copy(wav, "RIFF")
	if err := os.WriteFile(filepath.Join(e.rec, "rec-1.wav"), wav, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.calls.SetRecording(ctx, id, "rec-1.wav"); err != nil {
		t.Fatal(err)
	}
	lost := e.answered("13812341234", "agent1", time.Second, time.Minute)
	if err := e.calls.SetRecording(ctx, lost, "gone.wav"); err != nil {
		t.Fatal(err)
	}
	none := e.unanswered("13700002222", "4", telephony.OutcomeIVR)
	get := func(user string, call int64) response {
		req, err := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/calls/%d/recording", e.srv.URL, call), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
		req.Header.Set("Range", "bytes=0-99")
		return e.do(req)
	}
	for _, user := range []string{"supervisor", "admin", "agent1"} {
		r := get(user, id)
		if r.Status != 206 || r.Header.Get("Content-Range") != "bytes 0-99/1000" || len(r.Body) != 100 ||
			r.Header.Get("Content-Type") != "audio/wav" || string(r.Body[:4]) != "RIFF" {
			t.Errorf("%s: %d %v, %d bytes", user, r.Status, r.Header, len(r.Body))
		}
	}
	for _, c := range []struct {
		user   string
		call   int64
		status int
	}{{"agent2", id, 403}, {"dept-rsj", id, 403}, {"supervisor", none, 404}, {"supervisor", lost, 404}} {
		if r := get(c.user, c.call); r.Status != c.status {
			t.Errorf("%s GET call %d's recording: %d %s, want %d", c.user, c.call, r.Status, r.Body, c.status)
		}
	}
}

// A ticket created during a call shows on the call's record, and the
// caller's past calls show in the screen pop.
func TestCalls_TicketAndScreenPop(t *testing.T) {
	e := newCallEnv(t)
	id := e.answered("13812341234", "agent1", time.Second, time.Minute)
	e.unanswered("13812341234", "2", telephony.OutcomeAbandoned)
	e.unanswered("13900001111", "2", telephony.OutcomeAbandoned)
	tk := e.newTicket("complaint", map[string]any{"call_id": strconv.FormatInt(id, 10)})
	var c callJSON
	e.must(e.call("agent1", "GET", fmt.Sprintf("/api/v1/calls/%d", id), nil), 200, &c)
	if c.TicketID == nil || *c.TicketID != tk.ID {
		t.Fatalf("call's ticket_id %v, want %d", c.TicketID, tk.ID)
	}
	var h struct {
		Calls []struct {
			ID, Outcome, Agent string
			TalkSeconds        int `json:"talk_seconds"`
		}
	}
	e.must(e.call("agent2", "GET", "/api/v1/citizens/history?phone=138-1234-1234", nil), 200, &h)
	if len(h.Calls) != 2 || h.Calls[0].Outcome != "abandoned" || h.Calls[1].ID != strconv.FormatInt(id, 10) ||
		h.Calls[1].Agent != "agent1" || h.Calls[1].TalkSeconds != 60 {
		t.Fatalf("screen pop calls %+v", h.Calls)
	}
}

// The caller's rating reaches the ticket made during the call as the
// system's call_rated event, which the department handling the ticket
// does not see.
func TestCalls_RatingGoesToTheTicketForStaffOnly(t *testing.T) {
	e := newCallEnv(t)
	id := e.answered("13812341234", "agent1", time.Second, time.Minute)
	if err := e.calls.SetSatisfaction(context.Background(), id, 5); err != nil {
		t.Fatal(err)
	}
	tk := e.newTicket("complaint", map[string]any{"call_id": strconv.FormatInt(id, 10)})
	e.mustAct("agent1", tk.ID, "dispatch", map[string]any{"department": "rsj"})
	var rated []event
	for _, ev := range e.events(tk.ID) {
		if ev.Action == "call_rated" {
			rated = append(rated, ev)
		}
	}
	if len(rated) != 1 || rated[0].Actor.Username != "system" || rated[0].Payload["score"] != 5.0 ||
		rated[0].Payload["call_id"] != float64(id) || rated[0].From != "accepted" || rated[0].To != "accepted" {
		t.Fatalf("call_rated events %+v, want one of the system with call %d's 5", rated, id)
	}
	var dept struct{ Items []event }
	e.must(e.call("dept-rsj", "GET", fmt.Sprintf("/api/v1/tickets/%d/events", tk.ID), nil), 200, &dept)
	var actions []string
	for _, ev := range dept.Items {
		actions = append(actions, ev.Action)
	}
	if !slices.Equal(actions, []string{"create", "dispatch"}) {
		t.Fatalf("the department sees %v, want create and dispatch", actions)
	}
}

// Without telephony the endpoints say so instead of answering empty lists.
func TestCalls_UnavailableWithoutTelephony(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/api/v1/calls", "/api/v1/calls/1", "/api/v1/calls/1/recording", "/api/v1/callbacks"} {
		if r := e.call("supervisor", "GET", path, nil); r.Status != 503 || e.errorCode(r) != "unavailable" {
			t.Errorf("GET %s: %d %s, want 503 unavailable", path, r.Status, r.Body)
		}
	}
}
