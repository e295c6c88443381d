package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/open12345/hotline/internal/testenv"
)

// TestBrowser_CitizenLeavesAMessageThenAsksItsProgress: outside the
// chats' service hours (HOTLINE_CHAT_HOURS) a citizen on a phone asks for
// an agent, is offered the leave-a-message form, leaves a message with a
// mobile number and gets the ticket's number in the chat; the ticket is a
// webchat one linked to the chat, and an SMS with the number was sent.
// In a new chat the bot tells the ticket's progress only for its phone.
func TestBrowser_CitizenLeavesAMessageThenAsksItsProgress(t *testing.T) {
	chromium := chromiumPath(t)
	t.Setenv("HOTLINE_CHAT_HOURS", "closed")
	sms := make(chan map[string]string, 8)
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]string
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sms <- msg
		fmt.Fprint(w, `{"id": "sms-1"}`)
	}))
	t.Cleanup(gateway.Close)
	t.Setenv("HOTLINE_SMS_URL", gateway.URL)
	m := startDemo(t)
	base := "http://" + m.HTTPAddr()
	dir := artifactsDir(t)
	shots := 0
	browser := newBrowser(t, chromium)
	c := newTab(t, browser, "citizen", dir, &shots)
	c.do("a phone's screen", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
	c.do("open the chat", chromedp.Navigate(base+"/chat"), chromedp.WaitVisible(chromedp.ID("text")))
	c.until("the greeting with the hours", `/人工服务暂停/.test(document.querySelector("#log li.bot")?.textContent || "")`)
	c.do("ask for an agent", chromedp.Click(chromedp.ID("handoff")))
	c.do("the form is offered", chromedp.WaitVisible(chromedp.ID("leave-phone")))
	c.until("the phone field has the focus", `document.activeElement === document.querySelector("#leave-phone")`)
	fitsTheScreen(t, c, "the leave-a-message form")
	c.do("a landline", chromedp.SendKeys(chromedp.ID("leave-phone"), "020-12345678"),
		chromedp.SendKeys(chromedp.ID("leave-text"), "小区东门的路灯坏了一个星期，晚上很黑。"), chromedp.Click(chromedp.ID("leave-submit")))
	c.until("refused before sending", `/手机号码/.test(document.querySelector("#leave-error").textContent)`)
	eval[bool](c, "clear the phone", `(document.querySelector("#leave-phone").value = "", true)`)
	c.do("a mobile", chromedp.SendKeys(chromedp.ID("leave-phone"), "13812345678"), chromedp.Click(chromedp.ID("leave-submit")))
	c.until("the number told", `[...document.querySelectorAll("#log li.system")].some(li => /受理编号 20\d{12}/.test(li.textContent)) && document.querySelector("#leave").hidden`)
	c.shot("left a message")
	number := eval[string](c, "read the number", `document.querySelector("#log li.system:last-of-type").textContent.match(/20\d{12,}/)[0]`)

	select {
	case msg := <-sms:
		if msg["to"] != "13812345678" || !strings.Contains(msg["text"], number) {
			t.Errorf("SMS %v, want the number %s to 13812345678", msg, number)
		}
	case <-time.After(stepTimeout):
		t.Error("no SMS with the ticket's number reached the gateway")
	}
	var channel, chatID, phone string
	testenv.Eventually(t, "the ticket stored", func() bool {
		err := m.DB.Pool.QueryRow(context.Background(), `SELECT channel, coalesce(chat_id, ''), citizen_phone FROM tickets WHERE number = $1`, number).
			Scan(&channel, &chatID, &phone)
		return err == nil
	})
	var outcome string
	if err := m.DB.Pool.QueryRow(context.Background(), `SELECT coalesce(outcome, '') FROM chats WHERE id::text = $1`, chatID).Scan(&outcome); err != nil {
		t.Fatalf("the ticket's chat %q: %v", chatID, err)
	}
	if channel != "webchat" || phone != "13812345678" || outcome != "left_message" {
		t.Errorf("ticket channel %q phone %q, chat outcome %q", channel, phone, outcome)
	}

	eval[bool](c, "forget the chat", `(sessionStorage.clear(), true)`)
	c.do("a new chat", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("text")))
	c.until("greeted again", `document.querySelectorAll("#log li.bot").length === 1`)
	c.do("ask the progress with another phone", chromedp.SendKeys(chromedp.ID("text"), number+" 13900000000"), chromedp.Click(chromedp.ID("send")))
	c.until("not told", `/不匹配/.test([...document.querySelectorAll("#log li.bot")].pop().textContent)`)
	c.do("with the right phone", chromedp.SendKeys(chromedp.ID("text"), number+" 13812345678"), chromedp.Click(chromedp.ID("send")))
	c.until("the progress", `(t => t.includes("`+number+`") && t.includes("已受理"))([...document.querySelectorAll("#log li.bot")].pop().textContent)`)
	c.shot("progress")
	c.checkClean()
}
