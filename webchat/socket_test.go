package webchat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/webchat"
)

// chatServer serves the citizens' socket over a fresh service; new chats
// are allowed while allowNew is set.
type chatServer struct {
	svc      *webchat.Service
	store    *postgres.ChatStore
	url      string
	allowNew atomic.Bool
}

func newChatServer(t *testing.T) *chatServer {
	t.Helper()
	svc, store := newService(t)
	cs := &chatServer{svc: svc, store: store}
	cs.allowNew.Store(true)
	sock := webchat.NewSocket(svc, webchat.SocketConfig{
		OriginAllowed: func(r *http.Request) bool {
			o := r.Header.Get("Origin")
			return o == "" || o == "https://portal.example.gov.cn"
		},
		ClientAddr:   func(*http.Request) string { return "198.51.100.9" },
		AllowNewChat: func(string) bool { return cs.allowNew.Load() },
	})
	srv := httptest.NewServer(sock)
	t.Cleanup(srv.Close)
	cs.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return cs
}

type frame struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

type citizen struct {
	t    *testing.T
	conn *websocket.Conn
}

func (cs *chatServer) dial(t *testing.T) *citizen {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(cs.url, http.Header{"Origin": {"https://portal.example.gov.cn"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	return &citizen{t: t, conn: conn}
}

func (c *citizen) send(typ string, data any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(map[string]any{"type": typ, "data": data}); err != nil {
		c.t.Fatalf("send %s: %v", typ, err)
	}
}

// next returns the next frame, failing after 5 s.
func (c *citizen) next() frame {
	c.t.Helper()
	if err := c.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		c.t.Fatal(err)
	}
	var f frame
	if err := c.conn.ReadJSON(&f); err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

// expect returns the next frame, which must be of type typ.
func (c *citizen) expect(typ string) map[string]any {
	c.t.Helper()
	f := c.next()
	if f.Type != typ {
		c.t.Fatalf("got %s %s, want %s", f.Type, f.Data, typ)
	}
	var d map[string]any
	if err := json.Unmarshal(f.Data, &d); err != nil {
		c.t.Fatal(err)
	}
	return d
}

// hello starts or resumes a chat and returns the welcome.
func (c *citizen) hello(token string, lastSeq int) map[string]any {
	c.t.Helper()
	c.send("hello", map[string]any{"resume_token": token, "last_seq": lastSeq})
	return c.expect("welcome")
}

// seqs reads transcript frames until it has n and returns their seqs.
func (c *citizen) seqs(n int) []int {
	c.t.Helper()
	var out []int
	for len(out) < n {
		f := c.next()
		if f.Type != "message" && f.Type != "bot" {
			continue
		}
		var d struct{ Seq int }
		if err := json.Unmarshal(f.Data, &d); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, d.Seq)
	}
	return out
}

// acked reads the ack of a message sent and n transcript frames, in
// whatever order they come (the message's own copy may pass its ack).
func (c *citizen) acked(n int) (ack map[string]any, seqs []int) {
	c.t.Helper()
	for ack == nil || len(seqs) < n {
		f := c.next()
		switch f.Type {
		case "ack":
			if err := json.Unmarshal(f.Data, &ack); err != nil {
				c.t.Fatal(err)
			}
		case "message", "bot":
			var d struct{ Seq int }
			if err := json.Unmarshal(f.Data, &d); err != nil {
				c.t.Fatal(err)
			}
			seqs = append(seqs, d.Seq)
		default:
			c.t.Fatalf("got %s %s, want an ack or a message", f.Type, f.Data)
		}
	}
	return ack, seqs
}

func seqRange(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestSocket_ConversationAndLosslessResume(t *testing.T) {
	cs := newChatServer(t)
	a := cs.dial(t)
	w := a.hello("", 0)
	token, _ := w["resume_token"].(string)
	if token == "" || w["chat_id"] == nil {
		t.Fatalf("welcome = %v, want a chat and its token", w)
	}
	if g := a.expect("bot"); g["seq"] != float64(1) || !strings.Contains(g["text"].(string), "12345") {
		t.Fatalf("greeting = %v", g)
	}
	a.send("message", map[string]string{"text": "公积金怎么提取", "client_id": "m1"})
	if ack, got := a.acked(2); ack["seq"] != float64(2) || ack["client_id"] != "m1" || fmt.Sprint(got) != "[2 3]" {
		t.Fatalf("ack = %v, then seqs %v; want seq 2 for m1, then the question and the bot's answer", ack, got)
	}

	// The socket is cut; the citizen's other tab keeps writing meanwhile.
	a.conn.Close()
	chatID := int64(w["chat_id"].(float64))
	for i := range 3 {
		if _, _, err := cs.svc.Say(context.Background(), chatID, fmt.Sprintf("补充说明%d", i), fmt.Sprintf("tab2-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	b := cs.dial(t)
	if w2 := b.hello(token, 3); w2["chat_id"] != w["chat_id"] || w2["last_seq"] != float64(6) {
		t.Fatalf("resumed welcome = %v, want chat %v at seq 6", w2, w["chat_id"])
	}
	if got := b.seqs(3); fmt.Sprint(got) != fmt.Sprint(seqRange(4, 6)) {
		t.Fatalf("after resuming at 3 the socket sent %v, want exactly 4 5 6", got)
	}
	// A resend after the cut stores nothing: the same seq again.
	b.send("message", map[string]string{"text": "公积金怎么提取", "client_id": "m1"})
	if ack := b.expect("ack"); ack["seq"] != float64(2) {
		t.Fatalf("resent m1 acknowledged as %v, want seq 2", ack)
	}
	b.send("message", map[string]string{"text": "转人工", "client_id": "m2"})
	if ack, got := b.acked(2); ack["seq"] != float64(7) || fmt.Sprint(got) != "[7 8]" {
		t.Fatalf("ack = %v, then seqs %v; want seq 7, then the message and the hand-off notice", ack, got)
	}
	ms, err := cs.svc.Replay(context.Background(), chatID, 0)
	if err != nil || len(ms) != 8 {
		t.Fatalf("stored transcript: %d messages, %v; want 8", len(ms), err)
	}
}

// Two writers' messages are stored in seq order but may reach the hub in
// the other: the socket fills the gap from the store, so the citizen gets
// every seq once and in order.
func TestSocket_MessagesPublishedOutOfOrderArriveInOrder(t *testing.T) {
	cs := newChatServer(t)
	a := cs.dial(t)
	w := a.hello("", 0)
	a.expect("bot") // seq 1, the greeting
	chatID := int64(w["chat_id"].(float64))
	ctx := context.Background()
	late, _, err := cs.store.Append(ctx, webchat.Message{ChatID: chatID, From: webchat.FromCitizen, Text: "先存的", At: t0, ClientID: "late"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cs.svc.Say(ctx, chatID, "后存的", "early"); err != nil { // seq 3, published first
		t.Fatal(err)
	}
	cs.svc.Hub().Publish(late) // seq 2, published last
	if _, _, err := cs.svc.Say(ctx, chatID, "再一条", "next"); err != nil {
		t.Fatal(err)
	}
	if got := a.seqs(3); fmt.Sprint(got) != "[2 3 4]" {
		t.Fatalf("the socket sent %v, want 2 3 4", got)
	}
}

// Closing asks for a rating, which is stored once.
func TestSocket_CloseAndRate(t *testing.T) {
	cs := newChatServer(t)
	a := cs.dial(t)
	a.hello("", 0)
	a.seqs(1)
	a.send("rate", map[string]int{"score": 5})
	if e := a.expect("error"); e["code"] != "conflict" {
		t.Fatalf("rating an open chat: %v, want conflict", e)
	}
	a.send("close", nil)
	a.seqs(1) // the closing notice
	a.expect("rate.request")
	a.send("rate", map[string]int{"score": 9})
	if e := a.expect("error"); e["code"] != "invalid" {
		t.Fatalf("rating 9: %v, want invalid", e)
	}
	a.send("rate", map[string]int{"score": 4})
	a.send("rate", map[string]int{"score": 5})
	if e := a.expect("error"); e["code"] != "conflict" {
		t.Fatalf("rating twice: %v, want conflict", e)
	}
	a.send("message", map[string]string{"text": "还在吗", "client_id": "late"})
	if e := a.expect("error"); e["code"] != "conflict" {
		t.Fatalf("a message after closing: %v, want conflict", e)
	}
}

func TestSocket_RefusesHostileInput(t *testing.T) {
	cs := newChatServer(t)
	victim := cs.dial(t)
	vw := victim.hello("", 0)
	victim.seqs(1)

	ends := func(name string, c *citizen, code string) {
		t.Helper()
		if e := c.expect("error"); e["code"] != code {
			t.Errorf("%s: error %v, want %s", name, e, code)
		}
		if err := c.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.conn.ReadMessage(); err == nil {
			t.Errorf("%s: the socket stays open", name)
		}
	}
	c := cs.dial(t)
	c.send("message", map[string]string{"text": "你好"})
	ends("a message before hello", c, "invalid")

	c = cs.dial(t)
	c.send("hello", map[string]any{"resume_token": "forged-token-forged-token-forged-token-forged"})
	ends("a forged token", c, "unauthorized")

	c = cs.dial(t)
	c.send("hello", map[string]any{"resume_token": webchat.NewToken()})
	ends("a well-formed token of no chat", c, "unauthorized")

	for name, payload := range map[string][]byte{
		"invalid JSON": []byte(`{"type": "message", "data": {`),
		"no type":      []byte(`{"data": {}}`),
	} {
		c = cs.dial(t)
		c.hello("", 0)
		c.seqs(1)
		if err := c.conn.WriteMessage(websocket.TextMessage, payload); err != nil {
			t.Fatal(err)
		}
		ends(name, c, "invalid")
	}
	c = cs.dial(t)
	c.hello("", 0)
	c.seqs(1)
	big := `{"type":"message","data":{"text":"` + strings.Repeat("长", 34000) + `","client_id":"big"}}`
	// The server closes as soon as the frame passes its limit, so the
	// rest of the write may meet a reset connection.
	writeErr := c.conn.WriteMessage(websocket.TextMessage, []byte(big))
	if err := c.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.conn.ReadMessage(); err == nil || (writeErr == nil && !websocket.IsCloseError(err, websocket.CloseMessageTooBig)) {
		t.Errorf("a 100 KB frame: %v (write: %v), want the socket closed with 1009 (message too big)", err, writeErr)
	}
	c = cs.dial(t)
	c.hello("", 0)
	c.seqs(1)
	if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte{0x4d, 0x5a, 0x90, 0x00}); err != nil {
		t.Fatal(err)
	}
	ends("a binary frame", c, "invalid")

	// Script tags are text: stored and sent back as they were typed.
	c = cs.dial(t)
	c.hello("", 0)
	c.seqs(1)
	c.send("message", map[string]string{"text": "<script>alert(1)</script>", "client_id": "x"})
	for acked, echoed := false, false; !acked || !echoed; {
		f := c.next()
		switch f.Type {
		case "ack":
			acked = true
		case "message":
			var m struct{ Text string }
			if err := json.Unmarshal(f.Data, &m); err != nil || m.Text != "<script>alert(1)</script>" {
				t.Errorf("script text came back as %s (%v)", f.Data, err)
			}
			echoed = true
		}
	}

	// A flood: past the burst, messages are refused and not stored.
	refused := 0
	for i := range 30 {
		c.send("message", map[string]string{"text": fmt.Sprintf("刷屏%d", i), "client_id": fmt.Sprintf("f%d", i)})
	}
	for range 30 {
		for f := c.next(); ; f = c.next() {
			if f.Type == "ack" {
				break
			}
			if f.Type == "error" {
				refused++
				break
			}
		}
	}
	if refused == 0 {
		t.Error("30 messages at once were all accepted")
	}

	// New chats from one address are refused once the edge says so.
	cs.allowNew.Store(false)
	c = cs.dial(t)
	c.send("hello", map[string]any{})
	ends("a new chat over the address's limit", c, "rate_limited")

	// Another origin may not open the socket at all.
	if _, resp, err := websocket.DefaultDialer.Dial(cs.url, http.Header{"Origin": {"https://evil.example.com"}}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a foreign origin: %v, want 403", err)
	}

	// None of it touched the victim's chat.
	ms, err := cs.svc.Replay(context.Background(), int64(vw["chat_id"].(float64)), 0)
	if err != nil || len(ms) != 1 {
		t.Errorf("the victim's chat has %d messages, %v; want only its greeting", len(ms), err)
	}
}
