package agentui

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/textguard"
)

// Websocket limits; see docs/websocket.md.
const (
	wsPingEvery     = 25 * time.Second
	wsSilentFor     = 60 * time.Second // no frame, not even a pong: gone
	wsWriteTimeout  = 10 * time.Second
	wsMaxFrame      = 8 << 10
	wsSendQueue     = 64
	wsMaxErrors     = 20 // error replies per minute before the socket is closed
	wsMaxTabs       = 8  // connections per user
	closeSessionEnd = 4001
)

// envelope is every websocket message, both ways.
type envelope struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// wsClient is one console tab: a reader (the request's goroutine) and a
// writer goroutine fed by a bounded queue. A client whose queue is full is
// dropped rather than waited for.
type wsClient struct {
	hub   *Hub
	conn  *websocket.Conn
	actor auth.Actor
	token string // re-checked at every ping: a session that ends closes the socket
	send  chan []byte
	done  chan struct{}
	once  sync.Once
	// sessionEnded marks a close for logout or expiry: the agent leaves
	// routing without the reconnect grace.
	sessionEnded atomic.Bool

	errWindow time.Time // start of the current minute of error replies
	errCount  int
}

// enqueueWait queues msg as enqueue does, but waits while the queue is
// full, until ctx ends: for a burst the hub itself sends, such as a
// transcript. A tab that takes nothing until then is closed as too slow.
func (c *wsClient) enqueueWait(ctx context.Context, msg []byte) bool {
	select {
	case c.send <- msg:
		return true
	case <-c.done:
		return false
	case <-ctx.Done():
		c.hub.metrics.wsDropped.Inc()
		c.close(websocket.ClosePolicyViolation, "too slow: messages not read")
		return false
	}
}

// enqueue queues a message without waiting; false when the client is
// closed or too slow, in which case it is dropped.
func (c *wsClient) enqueue(msg []byte) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.send <- msg:
		return true
	default:
		c.hub.metrics.wsDropped.Inc()
		c.close(websocket.ClosePolicyViolation, "too slow: messages not read")
		return false
	}
}

// close ends the connection once, telling the client why when it can.
func (c *wsClient) close(code int, reason string) {
	c.once.Do(func() {
		close(c.done)
		msg := websocket.FormatCloseMessage(code, reason)
		// The close frame is best effort: the peer may be gone already.
		_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = c.conn.Close()
	})
}

// closeDraining closes after a frame was refused unread: it discards what
// the client already sent (up to 1 MiB, 2 s) before closing, since closing
// a socket with unread input resets it and the client would never see
// the close frame.
func (c *wsClient) closeDraining(code int, reason string) {
	c.once.Do(func() {
		close(c.done)
		msg := websocket.FormatCloseMessage(code, reason)
		_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		raw := c.conn.NetConn()
		if raw.SetReadDeadline(time.Now().Add(2*time.Second)) == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(raw, 1<<20)) // ends at the client's close or the deadline
		}
		_ = c.conn.Close()
	})
}

// writeLoop sends queued messages and pings, and re-checks the session.
func (c *wsClient) writeLoop() {
	ping := time.NewTicker(c.hub.cfg.PingEvery)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			return
		case msg := <-c.send:
			if err := c.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout)); err != nil {
				c.close(websocket.CloseGoingAway, "")
				return
			}
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				c.close(websocket.CloseGoingAway, "")
				return
			}
		case <-ping.C:
			if !c.sessionAlive() {
				c.endSession()
				return
			}
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteTimeout)); err != nil {
				c.close(websocket.CloseGoingAway, "")
				return
			}
		}
	}
}

func (c *wsClient) endSession() {
	c.sessionEnded.Store(true)
	c.close(closeSessionEnd, "session ended")
}

func (c *wsClient) sessionAlive() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := c.hub.auth.Authenticate(ctx, c.token)
	// A database that is briefly down is not a reason to drop consoles.
	return err == nil || errs.Is(err, errs.Unavailable) || errs.Is(err, errs.Internal)
}

// readLoop reads requests until the connection ends.
func (c *wsClient) readLoop() {
	c.conn.SetReadLimit(wsMaxFrame)
	extend := func(string) error { return c.conn.SetReadDeadline(time.Now().Add(wsSilentFor)) }
	if err := extend(""); err != nil {
		c.close(websocket.CloseGoingAway, "")
		return
	}
	c.conn.SetPongHandler(extend)
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.closeDraining(websocket.CloseMessageTooBig, "frame too large")
			} else {
				c.close(websocket.CloseNormalClosure, "")
			}
			return
		}
		if err := extend(""); err != nil {
			c.close(websocket.CloseGoingAway, "")
			return
		}
		var req envelope
		if kind != websocket.TextMessage || json.Unmarshal(data, &req) != nil {
			c.close(websocket.CloseInvalidFramePayloadData, "messages must be JSON text")
			return
		}
		c.hub.metrics.wsMessages.WithLabelValues(metricType(req.Type)).Inc()
		if err := textguard.CheckJSON(data); err != nil {
			id := ""
			if textguard.Check("id", req.ID, true) == nil {
				id = httpx.Clip(req.ID, 64)
			}
			c.replyError(id, err)
			continue
		}
		result, err := c.hub.handle(c, req)
		if err != nil {
			c.replyError(req.ID, err)
			continue
		}
		c.enqueue(encode("ack", req.ID, result))
	}
}

// replyError answers a bad request; too many in a minute close the socket.
func (c *wsClient) replyError(id string, err error) {
	now := c.hub.clock.Now()
	if now.Sub(c.errWindow) > time.Minute {
		c.errWindow, c.errCount = now, 0
	}
	c.errCount++
	if c.errCount > wsMaxErrors {
		c.close(websocket.ClosePolicyViolation, "too many bad requests")
		return
	}
	if errs.CodeOf(err) == errs.Internal {
		c.hub.log.Error("websocket request failed", "user", c.actor.Username, "err", err)
	}
	c.enqueue(encode("error", id, httpx.ErrorDetail{Code: errs.CodeOf(err), Message: errs.Message(err)}))
}

// encode builds one envelope; data that cannot be encoded is a bug.
func encode(kind, id string, data any) []byte {
	raw, err := json.Marshal(data)
	if err != nil {
		raw = []byte(`{}`)
	}
	msg, err := json.Marshal(envelope{Type: kind, ID: id, Data: raw})
	if err != nil {
		return []byte(`{"type":"error","data":{"code":"internal","message":"encoding failed"}}`)
	}
	return msg
}

// metricType bounds the label values of the message counter.
func metricType(t string) string {
	switch t {
	case "presence.set", "offer.accept", "offer.decline", "contact.end", "chat.send", "chat.close", "chat.typing", "chat.transfer":
		return t
	}
	return "other"
}
