package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
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
	s.agentClosesConsultationWithGuide()
	s.agentEndsCallAndTakesBreak()
	s.supervisorSeesTheCalls()
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

	desk    *deskPhone   // agent1's phone
	citizen *citizenCall // the citizen's call to 12345
}

// startDemo runs `hotline seed --demo` on a fresh database and starts a
// Main on it, on port 0.
func startDemo(t *testing.T) *Main {
	t.Helper()
	return startMainWith(t, demoConfig(t))
}

// demoConfig runs `hotline seed --demo` on a fresh database and returns
// the configuration of a server on it, on port 0.
func demoConfig(t *testing.T) Config {
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
	cfg.RedisURL, cfg.HTTPAddr, cfg.SIPAddr = testenv.StartRedis(t).URL(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.SIPOpen = true // as make run
	return cfg
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
	// Calls ring only agents with a phone: agent1 has a desk phone
	// (seed --demo gave it the demo password as its SIP password).
	s.desk = startDeskPhone(t, m, "agent1", browserPassword)
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

// callRingsWithScreenPop: the citizen calls 12345 and keys 2 (complaint);
// the call rings agent1's desk phone and the console at once, with the
// past ticket in the screen pop, answered on the phone, and counts as
// waiting on the wallboard.
func (s *scenario) callRingsWithScreenPop() {
	sv, a := s.supervisor, s.agent
	s.citizen = dialHotline(s.t, s.m, s.phone)
	testenv.Eventually(s.t, "the menu takes 2", func() bool { return s.citizen.press("2") })
	select {
	case from := <-s.desk.rang:
		if from != s.phone {
			s.t.Fatalf("the desk phone shows %q calling, want %q", from, s.phone)
		}
	case <-time.After(testenv.EventuallyWithin):
		s.t.Fatal("agent1's desk phone never rang")
	}
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
	a.do("answered on the phone", chromedp.WaitVisible(chromedp.ID("offer-phone")), chromedp.WaitNotVisible(chromedp.ID("offer-accept")))
	sv.do("waiting on the wallboard", chromedp.WaitVisible(chromedp.CSS(`#wb-queue-rows tr[data-queue="complaint"] td[data-stat="waiting"].hot`)))
	sv.until("one waiting", `document.querySelector('#wb-queue-rows tr[data-queue="complaint"] td[data-stat="waiting"]').textContent === "1"`)
	sv.shot("wallboard-waiting")
	a.shot("offer-screen-pop")
}

// agentAnswers on the desk phone: the console follows, the ticket form
// is pre-filled for the call and linked to it, and the wallboard counts it
// answered.
func (s *scenario) agentAnswers() {
	a, sv := s.agent, s.supervisor
	close(s.desk.pickUp)
	a.do("answered", chromedp.WaitNotVisible(chromedp.ID("offer")),
		chromedp.WaitVisible(chromedp.CSS(`#contacts li[data-test="contact"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="busy"]`)))
	a.until("linked to the call", `document.querySelector("#tf-call-id").value !== "" && document.querySelector("#tf-link").textContent.startsWith("关联通话")`)
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
// the guide goes into the close form's reply; dispatch waits for the
// agent's choice between the city's bureau and the district's, and the
// card then says where the ticket went; the agent's ticket view shows the
// content as text, the list the time and the citizen, the history the
// agent's display name.
func (s *scenario) agentRecordsAndDispatches() {
	a := s.agent
	a.do("fill in the complaint",
		chromedp.SetValue(chromedp.ID("tf-urgency"), "urgent"), // to be signed within 15 minutes
		chromedp.SetValue(chromedp.ID("tf-category"), "shbz-ylbx"),
		chromedp.SendKeys(chromedp.ID("tf-region"), "天河区"), // 市人社局 and 天河区人社局 could both take it
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

	a.until("two suggestions, none chosen", `document.querySelectorAll('#dispatch-department optgroup[label="建议"] option').length === 2 && document.querySelector("#dispatch-department").value === ""`)
	a.do("dispatch without a choice", chromedp.Click(chromedp.ID("dispatch-submit")))
	a.until("a choice is asked for", `document.querySelector("#created-error").textContent === "请选择承办单位" && document.activeElement.id === "dispatch-department"`)
	if got := a.text("status", "#created-status"); got != "已受理" {
		s.t.Fatalf("dispatching without a choice left the ticket %q, want 已受理", got)
	}
	a.do("dispatch",
		chromedp.SetValue(chromedp.ID("dispatch-department"), s.dept),
		chromedp.Click(chromedp.ID("dispatch-submit")))
	a.until("dispatched", `document.querySelector("#created-status").textContent === "已派单"`)
	if where := a.text("where it went", "#created-where"); !strings.HasPrefix(where, "承办单位：市人力资源和社会保障局，签收时限") {
		s.t.Fatalf("the card says %q after dispatch, want where it went and its deadlines", where)
	}
	a.shot("dispatched")

	row := fmt.Sprintf(`#rows tr[data-number="%s"]`, s.number)
	a.do("open the ticket",
		chromedp.Click(chromedp.ID("nav-tickets")),
		chromedp.WaitVisible(chromedp.CSS(row+" button")),
		chromedp.Click(chromedp.CSS(row+" button")),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-status="dispatched"] #timeline li[data-action="dispatch"]`)))
	checkShownAsText(s.t, a)
	if got := a.text("list: accepted at", row+" td:nth-child(2)"); !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d$`).MatchString(got) {
		s.t.Fatalf("the list shows 受理时间 %q, want YYYY-MM-DD HH:MM", got)
	}
	if got := a.text("list: citizen", row+` td[data-field="citizen"]`); got != "测试市民 "+s.phone {
		s.t.Fatalf("the list shows the citizen as %q, want %q", got, "测试市民 "+s.phone)
	}
	if got := a.text("history: who", `#timeline li[data-action="create"]`); !strings.Contains(got, "话务员一号") || strings.Contains(got, "agent1") {
		s.t.Fatalf("the history names the agent %q, want the display name 话务员一号", got)
	}
	checkBarsInPlace(s.t, a, true)
	a.shot("ticket-detail")
}

// departmentSignsAndReplies: the inbox picks the ticket up live, warns of
// its near deadline; the department signs and replies, and the agent's
// open ticket follows.
func (s *scenario) departmentSignsAndReplies() {
	d := s.department
	row := fmt.Sprintf(`#inbox-rows tr[data-number="%s"]`, s.number)
	d.do("ticket arrives in the inbox", chromedp.WaitVisible(chromedp.CSS(row)))
	checkBarsInPlace(s.t, d, false)
	d.do("deadline warning", chromedp.WaitVisible(chromedp.CSS(row+`[data-warn="soon"] td.warn-soon`)))
	if got := eval[string](d, "inbox actions", fmt.Sprintf(`[...document.querySelectorAll('%s button[data-action]')].map(b => b.dataset.action + ":" + b.textContent).join(",")`, row)); got != "sign:签收" {
		s.t.Fatalf("the inbox offers %q for a dispatched ticket, want only sign:签收", got)
	}
	d.shot("inbox")
	d.do("sign",
		chromedp.Click(chromedp.CSS(row+` button[data-action="sign"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-status="in_progress"]`)))
	checkShownAsText(s.t, d)
	if citizen := eval[string](d, "masked phone", `document.querySelector('#detail dd[data-field="市民"]').textContent`); strings.Contains(citizen, s.phone) {
		s.t.Fatalf("the department sees the full phone number: %q", citizen)
	}
	if got := eval[string](d, "first action", `document.querySelector("#detail-actions button").dataset.action`); got != "reply" {
		s.t.Fatalf("a signed ticket offers %q first, want reply", got)
	}
	d.do("the inbox offers the reply next", chromedp.WaitVisible(chromedp.CSS(row+` button[data-action="reply"]`)))
	proof := filepath.Join(s.t.TempDir(), "到账凭证.png")
	if err := os.WriteFile(proof, tinyPNG, 0o600); err != nil {
		s.t.Fatal(err)
	}
	d.do("reply with an attachment",
		chromedp.Click(chromedp.CSS(row+` button[data-action="reply"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#action-form textarea[name="reply"]`)),
		chromedp.SendKeys(chromedp.CSS(`#action-form textarea[name="reply"]`), "经核查，养老金已于本月补发到账，已电话告知市民。"),
		chromedp.SetUploadFiles(`#action-form input[type="file"]`, []string{proof}),
		chromedp.Click(chromedp.CSS(`#action-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail[data-status="replied"] #timeline li[data-action="reply"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail-files li[data-test="attachment"] a`)))
	if got := d.text("attachment", `#detail-files li[data-test="attachment"] a`); got != "到账凭证.png" {
		s.t.Fatalf("the reply's attachment shows as %q", got)
	}
	if got := d.text("reply event", `#timeline li[data-action="reply"] .event-detail`); !strings.HasSuffix(got, "（附件 1 个）") {
		s.t.Fatalf("the reply event reads %q, want it to count its attachment", got)
	}
	d.until("inbox emptied", fmt.Sprintf(`!document.querySelector('%s')`, row))
	d.shot("replied")
	listed := fmt.Sprintf(`#rows tr[data-number="%s"] td[data-field="citizen"]`, s.number)
	d.do("the department's ticket list", chromedp.Click(chromedp.ID("nav-tickets")), chromedp.WaitVisible(chromedp.CSS(listed)))
	d.until("the inbox's detail stays with the inbox", `document.querySelector("#detail").hidden`)
	if got, want := d.text("list: citizen", listed), "测试市民 "+s.phone[:3]+"****"+s.phone[7:]; got != want {
		s.t.Fatalf("the department's list shows the citizen as %q, want %q", got, want)
	}
	d.do("back to the inbox", chromedp.Click(chromedp.ID("nav-inbox")), chromedp.WaitVisible(chromedp.CSS(`#detail[data-status="replied"]`)))

	s.agent.do("reply reaches the agent", chromedp.WaitVisible(chromedp.CSS(`#detail[data-status="replied"] dd[data-field="答复"]`)))
	s.agent.shot("agent-sees-reply")
}

// agentClosesConsultationWithGuide: back on the desk (where the ticket
// opened in the list does not follow), the agent records a consultation
// answered on the spot: the open guide goes into the new form's reply,
// and one click records and closes it citing the guide.
func (s *scenario) agentClosesConsultationWithGuide() {
	a := s.agent
	a.do("back to the desk", chromedp.Click(chromedp.ID("nav-desk")), chromedp.WaitVisible(chromedp.ID("created-new")))
	a.until("the ticket detail stays with the list", `document.querySelector("#detail").hidden`)
	a.do("a new consultation",
		chromedp.Click(chromedp.ID("created-new")),
		chromedp.WaitVisible(chromedp.ID("tf-reply")),
		chromedp.SetValue(chromedp.ID("tf-kind"), "consultation"),
		chromedp.SendKeys(chromedp.ID("tf-title"), "咨询公积金办理"),
		chromedp.SendKeys(chromedp.ID("tf-content"), "市民咨询住房公积金怎么办理，需要什么材料。"),
		chromedp.Click(chromedp.ID("guide-insert")))
	a.until("guide in the form's reply", fmt.Sprintf(`document.querySelector("#tf-reply").value.startsWith(%q) && document.querySelector("#tf-guide-code").value !== "" && document.querySelector("#tf-guide-label").textContent.includes(%q)`, "【"+s.guideName+"】", s.guideName))
	code := eval[string](a, "guide code", `document.querySelector("#tf-guide-code").value`)
	a.shot("consultation-with-guide")
	a.do("record and close", chromedp.Click(chromedp.ID("tf-submit-close")))
	a.until("closed directly", `document.querySelector("#created-status").textContent === "已办结"`)
	if where := a.text("how it ended", "#created-where"); where != "已当场答复并办结（引用指南 "+code+"）" {
		s.t.Fatalf("the card says %q", where)
	}
	number := a.text("number", "#created-number")
	var status, guide, reply string
	if err := s.m.DB.Pool.QueryRow(context.Background(), `SELECT status, coalesce(guide_code, ''), reply FROM tickets WHERE number = $1`, number).
		Scan(&status, &guide, &reply); err != nil {
		s.t.Fatalf("read the consultation %s: %v", number, err)
	}
	if status != "closed" || guide != code || !strings.HasPrefix(reply, "【"+s.guideName+"】") {
		s.t.Fatalf("consultation %s stored as status %q, guide %q, reply %q", number, status, guide, reply)
	}
	a.shot("consultation-closed")
}

// agentEndsCallAndTakesBreak: ending the call in the console hangs up
// the desk phone; the citizen rates the call 4 and the call record has
// it all, with the complaint; wrap-up follows the call; then a meal
// break through the not-ready menu (Alt+N, then 2), and logout.
func (s *scenario) agentEndsCallAndTakesBreak() {
	a := s.agent
	hold := `#contacts li[data-test="contact"] button[data-test="call-hold"]`
	a.do("hold the call, then resume it",
		chromedp.Click(chromedp.ID("nav-desk")),
		chromedp.Click(chromedp.CSS(hold)),
		chromedp.WaitVisible(chromedp.CSS(hold+`[data-held="true"]`)),
		chromedp.Click(chromedp.CSS(hold)),
		chromedp.WaitVisible(chromedp.CSS(hold+`[data-held="false"]`)))
	a.do("end the call",
		chromedp.Click(chromedp.CSS(`#contacts li[data-test="contact"] button[data-test="contact-end"]`)),
		chromedp.WaitNotVisible(chromedp.ID("contacts-card")),
		chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="wrap_up"]`)))
	select {
	case <-s.desk.hungUp:
	case <-time.After(testenv.EventuallyWithin):
		s.t.Fatal("ending the call in the console left the desk phone talking")
	}
	s.citizen.rate("4")
	s.checkCallRecord()
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

// supervisorSeesTheCalls: a second citizen hangs up while waiting; the
// supervisor's calls view lists that number to call back, and the first
// call with its rating and a recording the browser can seek in.
func (s *scenario) supervisorSeesTheCalls() {
	sv := s.supervisor
	const missed = "13911112222"
	c := dialHotline(s.t, s.m, missed)
	testenv.Eventually(s.t, "the menu takes 1", func() bool { return c.press("1") })
	sv.do("waiting on the wallboard", chromedp.WaitVisible(chromedp.CSS(`#wb-queue-rows tr[data-queue="consultation"] td[data-stat="waiting"].hot`)))
	c.close()
	testenv.Eventually(s.t, "the missed call recorded", func() bool {
		var n int
		err := s.m.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM callbacks WHERE phone = $1`, missed).Scan(&n)
		return err == nil && n == 1
	})
	sv.do("the calls view",
		chromedp.Click(chromedp.ID("nav-calls")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#callback-rows tr[data-phone="%s"][data-reason="abandoned"]`, missed))),
		chromedp.WaitVisible(chromedp.CSS(`#call-rows tr[data-outcome="answered"] audio`)))
	if got := sv.text("rating", `#call-rows tr[data-outcome="answered"] td[data-field="satisfaction"]`); got != "4 分" {
		s.t.Fatalf("the calls view shows the rating %q, want 4 分", got)
	}
	status := eval[int](sv, "seek in the recording", `(async () => {
		const src = document.querySelector('#call-rows tr[data-outcome="answered"] audio').src;
		const r = await fetch(src, { headers: { Range: "bytes=44-143" } });
		return r.status === 206 && (await r.arrayBuffer()).byteLength === 100 ? 206 : r.status;
	})()`, chromedp.EvalAwaitPromise)
	if status != 206 {
		s.t.Fatalf("a range of the recording from the console: %d, want 206", status)
	}
	sv.shot("calls")
	sv.do("back to the wallboard", chromedp.Click(chromedp.ID("nav-wallboard")), chromedp.WaitVisible(chromedp.ID("view-wallboard")))
}

// checkCallRecord: the call's record says what happened, and links the
// complaint recorded during it.
func (s *scenario) checkCallRecord() {
	var queue, ivr, agent, outcome, by, number string
	var satisfaction int
	testenv.Eventually(s.t, "the call record", func() bool {
		err := s.m.DB.Pool.QueryRow(context.Background(), `SELECT c.queue, c.ivr_path, c.agent, c.outcome, c.hangup_by,
			coalesce(c.satisfaction, 0), coalesce(t.number, '') FROM calls c LEFT JOIN tickets t ON t.id = c.ticket_id
			WHERE c.caller = $1 AND c.ended_at IS NOT NULL`, s.phone).Scan(&queue, &ivr, &agent, &outcome, &by, &satisfaction, &number)
		return err == nil
	})
	if queue != "complaint" || ivr != "2" || agent != "agent1" || outcome != "answered" || by != "agent" || satisfaction != 4 || number != s.number {
		s.t.Fatalf("call record: queue %q, ivr %q, agent %q, outcome %q, hung up by %q, satisfaction %d, ticket %q; want complaint, 2, agent1, answered, agent, 4, %s",
			queue, ivr, agent, outcome, by, satisfaction, number, s.number)
	}
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

// checkBarsInPlace scrolls the page to its end and checks that the header
// and the shortcut bar are still where they were, and that a message shows
// in the header's flow (covering nothing) and can be dismissed.
// long says whether the page is longer than the window (so it scrolled).
func checkBarsInPlace(t *testing.T, b *tab, long bool) {
	t.Helper()
	got := eval[string](b, "bars", `(async () => {
		window.scrollTo(0, document.documentElement.scrollHeight);
		await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
		const head = document.querySelector("#topbar").getBoundingClientRect();
		const foot = document.querySelector("#shortcuts").getBoundingClientRect();
		const d = await import("/dom.js");
		d.toast("测试提示");
		const toast = document.querySelector("#toast");
		const inHeader = document.querySelector("#topbar").contains(toast) && getComputedStyle(toast).position === "static";
		document.querySelector("#toast-close").click();
		const dismissed = !toast.classList.contains("shown") && document.querySelector("#toast-text").textContent === "";
		const scrolled = window.scrollY > 0;
		window.scrollTo(0, 0);
		return [scrolled, Math.round(head.top), Math.round(window.innerHeight - foot.bottom), inHeader, dismissed].join("|");
	})()`, chromedp.EvalAwaitPromise)
	if want := fmt.Sprintf("%t|0|0|true|true", long); got != want {
		t.Fatalf("%s: scrolled, header top, footer gap, toast in header, dismissed = %q, want %q", b.name, got, want)
	}
}

// tinyPNG is a 1×1 PNG, an attachment the server accepts.
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

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
