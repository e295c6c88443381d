package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

// smsGateway is an SMS gateway as HOTLINE_SMS_URL expects one: it keeps
// the messages it is asked to send.
type smsGateway struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []struct{ To, Text string }
}

func newSMSGateway(t *testing.T) *smsGateway {
	g := &smsGateway{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ To, Text string }
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.sent = append(g.sent, m)
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"gw-1"}`))
	}))
	t.Cleanup(g.srv.Close)
	return g
}

var smsCode = regexp.MustCompile(`验证码是(\d{6})`)

// code returns the last code sent to phone, or "".
func (g *smsGateway) code(phone string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.sent) - 1; i >= 0; i-- {
		if m := smsCode.FindStringSubmatch(g.sent[i].Text); m != nil && g.sent[i].To == phone {
			return m[1]
		}
	}
	return ""
}

// TestBrowser_CitizenSubmitsAndFollowsATicket: on a phone-sized screen a
// citizen asks for an SMS code, files a complaint from /submit, and
// follows it on /progress while the city handles it; a wrong phone finds
// nothing. The pages fit 360 px without scrolling sideways.
func TestBrowser_CitizenSubmitsAndFollowsATicket(t *testing.T) {
	chromium := chromiumPath(t)
	db := pgtest.NewDB(t)
	gw := newSMSGateway(t)
	t.Setenv("HOTLINE_DATABASE_URL", db.Pool.Config().ConnString())
	t.Setenv("HOTLINE_DATA_DIR", t.TempDir())
	t.Setenv("HOTLINE_SMS_URL", gw.srv.URL)
	cfg := configFromEnv(environ)
	cfg.RedisURL, cfg.HTTPAddr, cfg.SIPAddr = testenv.StartRedis(t).URL(), "127.0.0.1:0", "127.0.0.1:0"
	m := startMainWith(t, cfg)
	base := "http://" + m.HTTPAddr()
	ctx := context.Background()
	admin := auth.Actor{Username: "admin", Role: auth.RoleAdmin}
	if _, err := m.Tickets.SaveDepartment(ctx, admin, ticketing.Department{Code: "cgj", Name: "市城管局"}, true); err != nil {
		t.Fatal(err)
	}

	dir := artifactsDir(t)
	shots := 0
	c := newTab(t, newBrowser(t, chromium), "citizen", dir, &shots)
	c.do("a phone's screen", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
	c.do("open the form", chromedp.Navigate(base+"/submit"), chromedp.WaitVisible(chromedp.ID("title")))
	fitsTheScreen(t, c, "the form")
	c.shot("form")

	const phone = "13812345678"
	c.do("fill in the form",
		chromedp.SetValue(chromedp.ID("kind"), "complaint"),
		chromedp.SendKeys(chromedp.ID("title"), "夜间施工噪音扰民"),
		chromedp.SendKeys(chromedp.ID("content"), "小区对面工地每晚十一点后仍在施工，严重影响休息。"),
		chromedp.SendKeys(chromedp.ID("name"), "王五"),
		chromedp.SendKeys(chromedp.ID("phone"), "138 1234 5678"),
		chromedp.SendKeys(chromedp.ID("address"), "海珠区江南大道1号"),
		chromedp.Click(chromedp.ID("send-code")),
	)
	c.until("the code button counts down", `document.querySelector("#send-code").disabled && /秒后重发/.test(document.querySelector("#send-code").textContent)`)
	code := gw.code(phone)
	if code == "" {
		t.Fatal("the gateway got no code for the phone")
	}
	c.do("submit with the code", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Click(chromedp.ID("submit")))
	c.until("the number is shown", `!document.querySelector("#done").hidden`)
	number := c.text("the number", "#number")
	c.shot("submitted")
	tk, err := m.Tickets.GetByNumber(ctx, admin, number)
	if err != nil || tk.Channel != ticketing.ChannelWeb || tk.Citizen.Phone != phone || tk.Citizen.Name != "王五" {
		t.Fatalf("the web ticket %s: %+v, %v", number, tk, err)
	}

	// The city handles it while the citizen follows.
	agent := auth.Actor{Username: "agent1", Role: auth.RoleAgent}
	dept := auth.Actor{Username: "dept-cgj", Role: auth.RoleDepartment, Department: "cgj"}
	for _, step := range []struct {
		actor auth.Actor
		a     ticketing.Action
		req   ticketing.Request
	}{
		{agent, ticketing.ActionDispatch, ticketing.Request{Department: "cgj"}},
		{dept, ticketing.ActionSign, ticketing.Request{}},
		{dept, ticketing.ActionReply, ticketing.Request{Reply: "已责令工地夜间停工，并将持续巡查。"}},
	} {
		if _, err := m.Tickets.Act(ctx, step.actor, tk.ID, step.a, step.req); err != nil {
			t.Fatalf("%s: %v", step.a, err)
		}
	}
	c.do("open the progress page", chromedp.Click(chromedp.ID("progress-link")), chromedp.WaitVisible(chromedp.ID("phone")))
	// The page's module fills the number in once it has run.
	c.until("the number carried over", fmt.Sprintf(`document.querySelector("#number").value === %q`, number))
	c.do("look up with the phone", chromedp.SendKeys(chromedp.ID("phone"), phone), chromedp.Click(chromedp.ID("query")))
	c.until("the progress", `!document.querySelector("#result").hidden`)
	fitsTheScreen(t, c, "the progress")
	c.shot("progress")
	timeline := c.text("the timeline", "#r-timeline")
	for _, want := range []string{"12345 热线已受理", "已派发至市城管局", "市城管局已签收", "市城管局已答复"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("timeline %q lacks %q", timeline, want)
		}
	}
	if reply := c.text("the reply", "#r-reply"); reply != "已责令工地夜间停工，并将持续巡查。" {
		t.Errorf("reply %q", reply)
	}
	if status := c.text("the status", "#r-status"); status != "已答复，等待回访" {
		t.Errorf("status %q", status)
	}

	eval[bool](c, "clear the phone", `(document.querySelector("#phone").value = "", true)`)
	c.do("a wrong phone",
		chromedp.SendKeys(chromedp.ID("phone"), "13900000000"),
		chromedp.Click(chromedp.ID("query")))
	c.until("nothing is found", `/没有找到/.test(document.querySelector("#error").textContent)`)
	if !eval[bool](c, "the old result is gone", `document.querySelector("#result").hidden`) {
		t.Error("a wrong phone still shows the ticket")
	}
	c.shot("wrong-phone")
	c.checkClean()
}

// fitsTheScreen fails if the page scrolls sideways.
func fitsTheScreen(t *testing.T, c *tab, what string) {
	t.Helper()
	if w := eval[int](c, what+" width", `document.documentElement.scrollWidth`); w > 360 {
		c.shot("too-wide")
		t.Errorf("%s is %d px wide on a 360 px screen", what, w)
	}
}
