package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/open12345/hotline/internal/testenv"
)

// TestBrowser_CitizenChatsWithTheBotThenAnAgent: on a phone-sized screen a
// citizen opens /chat, is greeted, asks a question and gets guides with
// links to their pages, asks for an agent, and reloads the page: the same
// chat comes back, every message once and in order. Script typed into the
// chat stays text. An agent in another browser context takes the chat in
// the console, sees what was said, replies, and ends it; the citizen's
// rating is stored.
func TestBrowser_CitizenChatsWithTheBotThenAnAgent(t *testing.T) {
	chromium := chromiumPath(t)
	m := startDemo(t)
	base := "http://" + m.HTTPAddr()
	dir := artifactsDir(t)
	shots := 0
	browser := newBrowser(t, chromium)
	c := newTab(t, browser, "chat", dir, &shots)
	a := newTab(t, browser, "agent", dir, &shots)
	c.do("a phone's screen", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
	c.do("open the chat", chromedp.Navigate(base+"/chat"), chromedp.WaitVisible(chromedp.ID("text")))
	c.until("the greeting", `document.querySelectorAll("#log li.bot").length === 1 && /12345/.test(document.querySelector("#log li.bot").textContent)`)
	fitsTheScreen(t, c, "the chat")

	c.do("ask", chromedp.SendKeys(chromedp.ID("text"), "社保卡丢了怎么办"), chromedp.Click(chromedp.ID("send")))
	c.until("the bot's guides", `[...document.querySelectorAll("#log ul.guides a")].some(a => a.getAttribute("href") === "/guides/rsj-007")`)
	c.until("the question acknowledged", `document.querySelectorAll("#log li.pending").length === 0 && document.querySelectorAll("#log li.citizen").length === 1`)
	c.shot("answered")
	if marks := c.text("a snippet's mark", "#log ul.guides em"); marks == "" {
		t.Error("the guide's snippet has no marked match")
	}

	c.do("type script", chromedp.SendKeys(chromedp.ID("text"), "<img src=x onerror=alert(1)>"), chromedp.Click(chromedp.ID("send")))
	c.until("the script shown as text", `[...document.querySelectorAll("#log li.citizen")].some(li => li.textContent.includes("<img src=x onerror=alert(1)>")) && !document.querySelector("#log img")`)

	c.do("ask for an agent", chromedp.Click(chromedp.ID("handoff")))
	c.until("the hand-off notice", `[...document.querySelectorAll("#log li.system")].some(li => /转接人工/.test(li.textContent))`)
	c.shot("handed off")

	before := eval[int](c, "count the transcript", `document.querySelectorAll("#log > li").length`)
	c.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("text")))
	c.until("the same transcript again", `document.querySelectorAll("#log > li").length === `+strconv.Itoa(before)+
		` && new Set([...document.querySelectorAll("#log > li")].map(li => li.dataset.seq)).size === `+strconv.Itoa(before))
	c.until("in order", `[...document.querySelectorAll("#log > li")].every((li, i, all) => i === 0 || Number(li.dataset.seq) > Number(all[i-1].dataset.seq))`)
	c.shot("reloaded")

	a.login(base, "agent1", browserPassword)
	a.do("go ready (Alt+R)", chromedp.WaitVisible(chromedp.ID("presence")), altKey("r"),
		chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="ready"]`)))
	a.do("the chat rings", chromedp.WaitVisible(chromedp.ID("offer")))
	a.do("accept (Alt+A)", altKey("a"), chromedp.WaitVisible(chromedp.ID("chats-card")))
	a.until("the transcript so far", `[...document.querySelectorAll("#chat-log .msg.citizen")].some(li => li.textContent.includes("社保卡丢了怎么办"))`)
	c.until("the citizen told the agent joined", `[...document.querySelectorAll("#log li.system")].some(li => /agent1/.test(li.textContent))`)
	c.do("the citizen types", chromedp.SendKeys(chromedp.ID("text"), "还有"))
	a.until("the agent sees the citizen typing", `!document.querySelector("#chat-typing").hidden`)
	a.do("the agent types", chromedp.SendKeys(chromedp.ID("chat-text"), "您好，"))
	c.until("the citizen sees the agent typing", `!document.querySelector("#typing").hidden`)
	eval[bool](c, "the citizen clears the box", `(document.querySelector("#text").value = "", true)`)
	a.do("reply", chromedp.SendKeys(chromedp.ID("chat-text"), "社保卡丢失可以先电话挂失，再到网点补办。"), chromedp.Click(chromedp.ID("chat-send")))
	c.until("the reply reaches the citizen", `[...document.querySelectorAll("#log li.agent")].some(li => li.textContent.includes("电话挂失"))`)
	c.do("the citizen answers", chromedp.SendKeys(chromedp.ID("text"), "好的，谢谢"), chromedp.Click(chromedp.ID("send")))
	a.until("the answer reaches the agent", `[...document.querySelectorAll("#chat-log .msg.citizen")].some(li => li.textContent.includes("好的，谢谢"))`)
	a.shot("chatting")
	a.do("end the chat", chromedp.Click(chromedp.ID("chat-end")))
	c.do("rate 5", chromedp.WaitVisible(chromedp.ID("rating")), chromedp.Click(chromedp.CSS(`#rating button[data-score="5"]`)))
	c.until("thanked", `/感谢您的评价/.test(document.querySelector("#rating").textContent)`)
	c.shot("rated")
	testenv.Eventually(t, "the rating stored", func() bool {
		var score int
		err := m.DB.Pool.QueryRow(context.Background(), `SELECT coalesce(satisfaction, 0) FROM chats ORDER BY id DESC LIMIT 1`).Scan(&score)
		return err == nil && score == 5
	})
	c.checkClean()
	a.checkClean()
}
