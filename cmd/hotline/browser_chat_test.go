package main

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_CitizenChatsWithTheBot: on a phone-sized screen a citizen
// opens /chat, is greeted, asks a question and gets guides with links to
// their pages, asks for an agent, and reloads the page: the same chat
// comes back, every message once and in order. Script typed into the chat
// stays text.
func TestBrowser_CitizenChatsWithTheBot(t *testing.T) {
	chromium := chromiumPath(t)
	m := startDemo(t)
	base := "http://" + m.HTTPAddr()
	dir := artifactsDir(t)
	shots := 0
	c := newTab(t, newBrowser(t, chromium), "chat", dir, &shots)
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
	c.checkClean()
}
