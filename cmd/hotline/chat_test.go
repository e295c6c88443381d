package main

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres/pgtest"
)

const portal = "https://portal.example.gov.cn"

type chatFrame struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

func dialChat(t *testing.T, addr string) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws/chat", http.Header{"Origin": {portal}})
	if err != nil {
		t.Fatalf("dial /ws/chat: %v", err)
	}
	resp.Body.Close()
	return conn
}

// readUntil reads chat frames until one of type typ, returning the
// transcript seqs seen on the way and that frame.
func readUntil(t *testing.T, conn *websocket.Conn, typ string) ([]int, chatFrame) {
	t.Helper()
	var seqs []int
	for {
		if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		var f chatFrame
		if err := conn.ReadJSON(&f); err != nil {
			t.Fatalf("read, waiting for %s: %v", typ, err)
		}
		if f.Type == "message" || f.Type == "bot" {
			seqs = append(seqs, int(f.Data["seq"].(float64)))
		}
		if f.Type == typ {
			return seqs, f
		}
		if f.Type == "error" {
			t.Fatalf("error %v, waiting for %s", f.Data, typ)
		}
	}
}

// A chat goes on across a server restart: the citizen reconnects with
// the resume token into the same chat and gets the whole transcript, in
// order; numbering goes on from there.
func TestServe_ChatSurvivesARestart(t *testing.T) {
	db := pgtest.NewDB(t)
	cfg := configFromEnv(func(string) string { return "" })
	cfg.DatabaseURL, cfg.RedisURL, cfg.HTTPAddr, cfg.SIPAddr = db.Pool.Config().ConnString(), testenv.StartRedis(t).URL(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir, cfg.ChatOrigins = t.TempDir(), []string{portal}
	start := func() *Main {
		m := NewMain(cfg, slog.New(slog.DiscardHandler))
		m.Hasher = auth.FastHasher()
		if err := m.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := start()
	conn := dialChat(t, first.HTTPAddr())
	if err := conn.WriteJSON(map[string]any{"type": "hello", "data": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	_, welcome := readUntil(t, conn, "welcome")
	token := welcome.Data["resume_token"].(string)
	if err := conn.WriteJSON(map[string]any{"type": "message", "data": map[string]string{"text": "这个问题没有指南", "client_id": "a1"}}); err != nil {
		t.Fatal(err)
	}
	readUntil(t, conn, "ack")
	conn.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := start()
	t.Cleanup(func() {
		if err := second.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if _, resp, err := websocket.DefaultDialer.Dial("ws://"+second.HTTPAddr()+"/ws/chat", http.Header{"Origin": {"https://evil.example.com"}}); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a page of another origin opened the chat: %v", err)
	}
	conn = dialChat(t, second.HTTPAddr())
	defer conn.Close()
	if err := conn.WriteJSON(map[string]any{"type": "hello", "data": map[string]any{"resume_token": token, "last_seq": 0}}); err != nil {
		t.Fatal(err)
	}
	_, again := readUntil(t, conn, "welcome")
	if again.Data["chat_id"] != welcome.Data["chat_id"] || again.Data["last_seq"] != float64(3) {
		t.Fatalf("after the restart: welcome %v, want chat %v at seq 3", again.Data, welcome.Data["chat_id"])
	}
	if err := conn.WriteJSON(map[string]any{"type": "message", "data": map[string]string{"text": "转人工", "client_id": "a2"}}); err != nil {
		t.Fatal(err)
	}
	seqs, ack := readUntil(t, conn, "ack")
	if len(seqs) < 3 || seqs[0] != 1 || seqs[1] != 2 || seqs[2] != 3 || ack.Data["seq"] != float64(4) {
		t.Fatalf("after the restart the transcript came as %v and the next message got %v; want 1 2 3, then 4", seqs, ack.Data)
	}
}
