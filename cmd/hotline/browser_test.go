package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres/pgtest"
)

const browserPassword = "demo-password-1"

// xssContent is what a citizen might say, or an attacker type: the console
// must show it as text and never run it.
const xssContent = `<img src=x onerror=alert(1)>市民投诉：养老金到账比通知晚了半个月，多次致电社保经办机构无人接听。<script>alert(2)</script>`

// TestBrowser_CallToDepartmentReply drives the console in headless
// Chromium as three people at once: an agent takes a call from a citizen
// with a past ticket, reads the screen pop, looks up a guide, records a
// complaint whose content is markup and dispatches it; the department
// signs and replies; the supervisor's wallboard follows the call. Then
// the agent ends the call and takes a break, and the server restarts
// under the open consoles.
func TestBrowser_CallToDepartmentReply(t *testing.T) {
	chromium := chromiumPath(t)
	started := time.Now()
	s := newScenario(t, chromium)

	s.agentGoesReady()
	s.supervisorAndDepartmentLogIn()
	s.callRingsWithScreenPop()
	s.agentAnswers()
	s.agentSearchesKnowledge()
	s.agentRecordsAndDispatches()
	s.departmentSignsAndReplies()
	s.agentEndsCallAndTakesBreak()
	s.serverRestarts()

	for _, b := range []*tab{s.agent, s.supervisor, s.department} {
		b.checkClean()
	}
	t.Logf("browser test took %s", time.Since(started).Round(time.Millisecond))
}

// scenario is the state the steps of the browser test share.
type scenario struct {
	t    *testing.T
	m    *Main
	base string

	phone, pastNumber string // a citizen who called before, and that ticket
	dept              string // the department the complaint goes to
	number            string // the complaint recorded
	guideName         string // the guide the agent opened

	agent, supervisor, department *tab
}

// startDemo runs `hotline seed --demo` on a fresh database and starts a
// Main on it, on port 0.
func startDemo(t *testing.T) *Main {
	t.Helper()
	db := pgtest.NewDB(t)
	t.Setenv("HOTLINE_DATABASE_URL", db.Pool.Config().ConnString())
	t.Setenv("HOTLINE_DATA_DIR", t.TempDir())
	t.Setenv("HOTLINE_DEMO_PASSWORD", browserPassword)
	t.Setenv("HOTLINE_LOG_LEVEL", "warn")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"seed", "--demo"}, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("seed --demo: %v\n%s", err, out.String())
	}
	cfg := configFromEnv(environ)
	cfg.RedisURL, cfg.HTTPAddr = testenv.StartRedis(t).URL(), "127.0.0.1:0"
	return startMainWith(t, cfg)
}

func startMainWith(t *testing.T, cfg Config) *Main {
	t.Helper()
	m := NewMain(cfg, slog.New(slog.DiscardHandler))
	m.Hasher = auth.FastHasher()
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("start the server on %s: %v", cfg.HTTPAddr, err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

func newScenario(t *testing.T, chromium string) *scenario {
	m := startDemo(t)
	s := &scenario{t: t, m: m, base: "http://" + m.HTTPAddr(), dept: "rsj"}
	if err := m.DB.Pool.QueryRow(context.Background(), `SELECT citizen_phone, number FROM tickets
		WHERE citizen_phone LIKE '1%' ORDER BY id LIMIT 1`).Scan(&s.phone, &s.pastNumber); err != nil {
		t.Fatalf("find a demo citizen with a ticket: %v", err)
	}
	// A loaded CI machine must not let the offer ring out mid-test.
	for _, q := range m.Routing.Queues() {
		if q.Name == "complaint" {
			q.RingSeconds = 60
			if err := m.Routing.SetQueue(q); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := artifactsDir(t)
	t.Logf("screenshots in %s", dir)
	shots := 0
	browser := newBrowser(t, chromium)
	s.agent = newTab(t, browser, "agent", dir, &shots)
	s.supervisor = newTab(t, browser, "supervisor", dir, &shots)
	s.department = newTab(t, browser, "department", dir, &shots)
	return s
}

// agentGoesReady: the agent logs in and goes ready with Alt+R.
func (s *scenario) agentGoesReady() {
	a := s.agent
	a.login(s.base, "agent1", browserPassword)
	a.do("presence bar",
		chromedp.WaitVisible(chromedp.ID("presence")),
		chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="not_ready"]`)),
		chromedp.WaitVisible(chromedp.ID("shortcuts")))
	a.do("go ready (Alt+R)", altKey("r"), chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="ready"]`)))
	if got := a.text("presence label", "#presence-state"); got != "就绪" {
		s.t.Fatalf("presence shows %q, want 就绪", got)
	}
	a.shot("ready")
}

// supervisorAndDepartmentLogIn: the supervisor watches the wallboard, the
// department its inbox.
func (s *scenario) supervisorAndDepartmentLogIn() {
	sv := s.supervisor
	sv.login(s.base, "supervisor", browserPassword)
	sv.do("wallboard",
		chromedp.WaitVisible(chromedp.ID("view-wallboard")),
		chromedp.WaitVisible(chromedp.CSS(`#wb-queue-rows tr[data-queue="complaint"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#wb-agent-rows tr[data-agent="agent1"][data-state="ready"]`)))
	sv.until("nothing waiting or answered yet", `document.querySelector("#wb-queues").dataset.waiting === "0" && document.querySelector("#wb-queues").dataset.answered === "0"`)
	sv.shot("wallboard-before")
	s.department.login(s.base, "dept-"+s.dept, browserPassword)
	s.department.do("inbox", chromedp.WaitVisible(chromedp.ID("view-inbox")), chromedp.WaitVisible(chromedp.ID("inbox-title")))
}

// callRingsWithScreenPop: the supervisor injects a test call from the
// citizen; it rings for the agent with the past ticket and counts as
// waiting on the wallboard.
func (s *scenario) callRingsWithScreenPop() {
	sv, a := s.supervisor, s.agent
	sv.do("inject a test call",
		chromedp.SetValue(chromedp.ID("tc-channel"), "voice"),
		chromedp.SetValue(chromedp.ID("tc-queue"), "complaint"),
		chromedp.SendKeys(chromedp.ID("tc-caller"), s.phone),
		chromedp.Click(chromedp.ID("tc-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#tc-contacts li[data-test="test-contact"]`)))

	a.do("offer rings",
		chromedp.WaitVisible(chromedp.ID("offer")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#screen-pop tr[data-number="%s"]`, s.pastNumber))))
	if got := a.text("caller", "#offer-caller"); got != s.phone {
		s.t.Fatalf("offer shows caller %q, want %q", got, s.phone)
	}
	// The date is the hotline's, as in the ticket number, whatever zone the
	// browser or the message is in.
	wantDay := s.pastNumber[0:4] + "-" + s.pastNumber[4:6] + "-" + s.pastNumber[6:8]
	if got := a.text("screen pop date", fmt.Sprintf(`#screen-pop tr[data-number="%s"] td:nth-child(5)`, s.pastNumber)); got != wantDay {
		s.t.Fatalf("screen pop dates ticket %s %q, want %q", s.pastNumber, got, wantDay)
	}
	if got := a.text("queue", "#offer-queue"); got != "投诉举报" {
		s.t.Fatalf("offer shows queue %q, want 投诉举报", got)
	}
	sv.do("waiting on the wallboard", chromedp.WaitVisible(chromedp.CSS(`#wb-queue-rows tr[data-queue="complaint"] td[data-stat="waiting"].hot`)))
	sv.until("one waiting", `document.querySelector('#wb-queue-rows tr[data-queue="complaint"] td[data-stat="waiting"]').textContent === "1"`)
	sv.shot("wallboard-waiting")
	a.shot("offer-screen-pop")
}

// agentAnswers with Alt+A: the ticket form is pre-filled for the call and
// the wallboard counts it answered.
func (s *scenario) agentAnswers() {
	a, sv := s.agent, s.supervisor
	a.do("accept (Alt+A)", altKey("a"),
		chromedp.WaitNotVisible(chromedp.ID("offer")),
		chromedp.WaitVisible(chromedp.CSS(`#contacts li[data-test="contact"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="busy"]`)))
	a.until("form pre-filled", fmt.Sprintf(`document.querySelector("#tf-phone").value === %q && document.querySelector("#tf-channel").value === "phone" && document.querySelector("#tf-kind").value === "complaint"`, s.phone))
	sv.until("answered on the wallboard", `document.querySelector('#wb-queue-rows tr[data-queue="complaint"] td[data-stat="answered"]').textContent === "1" && document.querySelector("#wb-queues").dataset.waiting === "0"`)
	sv.do("agent busy", chromedp.WaitVisible(chromedp.CSS(`#wb-agent-rows tr[data-agent="agent1"][data-state="busy"]`)))
	sv.shot("wallboard-answered")
}

// agentSearchesKnowledge: "/" jumps to the search, results come as the
// agent types, and a guide opens with every field.
func (s *scenario) agentSearchesKnowledge() {
	a := s.agent
	a.do("search the knowledge base",
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
		typeKey("/", "Slash"),
		chromedp.SendKeys(chromedp.ID("kb-search"), "公积金"),
		chromedp.WaitVisible(chromedp.CSS(`#kb-results li[data-test="kb-hit"] .snippet em`)))
	if focused := eval[string](a, "focus", `document.activeElement.id + "|" + document.activeElement.value`); focused != "kb-search|公积金" {
		s.t.Fatalf("after / and typing, the focus is on %q, want kb-search|公积金", focused)
	}
	a.shot("knowledge-results")
	checkSnippetsAndDeadlines(s.t, a)
	a.do("open a guide",
		chromedp.Click(chromedp.CSS(`#kb-results li[data-test="kb-hit"] button.hit`)),
		chromedp.WaitVisible(chromedp.ID("guide")),
		chromedp.WaitVisible(chromedp.CSS(`#guide-fields dd`)))
	s.guideName = a.text("guide name", "#guide-name")
	if !strings.Contains(s.guideName, "公积金") {
		s.t.Fatalf("opened guide %q, want one about 公积金", s.guideName)
	}
	a.shot("guide")
}

// agentRecordsAndDispatches the urgent complaint whose content is markup;
// the guide goes into the close form's reply; the agent's ticket view
// shows the content as text.
func (s *scenario) agentRecordsAndDispatches() {
	a := s.agent
	a.do("fill in the complaint",
		chromedp.SetValue(chromedp.ID("tf-urgency"), "urgent"), // to be signed within 15 minutes
		chromedp.SetValue(chromedp.ID("tf-category"), "shbz-ylbx"),
		chromedp.SendKeys(chromedp.ID("tf-title"), "养老金发放延迟"),
		chromedp.SetValue(chromedp.ID("tf-content"), xssContent),
		chromedp.SendKeys(chromedp.ID("tf-name"), "测试市民"),
		chromedp.Click(chromedp.ID("tf-submit")),
		chromedp.WaitVisible(chromedp.ID("created")),
		chromedp.WaitVisible(chromedp.ID("dispatch-form")))
	if s.number = a.text("ticket number", "#created-number"); s.number == "" {
		s.t.Fatal("no ticket number after recording")
	}
	a.do("insert the guide", chromedp.Click(chromedp.ID("guide-insert")))
	a.until("guide inserted", fmt.Sprintf(`document.querySelector("#close-reply").value.includes(%q) && document.querySelector("#close-guide-code").value !== ""`, "【"+s.guideName+"】"))
	a.shot("ticket-recorded")
	a.do("dispatch",
		chromedp.SetValue(chromedp.ID("dispatch-department"), s.dept),
		chromedp.Click(chromedp.ID("dispatch-submit")))
	a.until("dispatched", `document.querySelector("#created-status").textContent === "已派单"`)
	a.shot("dispatched")

	row := fmt.Sprintf(`#rows tr[data-number="%s"] button`, s.number)
	a.do("open the ticket",
		chromedp.Click(chromedp.ID("nav-tickets")),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-status="dispatched"] #timeline li[data-action="dispatch"]`)))
	checkShownAsText(s.t, a)
	a.shot("ticket-detail")
}

// departmentSignsAndReplies: the inbox picks the ticket up live, warns of
// its near deadline; the department signs and replies, and the agent's
// open ticket follows.
func (s *scenario) departmentSignsAndReplies() {
	d := s.department
	row := fmt.Sprintf(`#inbox-rows tr[data-number="%s"]`, s.number)
	d.do("ticket arrives in the inbox", chromedp.WaitVisible(chromedp.CSS(row)))
	d.do("deadline warning", chromedp.WaitVisible(chromedp.CSS(row+`[data-warn="soon"] td.warn-soon`)))
	d.shot("inbox")
	d.do("sign",
		chromedp.Click(chromedp.CSS(row+` button[data-action="sign"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-status="in_progress"]`)))
	checkShownAsText(s.t, d)
	if citizen := eval[string](d, "masked phone", `document.querySelector('#detail dd[data-field="市民"]').textContent`); strings.Contains(citizen, s.phone) {
		s.t.Fatalf("the department sees the full phone number: %q", citizen)
	}
	d.do("reply",
		chromedp.Click(chromedp.CSS(`#detail-actions button[data-action="reply"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#action-form textarea[name="reply"]`)),
		chromedp.SendKeys(chromedp.CSS(`#action-form textarea[name="reply"]`), "经核查，养老金已于本月补发到账，已电话告知市民。"),
		chromedp.Click(chromedp.CSS(`#action-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-status="replied"] #timeline li[data-action="reply"]`)))
	d.until("inbox emptied", fmt.Sprintf(`!document.querySelector('%s')`, row))
	d.shot("replied")

	s.agent.do("reply reaches the agent", chromedp.WaitVisible(chromedp.CSS(`#detail[data-status="replied"] dd[data-field="答复"]`)))
	s.agent.shot("agent-sees-reply")
}

// agentEndsCallAndTakesBreak: wrap-up follows the call; then a meal break
// through the not-ready menu (Alt+N, then 2), and logout.
func (s *scenario) agentEndsCallAndTakesBreak() {
	a := s.agent
	a.do("end the call",
		chromedp.Click(chromedp.ID("nav-desk")),
		chromedp.Click(chromedp.CSS(`#contacts li[data-test="contact"] button[data-test="contact-end"]`)),
		chromedp.WaitNotVisible(chromedp.ID("contacts-card")),
		chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="wrap_up"]`)))
	a.do("not ready: meal (Alt+N, 2)",
		altKey("n"),
		chromedp.WaitVisible(chromedp.ID("not-ready-menu")),
		typeKey("2", "Digit2"),
		chromedp.WaitNotVisible(chromedp.ID("not-ready-menu")),
		chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="not_ready"]`)))
	if got := a.text("reason", "#presence-reason"); got != "（用餐）" {
		s.t.Fatalf("presence reason shows %q, want （用餐）", got)
	}
	s.supervisor.do("agent on a break", chromedp.WaitVisible(chromedp.CSS(`#wb-agent-rows tr[data-agent="agent1"][data-state="not_ready"]`)))
	a.shot("meal-break")
	a.do("log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-username")))
}

// serverRestarts under the open consoles: they show that they are
// reconnecting, and connect again by themselves.
func (s *scenario) serverRestarts() {
	cfg := s.m.Config
	cfg.HTTPAddr = s.m.HTTPAddr()
	if err := s.m.Close(); err != nil {
		s.t.Fatalf("stop the server: %v", err)
	}
	sv := s.supervisor
	sv.do("reconnecting", chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="reconnecting"]`)))
	if got := sv.text("indicator", "#conn"); !strings.HasPrefix(got, "重连中") {
		s.t.Fatalf("connection indicator shows %q, want 重连中…", got)
	}
	sv.shot("reconnecting")
	startMainWith(s.t, cfg)
	sv.do("connected again", chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="open"]`)))
	s.department.do("connected again", chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="open"]`)))
}

// checkShownAsText asserts the ticket content on screen is the literal
// text, with no element made from it.
func checkShownAsText(t *testing.T, b *tab) {
	t.Helper()
	got := eval[string](b, "content", `document.querySelector('#detail dd[data-field="内容"]').textContent`)
	if got != xssContent {
		t.Fatalf("%s: content shows %q, want the literal %q", b.name, got, xssContent)
	}
	if n := eval[int](b, "no injected elements", `document.querySelectorAll("#detail img, #detail script, #main img").length`); n != 0 {
		t.Fatalf("%s: the ticket content became %d element(s)", b.name, n)
	}
}

// checkSnippetsAndDeadlines runs the console's own helpers in the page: a
// snippet keeps only <em> (the server escapes, the console sanitises
// anyway), and deadlines warn yellow within 24 hours and red once passed.
func checkSnippetsAndDeadlines(t *testing.T, b *tab) {
	t.Helper()
	got := eval[string](b, "console helpers", `(async () => {
		const d = await import("/dom.js");
		const box = document.createElement("div");
		box.append(d.snippet('住房<em>公积金</em>&lt;b&gt;<img src=x onerror=alert(3)><em><b>提取</b></em><script>alert(4)</script>'));
		const at = (h) => new Date(Date.now() + h * 3600e3).toISOString();
		return [box.innerHTML, d.deadlineClass(at(-1)), d.deadlineClass(at(1)), d.deadlineClass(at(48))].join("|");
	})()`, chromedp.EvalAwaitPromise)
	if want := "住房<em>公积金</em>&lt;b&gt;<em>提取</em>alert(4)|over|soon|"; got != want {
		t.Fatalf("console helpers give %q, want %q", got, want)
	}
}
