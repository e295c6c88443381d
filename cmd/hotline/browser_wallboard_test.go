package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/ticketing"
)

// TestBrowser_WallboardWithoutTraffic: a supervisor's wallboard before the
// day's first call shows "—" for every figure that measures something,
// lists the agents who are not logged in greyed as 离线, and fits
// 1280×720 and a 1920×1080 wall display; it follows a test call live.
func TestBrowser_WallboardWithoutTraffic(t *testing.T) {
	chromium := chromiumPath(t)
	m := startDemo(t)
	base := "http://" + m.HTTPAddr()
	dir := artifactsDir(t)
	shots := 0
	browser := newBrowser(t, chromium)
	sv := newTab(t, browser, "supervisor", dir, &shots)
	agent := newTab(t, browser, "agent", dir, &shots)

	sv.do("a 1280×720 screen", chromedp.EmulateViewport(1280, 720))
	sv.login(base, "supervisor", browserPassword)
	agent.login(base, "agent1", browserPassword)
	sv.do("wallboard",
		chromedp.WaitVisible(chromedp.ID("view-wallboard")),
		chromedp.WaitVisible(chromedp.CSS(`#wb-queue-rows tr[data-queue="complaint"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#wb-agent-rows tr[data-agent="agent1"][data-state="not_ready"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#wb-agent-rows tr[data-agent="agent2"][data-state="offline"]`)))

	// Nothing measured: no 100%, no 0:00, but "—".
	for _, fig := range []string{"longest", "service"} {
		if got := sv.text("figure "+fig, fmt.Sprintf(`#wb-figures [data-figure=%q] .wb-value`, fig)); got != "—" {
			t.Errorf("with no traffic the %s figure shows %q, want —", fig, got)
		}
	}
	if got := sv.text("waiting figure", `#wb-figures [data-figure="waiting"] .wb-value`); got != "0" {
		t.Errorf("waiting figure %q, want 0", got)
	}
	if got := sv.text("answered figure", `#wb-figures [data-figure="answered"] .wb-sub`); !strings.HasPrefix(got, "接通率 —") {
		t.Errorf("answered figure says %q, want 接通率 —", got)
	}
	cells := eval[[]string](sv, "queue cells", `[...document.querySelectorAll(
		'#wb-queue-rows td[data-stat="sl15"], #wb-queue-rows td[data-stat="sl20"], #wb-queue-rows td[data-stat="answer_rate"], #wb-queue-rows td[data-stat="longest_wait"]')].map((td) => td.textContent)`)
	if len(cells) != 5*4 {
		t.Fatalf("%d rate and wait cells, want 4 for each of 5 queues", len(cells))
	}
	for _, c := range cells {
		if c != "—" {
			t.Fatalf("queue table with no traffic shows %v, want — everywhere", cells)
		}
	}

	// Every expected agent is listed; those not logged in are greyed 离线,
	// after the ones on the floor.
	offline := `#wb-agent-rows tr[data-agent="agent2"]`
	if got := sv.text("agent2 state", offline+" .wb-state"); got != "离线" {
		t.Errorf("agent2 shows %q, want 离线", got)
	}
	if got := sv.text("agent1 state", `#wb-agent-rows tr[data-agent="agent1"] .wb-state`); got != "小休" {
		t.Errorf("agent1 (logged in, not ready) shows %q, want 小休", got)
	}
	order := eval[[]string](sv, "agent order", `[...document.querySelectorAll("#wb-agent-rows tr")].map((tr) => tr.dataset.agent + ":" + tr.dataset.state)`)
	if want := []string{"agent1:not_ready", "agent2:offline", "agent3:offline", "agent4:offline", "agent5:offline"}; strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("wallboard agents %v, want %v", order, want)
	}
	if grey := eval[bool](sv, "offline greyed", `(() => {
		const on = getComputedStyle(document.querySelector('#wb-agent-rows tr[data-agent="agent1"] th')).color;
		const off = getComputedStyle(document.querySelector('`+offline+` th')).color;
		const [r, g, b] = off.match(/\d+/g).map(Number);
		return on !== off && r === g && g === b && r > 100;
	})()`); !grey {
		t.Errorf("an offline agent is not greyed")
	}
	checkWallboardFits(t, sv, 1280, 32)
	sv.shot("wallboard-no-traffic-1280x720")

	// Live: a test call waits, the citizen hangs up; now there is
	// something to measure, and it is 0%, not 100%.
	sv.do("inject a test call",
		chromedp.SetValue(chromedp.ID("tc-queue"), "general"),
		chromedp.SendKeys(chromedp.ID("tc-caller"), "13800001234"),
		chromedp.Click(chromedp.ID("tc-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#tc-contacts li[data-test="test-contact"]`)))
	sv.until("one waiting, in red", `document.querySelector('#wb-figures [data-figure="waiting"] .wb-value').textContent === "1" &&
		document.querySelector('#wb-figures [data-figure="waiting"]').dataset.tone === "hot" &&
		document.querySelector('#wb-figures [data-figure="longest"] .wb-value').textContent !== "—"`)
	sv.shot("wallboard-waiting")
	sv.do("the citizen hangs up", chromedp.Click(chromedp.CSS(`#tc-contacts li[data-test="test-contact"] button`)))
	sv.until("measured at last", `document.querySelector('#wb-figures [data-figure="service"] .wb-value').textContent === "0%" &&
		document.querySelector('#wb-queue-rows tr[data-queue="general"] td[data-stat="answer_rate"]').textContent === "0%" &&
		document.querySelector('#wb-queue-rows tr[data-queue="complaint"] td[data-stat="sl15"]').textContent === "—" &&
		document.querySelector('#wb-figures [data-figure="longest"] .wb-value').textContent === "—"`)

	// The wall display: the board alone, the six figures in one row.
	sv.do("a 1920×1080 wall display", chromedp.EmulateViewport(1920, 1080), chromedp.Click(chromedp.ID("wb-wall")))
	sv.until("wall mode", `document.body.classList.contains("wb-wall") && document.querySelector("#knowledge").offsetParent === null`)
	checkWallboardFits(t, sv, 1920, 56)
	if rows := eval[int](sv, "figure rows", `new Set([...document.querySelectorAll("#wb-figures .wb-figure")].map((f) => f.offsetTop)).size`); rows != 1 {
		t.Errorf("the wall display shows the figures in %d rows, want 1", rows)
	}
	sv.shot("wallboard-wall-1920x1080")

	// A ready agent without a registered phone gets no calls: the board
	// says so until the phone registers, and again once it unregisters.
	phone := `#wb-agent-rows tr[data-agent="agent1"] [data-phone="unregistered"]`
	if _, err := m.Routing.SetPresence("agent1", routing.Ready, routing.ReasonNone); err != nil {
		t.Fatal(err)
	}
	sv.do("ready without a phone", chromedp.WaitVisible(chromedp.CSS(`#wb-agent-rows tr[data-agent="agent1"][data-state="ready"] [data-phone="unregistered"]`)))
	if res := registerPhone(t, m.SIPAddr(), "agent1", browserPassword); res.StatusCode != 200 {
		t.Fatalf("agent1's phone registers: %d", res.StatusCode)
	}
	sv.until("the phone registered", `!document.querySelector('`+phone+`')`)
	if res := unregisterPhone(t, m.SIPAddr(), "agent1", browserPassword); res.StatusCode != 200 {
		t.Fatalf("agent1's phone unregisters: %d", res.StatusCode)
	}
	sv.until("the phone gone", `!!document.querySelector('`+phone+`')`)
	sv.shot("wallboard-phone-unregistered")
	sv.checkClean()
	agent.checkClean()
}

// checkWallboardFits fails the test if the wallboard scrolls sideways at
// this width, if a big figure is cut off, or if its type is smaller than
// minPx.
func checkWallboardFits(t *testing.T, b *tab, width, minPx int) {
	t.Helper()
	if w := eval[int](b, "page width", `document.documentElement.scrollWidth`); w > width {
		t.Errorf("at %d px the page is %d px wide", width, w)
	}
	bad := eval[[]string](b, "figures", fmt.Sprintf(`[...document.querySelectorAll("#wb-figures .wb-value")].filter((v) =>
		v.scrollWidth > v.clientWidth || parseFloat(getComputedStyle(v).fontSize) < %d).map((v) =>
		v.closest(".wb-figure").dataset.figure + " " + getComputedStyle(v).fontSize)`, minPx))
	if len(bad) > 0 {
		t.Errorf("at %d px these figures are cut off or smaller than %d px: %v", width, minPx, bad)
	}
}

// TestBrowser_CallbackRecordsBasicallySatisfied: an agent calls a citizen
// back after the department's reply and records one answer, 基本满意; the
// ticket stores its score and satisfied, and the history shows it.
func TestBrowser_CallbackRecordsBasicallySatisfied(t *testing.T) {
	const note = "市民表示夜间已停工，偶有噪音"
	chromium := chromiumPath(t)
	m := startDemo(t)
	base := "http://" + m.HTTPAddr()
	number, id := repliedComplaint(t, m)
	dir := artifactsDir(t)
	shots := 0
	a := newTab(t, newBrowser(t, chromium), "agent", dir, &shots)
	a.do("a 1280×720 screen", chromedp.EmulateViewport(1280, 720))
	a.login(base, "agent1", browserPassword)
	row := fmt.Sprintf(`#rows tr[data-number="%s"]`, number)
	a.do("open the replied ticket",
		chromedp.Click(chromedp.ID("nav-tickets")),
		chromedp.SendKeys(chromedp.ID("filter-q"), number),
		chromedp.Click(chromedp.ID("filter-submit")),
		chromedp.WaitVisible(chromedp.CSS(row+" button")),
		chromedp.Click(chromedp.CSS(row+" button")),
		chromedp.WaitVisible(chromedp.CSS(`#detail-actions button[data-action="callback"]`)),
		chromedp.Click(chromedp.CSS(`#detail-actions button[data-action="callback"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#action-form[data-action="callback"] fieldset.cb-choice`)))

	choices := eval[[]string](a, "choices", `[...document.querySelectorAll('#action-form input[name="result"]')].map((r) => r.value + ":" + r.checked)`)
	if strings.Join(choices, " ") != "satisfied:false basically_satisfied:false unsatisfied:false" {
		t.Fatalf("the callback form offers %v, want 满意, 基本满意 and 不满意 with none chosen", choices)
	}
	if n := eval[int](a, "no checkbox", `document.querySelectorAll('#action-form input[type="checkbox"], #action-form select').length`); n != 0 {
		t.Fatalf("the callback form still has %d checkboxes or selects beside the answer", n)
	}
	// Without an answer the form cannot be sent.
	if valid := eval[bool](a, "an answer is required", `document.querySelector("#action-form").checkValidity()`); valid {
		t.Fatalf("the callback form can be sent without an answer")
	}
	a.shot("callback-form")

	a.do("record 基本满意",
		chromedp.Click(chromedp.CSS(`#action-form input[data-choice="basically_satisfied"]`)),
		chromedp.SendKeys(chromedp.ID("af-note"), note),
		chromedp.Click(chromedp.CSS(`#action-form button[data-submit="callback"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#timeline li[data-action="callback"]`)))
	a.shot("callback-recorded")

	var score *int
	var satisfied *bool
	if err := m.DB.Pool.QueryRow(context.Background(), `SELECT satisfaction, satisfied FROM tickets WHERE id = $1`, id).
		Scan(&score, &satisfied); err != nil {
		t.Fatalf("read the ticket: %v", err)
	}
	if score == nil || *score != 3 || satisfied == nil || !*satisfied {
		t.Fatalf("after 基本满意 the ticket has satisfaction %v, satisfied %v; want 3, true", score, satisfied)
	}
	// The console words the recorded event as the answer and its score.
	detail := eval[string](a, "callback detail", fmt.Sprintf(`Promise.all([import("/actions.js"),
		fetch("/api/v1/tickets/%d/events").then((r) => r.json())]).then(([m, h]) =>
		m.callbackText(h.items.filter((e) => e.action === "callback").pop().payload))`, id), chromedp.EvalAwaitPromise)
	if detail != "基本满意（3 分）："+note {
		t.Fatalf("the callback event reads %q, want 基本满意（3 分）：%s", detail, note)
	}
	a.until("the history shows the answer", `document.querySelector('#timeline li[data-action="callback"]').textContent.includes("基本满意")`)
	a.checkClean()
}

// repliedComplaint records a complaint as agent1, dispatches it to rsj and
// has that department sign and reply: the ticket waits for its callback.
func repliedComplaint(t *testing.T, m *Main) (number string, id int64) {
	t.Helper()
	ctx := context.Background()
	users, err := m.Auth.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]auth.Actor{}
	for _, u := range users {
		actors[u.Username] = u.Actor()
	}
	tk, err := m.Tickets.Create(ctx, actors["agent1"], ticketing.NewTicket{Kind: ticketing.KindComplaint,
		Channel: ticketing.ChannelPhone, Title: "夜间施工噪音", Content: "小区旁工地每晚十一点后仍在施工",
		Citizen: ticketing.Citizen{Name: "回访测试", Phone: "13900007777"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		who string
		a   ticketing.Action
		req ticketing.Request
	}{
		{"agent1", ticketing.ActionDispatch, ticketing.Request{Department: "rsj"}},
		{"dept-rsj", ticketing.ActionSign, ticketing.Request{}},
		{"dept-rsj", ticketing.ActionReply, ticketing.Request{Reply: "已责令施工单位22时后停止施工"}},
	} {
		if _, err := m.Tickets.Act(ctx, actors[step.who], tk.ID, step.a, step.req); err != nil {
			t.Fatalf("%s %s: %v", step.who, step.a, err)
		}
	}
	return tk.Number, tk.ID
}
