package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/telephony/sip"
	"github.com/open12345/hotline/ticketing"
)

// TestBrowser_OutboundCallBack: a citizen asked for a callback while
// nobody was ready; agent1 (its phone registered) opens the calls view,
// sees the entry 等待回拨 and clicks 回拨. The desk shows the placed
// call as a connected 外呼 contact to the citizen's number with its
// controls and the citizen's history; agent1's phone answers, the
// citizen's phone behind the trunk (sipp on 127.0.0.2) answers, they
// talk (the entry reads 拨打中) until agent1 hangs up; the entry then
// reads 已接通 with one attempt. The citizen asks again that day: with
// one call a day to a number, 回拨 is refused and the console says
// 今日已达上限.
func TestBrowser_OutboundCallBack(t *testing.T) {
	chromium := chromiumPath(t)
	const citizen = "13800138000" // runSipp's caller
	trunkPort := testenv.FreeUDPPort(t)
	cfg := demoConfig(t)
	var err error
	if cfg.SIPTrunk, err = sip.ParseTrunk("ip:127.0.0.2:" + strconv.Itoa(trunkPort)); err != nil {
		t.Fatal(err)
	}
	cfg.CallbackHours = ticketing.AlwaysOpen
	cfg.CallbackPerDay = 1
	m := startMainWith(t, cfg)
	runSipp(t, m, "callback_request.xml") // nobody is ready: the citizen asks for a callback
	phone := newTonePhone(t, m, "agent1", browserPassword)
	done, out := startCitizenPhone(t, trunkPort)

	dir := artifactsDir(t)
	shots := 0
	a := newTab(t, newBrowser(t, chromium), "agent", dir, &shots)
	a.login("http://"+m.HTTPAddr(), "agent1", browserPassword)
	a.do("the phone is registered", chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="not_ready"]`)),
		chromedp.WaitNotVisible(chromedp.ID("presence-phone")))
	entry := `#callback-rows tr[data-phone="` + citizen + `"]`
	a.do("the missed-call entry",
		chromedp.Click(chromedp.ID("nav-calls")),
		chromedp.WaitVisible(chromedp.CSS(entry+`[data-state="waiting"] button[data-test="callback-dial"]`)))
	if got := a.text("the entry's state", entry+` td[data-field="state"]`); got != "等待回拨" {
		t.Errorf("the entry reads %q, want 等待回拨", got)
	}
	if got := a.text("the entry's attempts", entry+` td[data-field="attempts"]`); got != "0" {
		t.Errorf("attempts %q, want 0", got)
	}
	a.shot("missed-call-list")

	a.do("回拨", chromedp.Click(chromedp.CSS(entry+` button[data-test="callback-dial"]`)))
	contact := `#contacts li[data-outbound="true"]`
	a.do("the outbound call on the desk",
		chromedp.WaitVisible(chromedp.ID("view-desk")),
		chromedp.WaitVisible(chromedp.CSS(contact)),
		chromedp.WaitVisible(chromedp.CSS(contact+` button[data-test="call-hold"]`)),
		chromedp.WaitVisible(chromedp.CSS(contact+` button[data-test="contact-end"]`)),
		chromedp.WaitVisible(chromedp.CSS(contact+` [data-test="citizen-history"]`)))
	if got := a.text("the contact", contact); !strings.Contains(got, "外呼") || !strings.Contains(got, citizen) {
		t.Errorf("the contact reads %q, want 外呼 and %s", got, citizen)
	}
	testenv.Eventually(t, "agent1 hears the citizen", func() bool { return phone.heard.Load() > 50 })
	a.shot("talking")
	if n := eval[int](a, "departments to bring in", `document.querySelectorAll('`+contact+` select[data-test="call-conference-department"] option[value]:not([value=""])').length`); n == 0 {
		t.Error("the three-way control lists no department with a duty phone")
	}
	a.do("consult a colleague without a phone",
		chromedp.SendKeys(chromedp.CSS(contact+` input[data-test="call-consult-agent"]`), "agent2"),
		chromedp.Click(chromedp.CSS(contact+` button[data-test="call-consult"]`)))
	a.until("the refusal", `document.querySelector("#toast").dataset.kind === "error" && document.querySelector("#toast-text").textContent.includes("咨询转接失败")`)
	if n := eval[int](a, "consultation buttons", `document.querySelectorAll('`+contact+` button[data-test="call-consult-complete"]').length`); n != 0 {
		t.Error("a refused consultation shows 完成转接")
	}
	a.do("the entry is being dialled", chromedp.Click(chromedp.ID("nav-calls")),
		chromedp.WaitVisible(chromedp.CSS(entry+`[data-state="dialling"]`)))
	if got := a.text("the entry's state", entry+` td[data-field="state"]`); got != "拨打中" {
		t.Errorf("the entry reads %q while dialled, want 拨打中", got)
	}

	close(phone.hangUp)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sipp: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the citizen was not hung up after the call")
	}
	reached := entry + `[data-state="reached"]`
	a.do("the entry is reached", chromedp.WaitVisible(chromedp.CSS(reached)), chromedp.WaitNotPresent(chromedp.CSS(contact)))
	if got := a.text("the entry's state", reached+` td[data-field="state"]`); got != "已接通" {
		t.Errorf("the entry reads %q after the call, want 已接通", got)
	}
	if got := a.text("the entry's attempts", reached+` td[data-field="attempts"]`); got != "1" {
		t.Errorf("attempts %q after the call, want 1", got)
	}
	if n := eval[int](a, "buttons on the reached entry", `document.querySelectorAll('`+reached+` button').length`); n != 0 {
		t.Errorf("the reached entry has %d buttons, want none", n)
	}
	a.do("the outbound call's record", chromedp.WaitVisible(chromedp.CSS(`#call-rows tr[data-direction="outbound"][data-outcome="answered"]`)))
	if n := eval[int](a, "buttons on the outbound record", `document.querySelectorAll('#call-rows tr[data-direction="outbound"] button').length`); n != 0 {
		t.Errorf("the outbound call record has %d 回拨 buttons, want none", n)
	}
	a.shot("reached")

	// The citizen asks again the same day; the number was called once
	// today, the most a day.
	runSipp(t, m, "callback_request.xml")
	openCallback(t, m, bearer(t, m, "agent1"), citizen)
	waiting := entry + `[data-state="waiting"] button[data-test="callback-dial"]`
	a.do("the new entry", chromedp.Click(chromedp.ID("calls-submit")), chromedp.WaitVisible(chromedp.CSS(waiting)))
	a.do("回拨 again", chromedp.Click(chromedp.CSS(waiting)))
	a.until("the refusal", `document.querySelector("#calls-error").textContent.includes("今日已达上限")`)
	if got := a.text("the notice", "#toast-text"); !strings.Contains(got, "今日已达上限") {
		t.Errorf("the header's notice reads %q, want 今日已达上限", got)
	}
	if kind := eval[string](a, "the notice's kind", `document.querySelector("#toast").dataset.kind`); kind != "error" {
		t.Errorf("the notice is %q, want an error", kind)
	}
	a.do("still on the calls view, the entry waiting", chromedp.WaitVisible(chromedp.ID("view-calls")),
		chromedp.WaitEnabled(chromedp.CSS(waiting)))
	a.shot("limit")
	a.checkClean()
}

// TestBrowser_OutboundTicketCallback: on a replied ticket agent1 clicks
// 电话回访; the desk shows the 外呼 call to the citizen beside the
// ticket, whose 回访 form stays for a result recorded by hand. The
// citizen (sipp behind the trunk) answers, talks, and keys 5 after
// agent1 hangs up: the ticket shows 满意（5 分） and offers no 电话回访.
func TestBrowser_OutboundTicketCallback(t *testing.T) {
	chromium := chromiumPath(t)
	trunkPort := testenv.FreeUDPPort(t)
	cfg := demoConfig(t)
	var err error
	if cfg.SIPTrunk, err = sip.ParseTrunk("ip:127.0.0.2:" + strconv.Itoa(trunkPort)); err != nil {
		t.Fatal(err)
	}
	cfg.CallbackHours = ticketing.AlwaysOpen
	m := startMainWith(t, cfg)
	number, id := repliedComplaint(t, m) // the citizen is 13900007777
	phone := newTonePhone(t, m, "agent1", browserPassword)
	done, out := startCitizenPhone(t, trunkPort)

	dir := artifactsDir(t)
	shots := 0
	a := newTab(t, newBrowser(t, chromium), "agent", dir, &shots)
	a.login("http://"+m.HTTPAddr(), "agent1", browserPassword)
	a.do("the phone is registered", chromedp.WaitNotVisible(chromedp.ID("presence-phone")))
	row := fmt.Sprintf(`#rows tr[data-number="%s"]`, number)
	call := `#detail-actions button[data-test="ticket-call"]`
	a.do("open the replied ticket",
		chromedp.Click(chromedp.ID("nav-tickets")),
		chromedp.SendKeys(chromedp.ID("filter-q"), number),
		chromedp.Click(chromedp.ID("filter-submit")),
		chromedp.WaitVisible(chromedp.CSS(row+" button")),
		chromedp.Click(chromedp.CSS(row+" button")),
		chromedp.WaitVisible(chromedp.CSS(call)),
		chromedp.WaitVisible(chromedp.CSS(`#detail-actions button[data-action="callback"]`)))
	if got := a.text("the button", call); got != "电话回访" {
		t.Errorf("the button reads %q, want 电话回访", got)
	}
	a.shot("replied-ticket")

	a.do("电话回访", chromedp.Click(chromedp.CSS(call)))
	contact := `#contacts li[data-outbound="true"]`
	a.do("the call on the desk, beside the ticket",
		chromedp.WaitVisible(chromedp.ID("view-desk")),
		chromedp.WaitVisible(chromedp.CSS(contact)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-id="%d"] #detail-actions button[data-action="callback"]`, id))))
	if got := a.text("the contact", contact); !strings.Contains(got, "外呼") || !strings.Contains(got, "13900007777") {
		t.Errorf("the contact reads %q, want 外呼 and 13900007777", got)
	}
	testenv.Eventually(t, "agent1 hears the citizen", func() bool { return phone.heard.Load() > 50 })
	a.shot("talking")
	close(phone.hangUp)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sipp: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the citizen was not hung up after rating the call")
	}
	a.do("the call is over", chromedp.WaitNotPresent(chromedp.CSS(contact)))
	a.until("the keyed result on the ticket", `document.querySelector('#detail dd[data-field="回访结果"]')?.textContent === "满意（5 分）"`)
	if n := eval[int](a, "no second 回访 call", `document.querySelectorAll('`+call+`').length`); n != 0 {
		t.Errorf("the ticket with its callback still offers 电话回访")
	}
	a.shot("rated")
	a.checkClean()
}

// startCitizenPhone runs sipp as the citizen's phone behind the trunk on
// 127.0.0.2:port (testdata/callback_uas.xml: it answers one call, talks
// and keys 5 until hung up) and returns once it listens; done reports
// how sipp ended.
func startCitizenPhone(t *testing.T, port int) (done <-chan error, out *bytes.Buffer) {
	t.Helper()
	sippPath, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatal("sipp missing: install sip-tester (bash deploy/local/services.sh test-tools)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel)
	uas := exec.CommandContext(ctx, sippPath, "-sf", "testdata/callback_uas.xml", "-i", "127.0.0.2", "-p", strconv.Itoa(port),
		"-mi", "127.0.0.2", "-mp", strconv.Itoa(testenv.FreeUDPPort(t)), "-m", "1", "-timeout", "110s", "-timeout_error", "-nostdin")
	out = new(bytes.Buffer)
	uas.Stdout, uas.Stderr = out, out
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	ch, finished := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(finished)
		ch <- uas.Wait()
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	testenv.Eventually(t, "sipp listening", func() bool { // sipp binds its port after it starts
		l, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.2", strconv.Itoa(port)))
		if err == nil { // not yet: free it again for sipp
			if err := l.Close(); err != nil {
				t.Error(err)
			}
			return false
		}
		return true
	})
	return ch, out
}
