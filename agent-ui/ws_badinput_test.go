package agentui_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
)

// bystander is a second agent whose console must keep working while
// another connection misbehaves.
func bystander(e *env) func() {
	e.t.Helper()
	other := e.mustWS("agent2")
	other.await("presence", nil, nil)
	return func() {
		e.t.Helper()
		for _, state := range []string{"ready", "not_ready"} {
			if m := other.request("presence.set", map[string]string{"state": state}); m.Type != "ack" {
				e.t.Fatalf("bystander's presence.set: %s %s", m.Type, m.Data)
			}
		}
	}
}

func TestWS_BadInput(t *testing.T) {
	e := newEnv(t)
	stillFine := bystander(e)

	t.Run("InvalidJSONCloses", func(t *testing.T) {
		c := e.mustWS("agent1")
		if err := c.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"presence.set",`)); err != nil {
			t.Fatal(err)
		}
		if code := c.closedWith(); code != websocket.CloseInvalidFramePayloadData {
			t.Fatalf("close code %d, want 1007", code)
		}
		stillFine()
	})
	t.Run("BinaryFrameCloses", func(t *testing.T) {
		c := e.mustWS("agent1")
		if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte{0, 1, 2}); err != nil {
			t.Fatal(err)
		}
		if code := c.closedWith(); code != websocket.CloseInvalidFramePayloadData {
			t.Fatalf("close code %d, want 1007", code)
		}
	})
	t.Run("UnknownTypeAndBadDataGetErrors", func(t *testing.T) {
		c := e.mustWS("agent1")
		for _, req := range []struct {
			kind string
			data any
			want string
		}{
			{"launch.missiles", map[string]any{}, "unknown message type"},
			{"presence.set", "not an object", "bad data"},
			{"presence.set", map[string]string{"state": "asleep"}, "state must be"},
			{"presence.set", map[string]string{"state": "not_ready", "reason": "<script>"}, "unknown reason"},
			{"offer.accept", map[string]string{"offer_id": "o-forged"}, "offer has ended"},
			{"contact.end", map[string]string{"contact_id": "someone-elses"}, "no contact"},
			{"chat.send", map[string]string{"chat_id": "x", "text": "hi"}, "web chat"},
			{strings.Repeat("x", 5000), nil, "unknown message type"},
			{"presence.set", map[string]string{"state": "not_ready", "reason": "break\x00"}, "control character U+0000"},
			{"offer.accept", map[string]string{"offer_id": "o-\u202e1"}, "control character U+202E"},
		} {
			m := c.request(req.kind, req.data)
			if m.Type != "error" || !strings.Contains(string(m.Data), req.want) {
				t.Errorf("%.20s: got %s %s, want an error about %q", req.kind, m.Type, m.Data, req.want)
			}
		}
		// Still open and working.
		if m := c.request("presence.set", map[string]string{"state": "ready"}); m.Type != "ack" {
			t.Fatalf("after errors: %s %s", m.Type, m.Data)
		}
		stillFine()
	})
	t.Run("TooManyErrorsClose", func(t *testing.T) {
		c := e.mustWS("agent1")
		// One more than the limit: the server closes after reading the
		// last one, so no write meets a closed socket.
		for range 20 + 1 {
			c.send(map[string]any{"type": "nope"})
		}
		if code := c.closedWith(); code != websocket.ClosePolicyViolation {
			t.Fatalf("close code %d, want 1008", code)
		}
	})
	t.Run("OversizedFrameCloses", func(t *testing.T) {
		c := e.mustWS("agent1")
		big := `{"type":"presence.set","data":{"state":"ready","reason":"` + strings.Repeat("长", 5000) + `"}}`
		if err := c.conn.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
			t.Fatal(err)
		}
		if code := c.closedWith(); code != websocket.CloseMessageTooBig {
			t.Fatalf("close code %d, want 1009", code)
		}
		stillFine()
	})
	t.Run("WrongOriginRefused", func(t *testing.T) {
		_, resp, err := e.dialWS("agent1", http.Header{"Origin": {"https://evil.example"}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("evil origin: err %v, resp %v", err, resp)
		}
		own := http.Header{"Origin": {e.srv.URL}}
		c, _, err := e.dialWS("agent1", own)
		if err != nil {
			t.Fatalf("own origin: %v", err)
		}
		c.await("session", nil, nil)
	})
	t.Run("NoOrBadTokenRefused", func(t *testing.T) {
		for _, protocols := range [][]string{nil, {"hotline.v1", "bearer.forged"}, {"hotline.v1", "bearer." + strings.Repeat("a", 300)}} {
			d := websocket.Dialer{Subprotocols: protocols}
			_, resp, err := d.Dial("ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws/agent", nil)
			if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("protocols %.40v: err %v, resp %v", protocols, err, resp)
			}
		}
	})
	t.Run("TokenInURLIgnored", func(t *testing.T) {
		d := websocket.Dialer{}
		_, resp, err := d.Dial("ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws/agent?token="+e.tokens["agent1"], nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("token in URL: err %v, resp %v", err, resp)
		}
	})
	t.Run("TooManyTabsRefused", func(t *testing.T) {
		for range 8 {
			e.mustWS("supervisor").await("session", nil, nil)
		}
		_, resp, err := e.dialWS("supervisor", nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("ninth tab: err %v, resp %v", err, resp)
		}
	})
}

// A client that never reads is dropped; the others keep getting their
// messages meanwhile.
func TestWS_ClientThatNeverReadsIsDropped(t *testing.T) {
	e := newEnv(t)
	stillFine := bystander(e)
	d := websocket.Dialer{
		Subprotocols: []string{"hotline.v1", "bearer." + e.tokens["agent1"]},
		NetDial: func(network, addr string) (net.Conn, error) {
			conn, err := net.Dial(network, addr)
			if err == nil {
				// A tiny receive window: the server's writes block soon.
				err = conn.(*net.TCPConn).SetReadBuffer(1024)
			}
			return conn, err
		},
	}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws/agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Ask for many replies and never read one.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		state := []string{"ready", "not_ready"}[i%2]
		if err := conn.WriteJSON(map[string]any{"type": "presence.set", "data": map[string]string{"state": state}}); err != nil {
			break // the server closed it
		}
		if i%200 == 0 {
			stillFine()
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never dropped a client that does not read")
		}
	}
	stillFine()
	r := e.call("", "GET", "/metrics", nil)
	if !strings.Contains(string(r.Body), "hotline_ws_dropped_total 1") {
		t.Fatalf("the drop was not for slowness:\n%s", grepLines(string(r.Body), "hotline_ws"))
	}
}

// Logging out closes the session's sockets, and an agent left with no
// tab leaves routing at once.
func TestWS_LogoutClosesSocketAndLeavesRouting(t *testing.T) {
	e := newEnv(t)
	var login struct{ Token string }
	e.must(e.call("", "POST", "/api/v1/login", map[string]string{"username": "agent1", "password": testPassword}), 200, &login)
	d := websocket.Dialer{Subprotocols: []string{"hotline.v1", "bearer." + login.Token}}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws/agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &wsConn{t: t, conn: conn}
	defer conn.Close()
	c.await("session", nil, nil)
	req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+login.Token)
	if r := e.do(req); r.Status != http.StatusNoContent && r.Status != http.StatusOK {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if code := c.closedWith(); code != 4001 {
		t.Fatalf("close code %d, want 4001", code)
	}
	// At once: the fake clock does not move, so no grace period passes.
	testenv.Eventually(t, "agent1 out of routing", e.agentIs("agent1", routing.Offline))
}

// An expired session closes the socket at the next check, and cannot
// open a new one.
func TestWS_ExpiredSession(t *testing.T) {
	e := newEnv(t)
	c := e.mustWS("agent1")
	c.await("session", nil, nil)
	e.clock.Advance(91 * 24 * time.Hour) // past the sessions' lifetime
	if code := c.closedWith(); code != 4001 {
		t.Fatalf("close code %d, want 4001", code)
	}
	_, resp, err := e.dialWS("agent1", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired token: err %v, resp %v", err, resp)
	}
	if v, ok := e.routing.Agent("agent1"); !ok || v.ID != "agent1" {
		t.Fatalf("agent1 was never in routing: %+v", v)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
