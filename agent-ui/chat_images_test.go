package agentui_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/webchat"
)

// imageChatEnv is an env with web chat and its images.
type imageChatEnv struct {
	*env
	store *postgres.ChatStore
	chats *webchat.Service
}

func newImageChatEnv(t *testing.T) imageChatEnv {
	t.Helper()
	var ce imageChatEnv
	ce.env = newEnvOn(t, func(db *postgres.DB, d *agentui.Deps) {
		ce.store = postgres.NewChatStore(db)
		ce.chats = webchat.NewService(ce.store, d.Guides, d.Clock, slog.New(slog.DiscardHandler), webchat.Config{})
		d.Chats = ce.chats
		d.ChatImages = webchat.NewImages(ce.chats, ce.store)
	})
	return ce
}

// startChat starts a chat and gives it to agent ("" leaves it to the bot).
func (ce imageChatEnv) startChat(agent string) (webchat.Chat, webchat.Token) {
	ce.t.Helper()
	c, tok, err := ce.chats.Start(context.Background(), "127.0.0.1")
	if err != nil {
		ce.t.Fatal(err)
	}
	if agent != "" {
		c.State, c.Agent = webchat.StateAgent, agent
		if err := ce.store.UpdateChat(context.Background(), c); err != nil {
			ce.t.Fatal(err)
		}
	}
	return c, tok
}

func testJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// citizenImage sends a citizen's request with the chat's token.
func (ce imageChatEnv) citizenImage(method, path string, tok webchat.Token, body []byte, header map[string]string) response {
	ce.t.Helper()
	req, err := http.NewRequest(method, ce.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		ce.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+string(tok))
	}
	req.Header.Set("Content-Type", "image/jpeg")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return ce.do(req)
}

type uploaded struct {
	Seq         int
	Attachment  string
	ID          int64
	ContentType string `json:"content_type"`
	Width       int
	Height      int
}

// A citizen's photo becomes a message of the chat that both sides get,
// a resend stores it once, and it is read back only with the chat's own
// token or by the chat's agent and overseers.
func TestChatImages_CitizenSendsAPhoto(t *testing.T) {
	ce := newImageChatEnv(t)
	c, tok := ce.startChat("agent1")
	other, otherTok := ce.startChat("")
	l := ce.chats.Hub().Listen(c.ID)
	defer l.Close()

	var up uploaded
	ce.must(ce.citizenImage("POST", "/public/chat/images", tok, testJPEG(t, 40, 30), map[string]string{"X-Client-Id": "img-1"}), 201, &up)
	if up.Attachment != webchat.ImageRef(up.ID) || up.ContentType != "image/jpeg" || up.Width != 40 || up.Height != 30 || up.Seq != 2 {
		t.Fatalf("upload answered %+v", up)
	}
	ev := awaitEvent(t, l, func(ev webchat.Event) bool { return ev.Message != nil && ev.Message.Attachment != "" })
	if ev.Message.From != webchat.FromCitizen || ev.Message.Attachment != up.Attachment || ev.Message.Seq != up.Seq {
		t.Errorf("the chat's listeners got %+v", ev.Message)
	}
	var again uploaded
	ce.must(ce.citizenImage("POST", "/public/chat/images", tok, testJPEG(t, 40, 30), map[string]string{"X-Client-Id": "img-1"}), 200, &again)
	if again != up {
		t.Errorf("the resend answered %+v, want %+v", again, up)
	}
	var n int
	if err := ce.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM chat_images WHERE chat_id = $1`, c.ID).Scan(&n); err != nil || n != 1 {
		t.Errorf("the chat has %d images (%v), want 1", n, err)
	}

	path := fmt.Sprintf("/public/chat/images/%d", up.ID)
	got := ce.citizenImage("GET", path, tok, nil, nil)
	if got.Status != 200 || got.Header.Get("Content-Type") != "image/jpeg" || got.Header.Get("X-Content-Type-Options") != "nosniff" ||
		got.Header.Get("Content-Security-Policy") != "sandbox" {
		t.Fatalf("download: %d %v", got.Status, got.Header)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(got.Body)); err != nil || cfg.Width != 40 {
		t.Errorf("the downloaded image: %+v, %v", cfg, err)
	}
	forged := webchat.NewToken()
	for _, c := range []struct {
		name   string
		tok    webchat.Token
		status int
	}{{"without a token", "", 401}, {"with a forged token", forged, 401}, {"with a malformed token", "not-a-token", 401},
		{"with another chat's token", otherTok, 404}} {
		if r := ce.citizenImage("GET", path, c.tok, nil, nil); r.Status != c.status {
			t.Errorf("download %s: %d, want %d: %s", c.name, r.Status, c.status, r.Body)
		}
	}
	if r := ce.citizenImage("GET", "/public/chat/images/999999", tok, nil, nil); r.Status != 404 {
		t.Errorf("download of no image: %d, want 404", r.Status)
	}
	if r := ce.citizenImage("POST", "/public/chat/images", forged, testJPEG(t, 8, 8), nil); r.Status != 401 {
		t.Errorf("upload with a forged token: %d, want 401", r.Status)
	}
	if r := ce.citizenImage("POST", "/public/chat/images", otherTok, testJPEG(t, 8, 8), nil); r.Status != 201 {
		t.Errorf("upload into the other chat: %d, want 201: %s", r.Status, r.Body)
	}

	staff := fmt.Sprintf("/api/v1/chats/%d/images/%d", c.ID, up.ID)
	for user, status := range map[string]int{"agent1": 200, "supervisor": 200, "admin": 200, "agent2": 404, "dept-rsj": 403} {
		r := ce.call(user, "GET", staff, nil)
		if r.Status != status {
			t.Errorf("%s reads the image: %d, want %d", user, r.Status, status)
		}
		if status == 200 && (r.Header.Get("Content-Type") != "image/jpeg" || r.Header.Get("Content-Security-Policy") != "sandbox") {
			t.Errorf("%s reads the image with %v", user, r.Header)
		}
	}
	if r := ce.call("supervisor", "GET", fmt.Sprintf("/api/v1/chats/%d/images/%d", other.ID, up.ID), nil); r.Status != 404 {
		t.Errorf("the image under another chat: %d, want 404", r.Status)
	}
}

// Uploads that are not images, too large, damaged, from another origin
// or into an ended chat are refused with their own status.
func TestChatImages_Refused(t *testing.T) {
	ce := newImageChatEnv(t)
	_, tok := ce.startChat("")
	jpg := testJPEG(t, 32, 32)
	for _, c := range []struct {
		name   string
		body   []byte
		header map[string]string
		status int
	}{
		{"an ELF program named photo.jpg", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 200)...), nil, 415},
		{"a ZIP archive", append([]byte("PK\x03\x04"), make([]byte, 200)...), nil, 415},
		{"6 MB", append(append([]byte{}, jpg...), make([]byte, 6<<20)...), nil, 413},
		{"a truncated JPEG", jpg[:len(jpg)/2], nil, 400},
		{"from another site", jpg, map[string]string{"Origin": "https://evil.example"}, 403},
	} {
		if r := ce.citizenImage("POST", "/public/chat/images", tok, c.body, c.header); r.Status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.status, r.Body)
		}
	}
	// The same through a multipart form, the way a plain HTML form sends it.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("file", "evil.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte("MZ\x90\x00 this is a Windows program")); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	if r := ce.citizenImage("POST", "/public/chat/images", tok, form.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()}); r.Status != 415 {
		t.Errorf("a program in a form: %d, want 415: %s", r.Status, r.Body)
	}
	c, err := ce.chats.Resume(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := ce.chats.Close(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	if r := ce.citizenImage("POST", "/public/chat/images", tok, jpg, nil); r.Status != 409 {
		t.Errorf("into an ended chat: %d, want 409: %s", r.Status, r.Body)
	}
	var n int
	if err := ce.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM chat_images`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d images stored (%v), want none", n, err)
	}
}

// multipartImage is a console's upload form with the image.
func multipartImage(t *testing.T, name string, data []byte) ([]byte, string) {
	t.Helper()
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return form.Bytes(), mw.FormDataContentType()
}

// Only the agent who has the chat sends images into it; a ticket made
// from the chat carries its transcript (phone numbers masked) and its
// images as attachments, once.
func TestChatImages_AgentSendsAndTheTicketCarriesTheChat(t *testing.T) {
	ce := newImageChatEnv(t)
	ctx := context.Background()
	c, tok := ce.startChat("agent1")
	if _, _, err := ce.chats.Say(ctx, c.ID, "路灯坏了，我的电话是13812345678", "q1"); err != nil {
		t.Fatal(err)
	}
	var citizenUp uploaded
	ce.must(ce.citizenImage("POST", "/public/chat/images", tok, testJPEG(t, 20, 10), nil), 201, &citizenUp)
	body, ct := multipartImage(t, "map.jpg", testJPEG(t, 12, 12))
	path := fmt.Sprintf("/api/v1/chats/%d/images", c.ID)
	if r := ce.callWith("agent2", "POST", path, body, ct); r.Status != 404 {
		t.Errorf("another agent's image: %d, want 404", r.Status)
	}
	var agentUp uploaded
	ce.must(ce.callWith("agent1", "POST", path, body, ct), 201, &agentUp)
	ms, err := ce.chats.Replay(ctx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := ms[len(ms)-1]
	if last.From != webchat.FromAgent || last.Agent != "agent1" || last.Attachment != agentUp.Attachment {
		t.Errorf("the agent's image is stored as %+v", last)
	}

	key := "chat-ticket-1"
	create := func() response {
		js := fmt.Sprintf(`{"kind":"complaint","channel":"webchat","title":"路灯不亮","content":"市民反映路灯不亮","chat_id":"%d",
			"citizen":{"name":"李四","phone":"13812345678"}}`, c.ID)
		req, err := http.NewRequest("POST", ce.srv.URL+"/api/v1/tickets", strings.NewReader(js))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+ce.tokens["agent1"])
		req.Header.Set("Idempotency-Key", key)
		return ce.do(req)
	}
	var tk ticket
	ce.must(create(), 201, &tk)
	var atts struct {
		Items []struct {
			ID          int64
			Name        string
			ContentType string `json:"content_type"`
		}
	}
	ce.must(ce.call("agent1", "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID), nil), 200, &atts)
	if len(atts.Items) != 3 {
		t.Fatalf("the ticket has %d attachments, want the transcript and 2 images: %+v", len(atts.Items), atts.Items)
	}
	wantName := fmt.Sprintf("会话记录-%d.txt", c.ID)
	if a := atts.Items[0]; a.Name != wantName || a.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("the first attachment is %+v, want %s", a, wantName)
	}
	for i, seq := range []int{citizenUp.Seq, agentUp.Seq} {
		if a := atts.Items[i+1]; a.ContentType != "image/jpeg" || a.Name != fmt.Sprintf("会话图片-%d-%d.jpg", c.ID, seq) {
			t.Errorf("attachment %d is %+v", i+1, a)
		}
	}
	r := ce.call("dept-rsj", "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", tk.ID, atts.Items[0].ID), nil)
	if r.Status != 404 { // not dispatched to the department: it may not see the ticket
		t.Errorf("a department reads an undispatched ticket's transcript: %d", r.Status)
	}
	r = ce.call("agent1", "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments/%d", tk.ID, atts.Items[0].ID), nil)
	text := string(r.Body)
	for _, want := range []string{"\uFEFF", "市民：路灯坏了，我的电话是138****5678", fmt.Sprintf("[图片：会话图片-%d-%d.jpg]", c.ID, citizenUp.Seq),
		"坐席 agent1：", "2026-09-30 10:00:00"} {
		if !strings.Contains(text, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "13812345678") {
		t.Errorf("the transcript shows the phone number:\n%s", text)
	}

	ce.must(create(), 201, nil) // a replay of the same request
	ce.must(ce.call("agent1", "GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", tk.ID), nil), 200, &atts)
	if len(atts.Items) != 3 {
		t.Errorf("after the replay the ticket has %d attachments, want 3", len(atts.Items))
	}
}
