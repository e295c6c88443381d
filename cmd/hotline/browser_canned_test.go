package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestBrowser_AgentInsertsACannedReply: an admin adds two canned replies
// in the console's 常用语 view and deactivates neither; an agent who took
// a citizen's chat types "/" in the reply box, moves down the list with
// the arrow key, inserts the reply with Enter (nothing is sent yet),
// edits it and sends it; the citizen gets the edited text. The picker
// button lists the same replies.
func TestBrowser_AgentInsertsACannedReply(t *testing.T) {
	chromium := chromiumPath(t)
	m := startDemo(t)
	base := "http://" + m.HTTPAddr()
	dir := artifactsDir(t)
	shots := 0
	browser := newBrowser(t, chromium)
	admin := newTab(t, browser, "admin", dir, &shots)
	c := newTab(t, browser, "chat", dir, &shots)
	a := newTab(t, browser, "agent", dir, &shots)

	admin.login(base, "admin", browserPassword)
	admin.do("open 常用语", chromedp.Click(chromedp.ID("nav-canned")), chromedp.WaitVisible(chromedp.ID("canned-form")))
	for _, r := range []struct{ title, shortcut, sort, text string }{
		{"问候", "hi", "1", "您好，很高兴为您服务。"},
		{"补办社保卡", "sbk", "2", "社保卡丢失可先拨打 12333 挂失，再携带身份证到就近网点补办。"},
	} {
		admin.do("add "+r.title,
			chromedp.SendKeys(chromedp.ID("cf-title"), r.title),
			chromedp.SendKeys(chromedp.ID("cf-shortcut"), r.shortcut),
			chromedp.SetValue(chromedp.ID("cf-sort"), r.sort),
			chromedp.SendKeys(chromedp.ID("cf-text"), r.text),
			chromedp.Click(chromedp.ID("cf-submit")))
		admin.until(r.title+" listed", `[...document.querySelectorAll("#canned-rows tr")].some(tr => tr.textContent.includes(`+strconv.Quote(r.title)+`))`)
	}
	admin.shot("canned replies")

	c.do("open the chat", chromedp.Navigate(base+"/chat"), chromedp.WaitVisible(chromedp.ID("text")))
	c.do("ask for an agent", chromedp.Click(chromedp.ID("handoff")))
	a.login(base, "agent1", browserPassword)
	a.do("go ready (Alt+R)", chromedp.WaitVisible(chromedp.ID("presence")), altKey("r"),
		chromedp.WaitVisible(chromedp.CSS(`#presence-state[data-state="ready"]`)))
	a.do("accept (Alt+A)", chromedp.WaitVisible(chromedp.ID("offer")), altKey("a"), chromedp.WaitVisible(chromedp.ID("chats-card")))

	a.do("the picker button", chromedp.Click(chromedp.ID("canned-open")))
	a.until("the button lists both", `!document.querySelector("#canned-list").hidden && document.querySelectorAll("#canned-list li[data-canned]").length === 2`)
	a.do("close with Esc", chromedp.Focus(chromedp.ID("chat-text")), pressKey("Escape", "Escape", 27))
	a.until("closed", `document.querySelector("#canned-list").hidden`)

	a.do(`type "/"`, chromedp.SendKeys(chromedp.ID("chat-text"), "/"))
	a.until("the list opens", `!document.querySelector("#canned-list").hidden && document.querySelectorAll("#canned-list li[data-canned]").length === 2`)
	a.do("down to the second", pressKey("ArrowDown", "ArrowDown", 40))
	a.until("the second chosen", `document.querySelector("#canned-list li[aria-selected=true]")?.textContent.includes("补办社保卡") &&
		document.querySelector("#chat-text").getAttribute("aria-activedescendant") === document.querySelector("#canned-list li[aria-selected=true]").id`)
	a.shot("picker")
	a.do("insert with Enter", pressKey("Enter", "Enter", 13))
	a.until("inserted for editing, not sent", `document.querySelector("#chat-text").value.startsWith("社保卡丢失可先拨打") &&
		document.querySelector("#canned-list").hidden && ![...document.querySelectorAll("#chat-log .msg.agent")].length`)
	a.do("edit and send", chromedp.SendKeys(chromedp.ID("chat-text"), "如有疑问请再联系我们。"), chromedp.Click(chromedp.ID("chat-send")))
	c.until("the citizen gets the edited reply", `[...document.querySelectorAll("#log li.agent")].some(li =>
		li.textContent.includes("再携带身份证到就近网点补办。如有疑问请再联系我们。"))`)

	a.do(`"/hi" filters by shortcut`, chromedp.SendKeys(chromedp.ID("chat-text"), "/hi"))
	a.until("one reply", `document.querySelectorAll("#canned-list li[data-canned]").length === 1`)
	a.do("insert it", pressKey("Enter", "Enter", 13))
	a.until("the greeting inserted", `document.querySelector("#chat-text").value === "您好，很高兴为您服务。"`)
	a.shot("inserted")
	admin.checkClean()
	a.checkClean()
	c.checkClean()
}

// pressKey presses a named key (Enter, arrows, Esc) as a keyboard does:
// Enter's keydown carries its text, so a handler that cancels the
// keydown also cancels the line break.
func pressKey(key, code string, keyCode int64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: key, Code: code, WindowsVirtualKeyCode: keyCode}
		if key == "Enter" {
			down.Type, down.Text, down.UnmodifiedText = input.DispatchKeyEventTypeKeyDown, "\r", "\r"
		}
		up := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: key, Code: code, WindowsVirtualKeyCode: keyCode}
		for _, p := range []input.DispatchKeyEventParams{down, up} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	})
}
