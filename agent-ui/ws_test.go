package agentui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/open12345/hotline/eventbus"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
)

// wsConn is a test console tab.
type wsConn struct {
	t       *testing.T
	conn    *websocket.Conn
	seq     int
	skipped []wsMsg // read while waiting for a reply: await sees them first
}

type wsMsg struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

// dialWS opens /ws/agent as user with the bearer subprotocol; header may
// add an Origin.
func (e *env) dialWS(user string, header http.Header) (*wsConn, *http.Response, error) {
	e.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if user != "" {
		d.Subprotocols = []string{"hotline.v1", "bearer." + e.tokens[user]}
	}
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws/agent"
	conn, resp, err := d.Dial(url, header)
	if err != nil {
		return nil, resp, err
	}
	c := &wsConn{t: e.t, conn: conn}
	e.t.Cleanup(func() { conn.Close() })
	return c, resp, nil
}

func (e *env) mustWS(user string) *wsConn {
	e.t.Helper()
	c, resp, err := e.dialWS(user, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		e.t.Fatalf("dial as %s: %v (HTTP %d)", user, err, status)
	}
	if got := c.conn.Subprotocol(); got != "hotline.v1" {
		e.t.Fatalf("subprotocol %q, want hotline.v1", got)
	}
	return c
}

// read returns the next message, failing after a few seconds.
func (c *wsConn) read() (wsMsg, error) {
	if len(c.skipped) > 0 {
		m := c.skipped[0]
		c.skipped = c.skipped[1:]
		return m, nil
	}
	if err := c.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return wsMsg{}, err
	}
	var m wsMsg
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("not JSON: %s", data)
	}
	return m, nil
}

// await reads until a message of type kind whose data satisfies ok
// (nil: any) arrives, and decodes its data into out (nil: skip).
func (c *wsConn) await(kind string, ok func(json.RawMessage) bool, out any) wsMsg {
	c.t.Helper()
	for {
		m, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", kind, err)
		}
		if m.Type == kind && (ok == nil || ok(m.Data)) {
			if out != nil {
				if err := json.Unmarshal(m.Data, out); err != nil {
					c.t.Fatalf("%s data: %v", kind, err)
				}
			}
			return m
		}
	}
}

// request sends a message and returns its ack or error reply.
func (c *wsConn) request(kind string, data any) wsMsg {
	c.t.Helper()
	c.seq++
	id := fmt.Sprintf("r%d", c.seq)
	c.send(map[string]any{"type": kind, "id": id, "data": data})
	var skipped []wsMsg
	defer func() { c.skipped = append(c.skipped, skipped...) }()
	for {
		m, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for the reply to %s: %v", kind, err)
		}
		if m.ID == id && (m.Type == "ack" || m.Type == "error") {
			return m
		}
		skipped = append(skipped, m)
	}
}

func (c *wsConn) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// closedWith waits for the server to close the connection and returns the code.
func (c *wsConn) closedWith() int {
	c.t.Helper()
	for {
		_, err := c.read()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		c.t.Fatalf("connection ended without a close frame: %v", err)
	}
}

// publish puts a ticket notice on the bus the hub listens to.
func (e *env) publish(topic, event string, ticketID int64) {
	e.bus.Publish(context.Background(), eventbus.Notice{Topic: topic, Type: event, TicketID: ticketID, At: e.clock.Now()})
}

func stateIs(s routing.State) func(json.RawMessage) bool {
	return func(d json.RawMessage) bool {
		var v routing.AgentView
		return json.Unmarshal(d, &v) == nil && v.State == s
	}
}

func TestWS_AgentTakesAContactWithScreenPop(t *testing.T) {
	e := newEnv(t)
	past := e.newTicket("complaint", map[string]any{"citizen": map[string]any{"name": "张三", "phone": "13800001234"}})
	sup := e.mustWS("supervisor")
	sup.await("session", nil, nil)
	agent := e.mustWS("agent1")
	var session struct {
		User   struct{ Username, Role string }
		Queues []routing.QueueConfig
	}
	agent.await("session", nil, &session)
	if session.User.Username != "agent1" || session.User.Role != "agent" || len(session.Queues) == 0 {
		t.Fatalf("session: %+v", session)
	}
	agent.await("presence", stateIs(routing.NotReady), nil)
	if ack := agent.request("presence.set", map[string]string{"state": "ready"}); ack.Type != "ack" {
		t.Fatalf("presence.set: %s %s", ack.Type, ack.Data)
	}

	r := e.call("supervisor", "POST", "/api/v1/routing/contacts", map[string]any{"channel": "voice", "queue": "complaint", "caller": "13800001234"})
	e.must(r, 201, nil)
	var offer struct {
		OfferID        string `json:"offer_id"`
		Caller, Queue  string
		QueueTitle     string `json:"queue_title"`
		CitizenHistory struct {
			Tickets []struct{ Number string }
		} `json:"citizen_history"`
	}
	agent.await("offer", nil, &offer)
	if offer.Caller != "13800001234" || offer.QueueTitle != "投诉举报" || len(offer.CitizenHistory.Tickets) != 1 ||
		offer.CitizenHistory.Tickets[0].Number != past.Number {
		t.Fatalf("offer: %+v", offer)
	}
	ack := agent.request("offer.accept", map[string]string{"offer_id": offer.OfferID})
	var contact routing.ContactView
	if err := json.Unmarshal(ack.Data, &contact); ack.Type != "ack" || err != nil || contact.Status != routing.Connected {
		t.Fatalf("accept: %s %s", ack.Type, ack.Data)
	}
	// Wallboards go out at most once per interval, on the fake clock.
	e.awaitTimer("the wallboard's interval", wallboardEvery)
	e.clock.Advance(wallboardEvery)
	sup.await("wallboard", func(d json.RawMessage) bool {
		var w struct{ Queues []routing.QueueStats }
		if json.Unmarshal(d, &w) != nil {
			return false
		}
		for _, q := range w.Queues {
			if q.Queue == "complaint" && q.Answered == 1 {
				return true
			}
		}
		return false
	}, nil)
	if ack := agent.request("contact.end", map[string]string{"contact_id": contact.ID}); ack.Type != "ack" {
		t.Fatalf("contact.end: %s", ack.Data)
	}
	agent.await("presence", stateIs(routing.WrapUp), nil)
	if err := e.routing.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestWS_OfferReachesEveryTabAndResyncsOnReconnect(t *testing.T) {
	e := newEnv(t)
	tab1, tab2 := e.mustWS("agent1"), e.mustWS("agent1")
	tab1.await("presence", nil, nil)
	tab2.await("presence", nil, nil)
	tab1.request("presence.set", map[string]string{"state": "ready"})
	tab2.await("presence", stateIs(routing.Ready), nil)
	e.must(e.call("supervisor", "POST", "/api/v1/routing/contacts", map[string]any{"channel": "chat", "queue": "webchat", "caller": "访客"}), 201, nil)
	var o1, o2 struct {
		OfferID string `json:"offer_id"`
	}
	tab1.await("offer", nil, &o1)
	tab2.await("offer", nil, &o2)
	if o1.OfferID == "" || o1 != o2 {
		t.Fatalf("tabs got offers %v and %v", o1, o2)
	}

	// Both tabs close; one comes back just within the grace period and
	// finds the agent ready with the offer still ringing.
	tab1.conn.Close()
	tab2.conn.Close()
	e.awaitTimer("the grace period of agent1's last tab", logoutGrace)
	e.clock.Advance(logoutGrace - time.Nanosecond)
	back := e.mustWS("agent1")
	back.await("presence", stateIs(routing.Ready), nil)
	var again struct {
		OfferID string `json:"offer_id"`
	}
	back.await("offer", nil, &again)
	if again.OfferID != o1.OfferID {
		t.Fatalf("resync offered %q, want %q", again.OfferID, o1.OfferID)
	}
	if ack := back.request("offer.decline", map[string]string{"offer_id": again.OfferID}); ack.Type != "ack" {
		t.Fatalf("decline: %s", ack.Data)
	}
	back.await("offer.withdrawn", nil, nil)

	// Gone for the grace period: logged out of routing.
	back.conn.Close()
	e.awaitTimer("the grace period of agent1's last tab", logoutGrace)
	e.clock.Advance(logoutGrace)
	testenv.Eventually(t, "agent1 out of routing", e.agentIs("agent1", routing.Offline))
}

func TestWS_DepartmentGetsOnlyItsNotices(t *testing.T) {
	e := newEnv(t)
	rsj, cgj := e.mustWS("dept-rsj"), e.mustWS("dept-cgj")
	rsj.await("session", nil, nil)
	cgj.await("session", nil, nil)
	e.publish("department:cgj", "ticket.dispatched", 7)
	e.publish("department:rsj", "ticket.dispatched", 8)
	var n struct {
		TicketID int64 `json:"ticket_id"`
		Event    string
	}
	rsj.await("ticket.updated", nil, &n)
	if n.TicketID != 8 || n.Event != "ticket.dispatched" {
		t.Fatalf("rsj got %+v", n)
	}
	cgj.await("ticket.updated", nil, &n)
	if n.TicketID != 7 {
		t.Fatalf("cgj got %+v", n)
	}
	// Departments take no contacts.
	if m := rsj.request("presence.set", map[string]string{"state": "ready"}); m.Type != "error" || !strings.Contains(string(m.Data), "forbidden") {
		t.Fatalf("department presence.set: %s %s", m.Type, m.Data)
	}
}

// agentIs returns whether an agent's routing state is want, for Eventually.
func (e *env) agentIs(agent string, want routing.State) func() bool {
	return func() bool {
		v, _ := e.routing.Agent(agent)
		return v.State == want
	}
}

// awaitTimer waits until the hub has set a timer for d from now on the
// fake clock, so that moving the clock afterwards fires it.
func (e *env) awaitTimer(what string, d time.Duration) {
	e.t.Helper()
	at := e.clock.Now().Add(d)
	testenv.Eventually(e.t, what, func() bool { return slices.ContainsFunc(e.clock.Timers(), at.Equal) })
}
