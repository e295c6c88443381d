package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/open12345/hotline/auth"
)

// A conversation in which both sides keep writing: the citizen's socket
// is cut in the middle (and the agent's console reconnects), then the
// server restarts under both. Afterwards the stored transcript holds every
// message once, the citizen received exactly 1…N in order, and the
// agent's console every seq.
func TestServe_ChatLosesNothingWhenCutOrRestarted(t *testing.T) {
	cfg := demoConfig(t)
	cfg.ChatOrigins = []string{portal}
	start := func() *Main {
		m := NewMain(cfg, slog.New(slog.DiscardHandler))
		m.Hasher = auth.FastHasher()
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := start()
	defer func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	token := loginToken(t, m.HTTPAddr(), "agent1")

	ag := &chatAgent{t: t, token: token, seen: map[int]int{}, acked: map[string]bool{}, reqClient: map[string]string{}}
	ag.connect(m.HTTPAddr())
	ag.ready()
	c := &chatCitizen{t: t, acked: map[string]bool{}}
	c.connect(m.HTTPAddr())
	c.send("转人工", "handoff")
	c.waitAck("handoff")
	ag.chatID = ag.accept()
	c.waitFor("agent.joined")

	// Both write; the citizen's socket is cut right after it sent c3.
	for i := range 4 {
		c.send(fmt.Sprintf("市民消息%d", i), fmt.Sprintf("c%d", i))
		ag.send(fmt.Sprintf("坐席回复%d", i), fmt.Sprintf("a%d", i))
	}
	c.cut()
	for i := 4; i < 7; i++ { // the agent goes on while the citizen is away
		ag.send(fmt.Sprintf("坐席回复%d", i), fmt.Sprintf("a%d", i))
	}
	ag.waitAcks()
	c.connect(m.HTTPAddr()) // resumes after the last seq it got, resends what had no ack
	// Now the agent's console drops and comes back while the citizen writes.
	ag.cut()
	for i := 4; i < 7; i++ {
		c.send(fmt.Sprintf("市民消息%d", i), fmt.Sprintf("c%d", i))
	}
	c.waitAcks()
	ag.connect(m.HTTPAddr())
	ag.waitSeq(c.lastSeq())

	// Both write again and the server restarts under them.
	for i := 7; i < 9; i++ {
		c.send(fmt.Sprintf("市民消息%d", i), fmt.Sprintf("c%d", i))
		ag.send(fmt.Sprintf("坐席回复%d", i), fmt.Sprintf("a%d", i))
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = start()
	c.connect(m.HTTPAddr())
	ag.connect(m.HTTPAddr())
	ag.ready()
	if id := ag.accept(); id != ag.chatID {
		t.Fatalf("after the restart agent1 was offered chat %d, want %d", id, ag.chatID)
	}
	ag.resend()
	for i := 9; i < 12; i++ {
		c.send(fmt.Sprintf("市民消息%d", i), fmt.Sprintf("c%d", i))
		ag.send(fmt.Sprintf("坐席回复%d", i), fmt.Sprintf("a%d", i))
	}
	c.waitAcks()
	ag.waitAcks()

	var stored []string
	rows, err := m.DB.Pool.Query(context.Background(), `SELECT seq, body FROM chat_messages WHERE chat_id = $1 ORDER BY seq`, ag.chatID)
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	for rows.Next() {
		var seq int
		var text string
		if err := rows.Scan(&seq, &text); err != nil {
			t.Fatal(err)
		}
		if seq != last+1 {
			t.Errorf("stored seq %d after %d", seq, last)
		}
		last = seq
		stored = append(stored, text)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		for _, text := range []string{fmt.Sprintf("市民消息%d", i), fmt.Sprintf("坐席回复%d", i)} {
			if n := countOf(stored, text); n != 1 {
				t.Errorf("%q is stored %d times, want once", text, n)
			}
		}
	}
	c.waitSeq(last)
	if want := seqsTo(last); !slices.Equal(c.seqs, want) {
		t.Errorf("the citizen received the seqs %v, want exactly %v", c.seqs, want)
	}
	ag.waitSeq(last)
	for seq := 1; seq <= last; seq++ {
		if ag.seen[seq] == 0 {
			t.Errorf("the agent's console never got seq %d", seq)
		}
	}
}

func countOf(texts []string, text string) int {
	n := 0
	for _, s := range texts {
		if s == text {
			n++
		}
	}
	return n
}

func seqsTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// loginToken logs user in with the demo password and returns the token.
func loginToken(t *testing.T, addr, user string) string {
	t.Helper()
	body, err := json.Marshal(map[string]string{"username": user, "password": browserPassword})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+addr+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.Token == "" {
		t.Fatalf("login %s: status %d, %v", user, resp.StatusCode, err)
	}
	return got.Token
}

// readFrame reads one envelope from conn within a deadline.
func readFrame(t *testing.T, conn *websocket.Conn, waiting string) (chatFrame, string) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var f struct {
		chatFrame
		ID string `json:"id"`
	}
	if err := conn.ReadJSON(&f); err != nil {
		t.Fatalf("read, waiting for %s: %v", waiting, err)
	}
	return f.chatFrame, f.ID
}

// chatCitizen is the citizen's side: its socket, what it has sent and
// what came back.
type chatCitizen struct {
	t     *testing.T
	conn  *websocket.Conn
	token string
	seqs  []int           // transcript seqs in the order received, over all sockets
	sent  [][2]string     // text and client id of every message sent
	acked map[string]bool // client ids acknowledged
}

func (c *chatCitizen) lastSeq() int {
	if len(c.seqs) == 0 {
		return 0
	}
	return c.seqs[len(c.seqs)-1]
}

// connect opens a socket and says hello, resuming the chat after the last
// seq received; then it resends every message that had no ack.
func (c *chatCitizen) connect(addr string) {
	c.t.Helper()
	c.conn = dialChat(c.t, addr)
	c.t.Cleanup(func() { c.conn.Close() })
	hello := map[string]any{}
	if c.token != "" {
		hello = map[string]any{"resume_token": c.token, "last_seq": c.lastSeq()}
	}
	c.write("hello", hello)
	w := c.waitFor("welcome")
	if c.token == "" {
		c.token = w.Data["resume_token"].(string)
	}
	for _, m := range c.sent {
		if !c.acked[m[1]] {
			c.write("message", map[string]string{"text": m[0], "client_id": m[1]})
		}
	}
}

// cut drops the socket without a close frame, as a lost network does.
func (c *chatCitizen) cut() {
	if err := c.conn.NetConn().Close(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *chatCitizen) write(typ string, data any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(map[string]any{"type": typ, "data": data}); err != nil {
		c.t.Fatalf("citizen: write %s: %v", typ, err)
	}
}

func (c *chatCitizen) send(text, clientID string) {
	c.t.Helper()
	c.sent = append(c.sent, [2]string{text, clientID})
	c.write("message", map[string]string{"text": text, "client_id": clientID})
}

// next reads one frame and records what it carries.
func (c *chatCitizen) next(waiting string) chatFrame {
	c.t.Helper()
	f, _ := readFrame(c.t, c.conn, waiting)
	switch f.Type {
	case "message", "bot":
		c.seqs = append(c.seqs, int(f.Data["seq"].(float64)))
	case "ack":
		c.acked[f.Data["client_id"].(string)] = true
	case "error":
		c.t.Fatalf("citizen: error %v, waiting for %s", f.Data, waiting)
	}
	return f
}

func (c *chatCitizen) waitFor(typ string) chatFrame {
	c.t.Helper()
	for {
		if f := c.next(typ); f.Type == typ {
			return f
		}
	}
}

func (c *chatCitizen) waitAck(clientID string) {
	c.t.Helper()
	for !c.acked[clientID] {
		c.next("the ack of " + clientID)
	}
}

func (c *chatCitizen) waitAcks() {
	c.t.Helper()
	for _, m := range c.sent {
		c.waitAck(m[1])
	}
}

func (c *chatCitizen) waitSeq(seq int) {
	c.t.Helper()
	for c.lastSeq() < seq {
		c.next(fmt.Sprintf("seq %d", seq))
	}
}

// chatAgent is agent1's console on /ws/agent.
type chatAgent struct {
	t      *testing.T
	conn   *websocket.Conn
	token  string
	chatID int64
	seen   map[int]int     // seq → times received
	sent   [][2]string     // text and client id
	acked  map[string]bool // client ids acknowledged
	reqs   int
	// reqClient is the client id each chat.send request carried.
	reqClient map[string]string
}

func (a *chatAgent) connect(addr string) {
	a.t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"hotline.v1", "bearer." + a.token}}
	conn, resp, err := d.Dial("ws://"+addr+"/ws/agent", http.Header{"Origin": {"http://" + addr}})
	if err != nil {
		a.t.Fatalf("dial /ws/agent: %v", err)
	}
	resp.Body.Close()
	a.conn = conn
	a.t.Cleanup(func() { conn.Close() })
}

func (a *chatAgent) cut() {
	if err := a.conn.NetConn().Close(); err != nil {
		a.t.Fatal(err)
	}
}

// request writes one request and returns its id.
func (a *chatAgent) request(typ string, data any) string {
	a.t.Helper()
	a.reqs++
	id := fmt.Sprintf("r%d", a.reqs)
	if err := a.conn.WriteJSON(map[string]any{"type": typ, "id": id, "data": data}); err != nil {
		a.t.Fatalf("agent: write %s: %v", typ, err)
	}
	return id
}

// next reads one frame and records the chat's messages it carries.
func (a *chatAgent) next(waiting string) (chatFrame, string) {
	a.t.Helper()
	f, id := readFrame(a.t, a.conn, waiting)
	switch f.Type {
	case "chat.message":
		if int64(f.Data["chat_id"].(float64)) == a.chatID {
			a.seen[int(f.Data["seq"].(float64))]++
		}
	case "ack":
		if cid, ok := a.reqClient[id]; ok {
			a.acked[cid] = true
		}
	case "error":
		a.t.Fatalf("agent: error %v (request %s), waiting for %s", f.Data, id, waiting)
	}
	return f, id
}

func (a *chatAgent) waitAckOf(req string) {
	a.t.Helper()
	for {
		if f, id := a.next("the ack of " + req); f.Type == "ack" && id == req {
			return
		}
	}
}

func (a *chatAgent) ready() {
	a.t.Helper()
	a.waitAckOf(a.request("presence.set", map[string]string{"state": "ready"}))
}

// accept waits for the chat's offer, accepts it and returns the chat id.
func (a *chatAgent) accept() int64 {
	a.t.Helper()
	for {
		f, _ := a.next("an offer")
		if f.Type != "offer" {
			continue
		}
		a.waitAckOf(a.request("offer.accept", map[string]any{"offer_id": f.Data["offer_id"]}))
		ref, _ := f.Data["ref"].(string)
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil || f.Data["channel"] != "chat" {
			a.t.Fatalf("offer %v: not a chat", f.Data)
		}
		return id
	}
}

func (a *chatAgent) send(text, clientID string) {
	a.t.Helper()
	a.sent = append(a.sent, [2]string{text, clientID})
	a.sendChat(text, clientID)
}

func (a *chatAgent) sendChat(text, clientID string) {
	a.t.Helper()
	a.reqClient[a.request("chat.send", map[string]any{"chat_id": a.chatID, "text": text, "client_id": clientID})] = clientID
}

// resend sends again what had no ack when the socket went.
func (a *chatAgent) resend() {
	a.t.Helper()
	for _, m := range a.sent {
		if !a.acked[m[1]] {
			a.sendChat(m[0], m[1])
		}
	}
}

func (a *chatAgent) waitAcks() {
	a.t.Helper()
	for _, m := range a.sent {
		for !a.acked[m[1]] {
			a.next("the ack of " + m[1])
		}
	}
}

func (a *chatAgent) waitSeq(seq int) {
	a.t.Helper()
	for a.seen[seq] == 0 {
		a.next(fmt.Sprintf("seq %d", seq))
	}
}
