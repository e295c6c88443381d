package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
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
// rating is stored. On the way the citizen sends a photo and the agent
// one back, each shown to both sides; the agent records a ticket from the
// chat, which carries the transcript and the photos as attachments.
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
	// Nobody is signed in yet: the bot offers a message, after the notice.
	c.until("the offer to leave a message", `[...document.querySelectorAll("#log li.bot")].some(li => /人工客服暂时不在线/.test(li.textContent))`)
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
	number := photosAndATicket(t, m, c, a)
	c.until("the citizen told the ticket's number", `[...document.querySelectorAll("#log li.system")].some(li => li.textContent.includes(`+strconv.Quote(number)+`))`)
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

// photosAndATicket: the citizen sends a photo (with EXIF) from the image
// button, both sides see it; the agent sends one back from the console;
// the agent records a ticket from the chat, and the ticket has the
// transcript and both photos as attachments. It returns the ticket's number.
func photosAndATicket(t *testing.T, m *Main, c, a *tab) string {
	t.Helper()
	ctx := context.Background()
	photo := writePhoto(t, "街灯.jpg", 64, 48)
	if label := eval[string](c, "the image button's label", `document.querySelector("#image").getAttribute("aria-label")`); label != "发送图片" {
		t.Errorf("the image button is labelled %q, want 发送图片", label)
	}
	c.do("send a photo", chromedp.SetUploadFiles(chromedp.ID("image-file"), []string{photo}))
	c.until("the photo shown to the citizen", `[...document.querySelectorAll("#log li.citizen img.photo")].some(img => img.complete && img.naturalWidth === 64 && img.src.startsWith("blob:") && img.alt !== "")`)
	a.until("the agent sees the photo", `[...document.querySelectorAll("#chat-log .msg.citizen img.chat-photo")].some(img => img.complete && img.naturalWidth === 64 && img.closest("a").href.startsWith("blob:"))`)
	fitsTheScreen(t, c, "the chat with a photo")
	c.shot("photo sent")
	var key string
	if err := m.DB.Pool.QueryRow(ctx, `SELECT storage_key FROM chat_images ORDER BY id LIMIT 1`).Scan(&key); err != nil {
		t.Fatalf("the photo's record: %v", err)
	}
	if stored := readBlob(t, m, key); bytes.Contains(stored, []byte("Exif")) || !bytes.HasPrefix(stored, []byte("\xFF\xD8\xFF")) {
		t.Error("the stored photo is not a JPEG without EXIF")
	}

	a.do("the agent sends a photo", chromedp.SetUploadFiles(chromedp.ID("chat-image-file"), []string{writePhoto(t, "map.jpg", 30, 20)}))
	c.until("the agent's photo reaches the citizen", `[...document.querySelectorAll("#log li.agent img.photo")].some(img => img.complete && img.naturalWidth === 30)`)
	a.until("the agent's photo in the console", `[...document.querySelectorAll("#chat-log .msg.agent img.chat-photo")].some(img => img.complete && img.naturalWidth === 30)`)
	a.shot("photos")

	a.until("the ticket form linked to the chat", `document.querySelector("#tf-chat-id").value !== "" && document.querySelector("#tf-link").textContent.startsWith("关联会话")`)
	a.do("record a ticket from the chat",
		chromedp.SetValue(chromedp.ID("tf-kind"), "help"),
		chromedp.SendKeys(chromedp.ID("tf-title"), "路灯损坏"),
		chromedp.SetValue(chromedp.ID("tf-content"), "市民在线反映路灯损坏，已发照片。"),
		chromedp.SendKeys(chromedp.ID("tf-name"), "在线市民"),
		chromedp.SendKeys(chromedp.ID("tf-phone"), "13800138000"),
		chromedp.Click(chromedp.ID("tf-submit")),
		chromedp.WaitVisible(chromedp.ID("created")))
	number := a.text("the ticket's number", "#created-number")
	rows, err := m.DB.Pool.Query(ctx, `SELECT a.name, a.content_type FROM attachments a JOIN tickets t ON t.id = a.ticket_id
		WHERE t.number = $1 ORDER BY a.id`, number)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		got = append(got, name+" "+typ)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var chatID int64
	if err := m.DB.Pool.QueryRow(ctx, `SELECT chat_id FROM chat_images ORDER BY id LIMIT 1`).Scan(&chatID); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("[会话记录-%d.txt text/plain; charset=utf-8 会话图片-%d-", chatID, chatID)
	if len(got) != 3 || fmt.Sprint(got)[:len(want)] != want {
		t.Errorf("ticket %s has the attachments %q, want the transcript and two photos", number, got)
	}
	return number
}

// writePhoto writes a w×h JPEG with an EXIF segment, as a phone's photo.
func writePhoto(t *testing.T, name string, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(4 * x), G: uint8(4 * y), B: 128, A: 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	exif := []byte("\xFF\xE1\x00\x16Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	data := append(append(append([]byte{}, b.Bytes()[:2]...), exif...), b.Bytes()[2:]...)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readBlob(t *testing.T, m *Main, key string) []byte {
	t.Helper()
	f, err := m.Files.Open(key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
