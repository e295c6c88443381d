package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// TestBrowser_PortalEmbedsTheChatWidget: a city portal on another site
// adds the chat with one <script> line. The citizen opens it from the
// floating button with the keyboard, the chat runs inside the frame from
// the hotline's own origin (greeting, a question answered with guides),
// and Escape inside the chat closes the panel again. A portal that is not
// in HOTLINE_CHAT_ORIGINS gets the button, but the browser shows its own
// error page in the frame instead of the chat (frame-ancestors).
func TestBrowser_PortalEmbedsTheChatWidget(t *testing.T) {
	chromium := chromiumPath(t)
	allowed := servePortal(t, "127.0.0.2")
	denied := servePortal(t, "127.0.0.3")
	t.Setenv("HOTLINE_CHAT_ORIGINS", allowed.origin)
	m := startDemo(t)
	base := "http://" + m.HTTPAddr()
	allowed.hotline, denied.hotline = base, base
	dir := artifactsDir(t)
	shots := 0
	browser := newBrowser(t, chromium)

	p := newTab(t, browser, "portal", dir, &shots)
	p.do("a phone's screen", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
	p.do("open the portal", chromedp.Navigate(allowed.origin+"/"), chromedp.WaitVisible(chromedp.ID("portal")))
	p.until("the chat button", `!!document.querySelector("[data-hotline-chat]")?.shadowRoot?.querySelector("button.open")`)
	if label := eval[string](p, "the button's name", `document.querySelector("[data-hotline-chat]").shadowRoot.querySelector("button.open").textContent`); label != "在线咨询" {
		t.Errorf("the button says %q", label)
	}
	p.shot("button")
	eval[bool](p, "focus the button", `(document.querySelector("[data-hotline-chat]").shadowRoot.querySelector("button.open").focus(), true)`)
	p.do("open it with Enter", typeKey("\r", "Enter"))
	p.until("the panel open", `!document.querySelector("[data-hotline-chat]").shadowRoot.querySelector(".panel").hidden`)

	f := frameTab(t, p, base+"/chat")
	f.until("the greeting inside the frame", `document.querySelectorAll("#log li.bot").length === 1 && document.body.classList.contains("embedded")`)
	f.do("ask", chromedp.SendKeys(chromedp.ID("text"), "社保卡丢了怎么办"), chromedp.Click(chromedp.ID("send")))
	f.until("the bot's guides", `[...document.querySelectorAll("#log ul.guides a")].some(a => a.getAttribute("href") === "/guides/rsj-007")`)
	p.shot("chatting in the widget")
	f.do("Escape inside the chat", typeKey("\x1b", "Escape"))
	p.until("the panel closed, the button back", `(r => r.querySelector(".panel").hidden && !r.querySelector("button.open").hidden)(document.querySelector("[data-hotline-chat]").shadowRoot)`)
	p.checkClean()
	f.checkClean()

	d := newTab(t, browser, "other-portal", dir, &shots)
	d.do("open a portal not allowed", chromedp.Navigate(denied.origin+"/"), chromedp.WaitVisible(chromedp.ID("portal")))
	d.until("the chat button", `!!document.querySelector("[data-hotline-chat]")?.shadowRoot?.querySelector("button.open")`)
	eval[bool](d, "open the chat", `(document.querySelector("[data-hotline-chat]").shadowRoot.querySelector("button.open").click(), true)`)
	blocked := frameTab(t, d, base+"/chat")
	blocked.until("the browser shows its error page in the frame, not the chat", `location.protocol === "chrome-error:" && !document.querySelector("#text")`)
	d.shot("refused")
}

// widgetPortal is a test page on another site that embeds the widget.
type widgetPortal struct {
	origin  string
	hotline string // the hotline's base URL, set once it runs
}

// servePortal serves a portal page on host (a loopback address other
// than the hotline's, so another site) that loads the hotline's widget.
func servePortal(t *testing.T, host string) *widgetPortal {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatalf("portal listener: %v", err)
	}
	p := &widgetPortal{origin: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="zh-CN"><meta charset="utf-8">`+
			`<meta name="viewport" content="width=device-width, initial-scale=1"><title>市政府门户</title>`+
			`<h1 id="portal">市政府门户网站</h1><p>政务公开、办事服务。</p>`+
			`<script src="%s/chat/widget.js" defer></script>`, p.hotline)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed at cleanup
	t.Cleanup(func() { srv.Close() })
	return p
}

// frameTab attaches to the cross-site iframe of parent's page whose URL
// starts with prefix: Chrome runs it as a target of its own. It looks
// again whenever the browser tells of a new or changed target.
func frameTab(t *testing.T, parent *tab, prefix string) *tab {
	t.Helper()
	page := chromedp.FromContext(parent.ctx).Target.TargetID
	changed := make(chan struct{}, 1)
	err := chromedp.ListenBrowser(parent.ctx, func(ev any) {
		switch ev.(type) {
		case *target.EventTargetCreated, *target.EventTargetInfoChanged:
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to the browser's targets: %v", err)
	}
	deadline := time.After(stepTimeout)
	for {
		infos, err := chromedp.Targets(parent.ctx)
		if err != nil {
			t.Fatalf("list targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && info.ParentID == page && strings.HasPrefix(info.URL, prefix) {
				return attach(t, parent, info.TargetID)
			}
		}
		select {
		case <-changed:
		case <-deadline:
			parent.fail("the chat's frame", fmt.Errorf("no iframe target at %s", prefix))
		}
	}
}

func attach(t *testing.T, parent *tab, id target.ID) *tab {
	ctx, cancel := chromedp.NewContext(parent.ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("attach to the frame: %v", err)
	}
	return &tab{t: t, name: parent.name + "-frame", ctx: ctx, dir: parent.dir, shots: parent.shots}
}
