package main

// The clients of the chat benchmark: citizens on /ws/chat and agents on
// /ws/agent, each connection read by one goroutine of its own, which
// notes what arrives; the senders write under the connection's lock.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// chatDir is a direction of a chat's messages.
type chatDir int

const (
	toAgent   chatDir = iota // the citizen's message, received by the agent
	toCitizen                // the agent's message, received by the citizen
)

// chatWords are the benchmark's messages; each adds " #<n>@<sent, unix ns>".
const chatWords = "小区夜间施工噪音扰民，请尽快处理"

// chatConn is one citizen's chat and what its two sides sent and got.
type chatConn struct {
	i        int
	conn     *websocket.Conn
	wmu      sync.Mutex // one writer at a time
	id       int64
	agent    atomic.Pointer[chatAgent]
	joined   chan struct{} // closed at agent.joined
	joinOnce sync.Once
	next     [2]atomic.Int64 // the last message number taken, by direction
	sent     [2]atomic.Int64 // messages written, by direction
	got      [2]seen         // received by the other side, by direction
	acks     [2]atomic.Int64 // the server's acks of the messages sent, by direction
	sat      atomic.Bool     // in the storage run: the next chat.send leaves at the ack
	satAt    atomic.Int64    // in the storage run: when the outstanding chat.send left (unix ns)
}

// chatAgent is one agent's console websocket and the chats it took.
type chatAgent struct {
	name  string
	conn  *websocket.Conn
	wmu   sync.Mutex // one writer at a time
	ready chan struct{}
	mu    sync.Mutex
	chats map[int64]*chatConn
	order []*chatConn // in the order taken
}

func (a *chatAgent) chat(id int64) *chatConn {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.chats[id]
}

// seen is the message numbers of one direction of a chat received so far.
type seen struct {
	mu       sync.Mutex
	got      []bool
	distinct int64
	twice    int64
}

func (s *seen) note(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for int64(len(s.got)) <= n {
		s.got = append(s.got, false)
	}
	if s.got[n] {
		s.twice++
		return
	}
	s.got[n], s.distinct = true, s.distinct+1
}

func (s *seen) counts() (distinct, twice int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.distinct, s.twice
}

// chatFrame is a frame either way, its data decoded by type.
type chatFrame struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

// write sends one text frame under mu.
func write(mu *sync.Mutex, c *websocket.Conn, frame []byte) error {
	mu.Lock()
	defer mu.Unlock()
	if err := c.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	return c.WriteMessage(websocket.TextMessage, frame)
}

// citizenSays sends the chat's next citizen message, stamped as it leaves.
func (cb *chatBench) citizenSays(c *chatConn) {
	n := c.next[toAgent].Add(1)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	at := time.Now()
	frame := fmt.Appendf(nil, `{"type":"message","data":{"text":"%s #%d@%d","client_id":"m%d"}}`, chatWords, n, at.UnixNano(), n)
	err := c.conn.SetWriteDeadline(at.Add(10 * time.Second))
	if err == nil {
		err = c.conn.WriteMessage(websocket.TextMessage, frame)
	}
	cb.wrote(c, toAgent, err)
}

// agentSays sends the chat's next agent message (chat.send) with the
// request id <kind><chat index>.<n>: kind c for the paced run, s for the
// storage run.
func (cb *chatBench) agentSays(c *chatConn, kind byte) {
	a := c.agent.Load()
	n := c.next[toCitizen].Add(1)
	a.wmu.Lock()
	defer a.wmu.Unlock()
	at := time.Now()
	if kind == 's' {
		c.satAt.Store(at.UnixNano())
	}
	frame := fmt.Appendf(nil, `{"type":"chat.send","id":"%c%d.%d","data":{"chat_id":%d,"text":"%s #%d@%d","client_id":"a%d"}}`,
		kind, c.i, n, c.id, chatWords, n, at.UnixNano(), n)
	err := a.conn.SetWriteDeadline(at.Add(10 * time.Second))
	if err == nil {
		err = a.conn.WriteMessage(websocket.TextMessage, frame)
	}
	cb.wrote(c, toCitizen, err)
}

func (cb *chatBench) wrote(c *chatConn, dir chatDir, err error) {
	if err != nil {
		if cb.sendErrors.Add(1) <= 3 {
			cb.b.log.Warn("chat bench: send failed", "chat", c.i, "err", err)
		}
		return
	}
	c.sent[dir].Add(1)
}

// parseChatText reads a benchmark message's number and when it was sent.
func parseChatText(text string) (n, at int64, ok bool) {
	i := strings.LastIndexByte(text, '#')
	j := strings.LastIndexByte(text, '@')
	if i < 0 || j < i {
		return 0, 0, false
	}
	n, errN := strconv.ParseInt(text[i+1:j], 10, 64)
	at, errAt := strconv.ParseInt(text[j+1:], 10, 64)
	return n, at, errN == nil && errAt == nil && n > 0
}

// receive notes a message of the chat arriving at its other side.
func (cb *chatBench) receive(c *chatConn, dir chatDir, text string, at time.Time) {
	n, sent, ok := parseChatText(text)
	if !ok {
		return // the greeting, the system's notices
	}
	c.got[dir].note(n)
	if sent >= cb.from.Load() && sent < cb.to.Load() {
		cb.lat[dir].add(at.Sub(time.Unix(0, sent)))
	}
}

// readCitizen reads a citizen's socket until it ends.
func (cb *chatBench) readCitizen(c *chatConn) {
	defer cb.wg.Done()
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			cb.dropped("citizen", c.i, err)
			return
		}
		at := time.Now()
		var f chatFrame
		if err := json.Unmarshal(data, &f); err != nil {
			cb.frameError("citizen", c.i, data)
			continue
		}
		switch f.Type {
		case "ack":
			c.acks[toAgent].Add(1)
		case "message":
			var m struct{ From, Text string }
			if json.Unmarshal(f.Data, &m) == nil && m.From == "agent" {
				cb.receive(c, toCitizen, m.Text, at)
			}
		case "agent.joined":
			c.joinOnce.Do(func() { close(c.joined) })
		case "error":
			cb.frameError("citizen", c.i, data)
		}
	}
}

// readAgent reads an agent's console until it ends: it accepts every
// chat offered and notes the citizens' messages and the acks.
func (cb *chatBench) readAgent(a *chatAgent) {
	defer cb.wg.Done()
	for {
		_, data, err := a.conn.ReadMessage()
		if err != nil {
			cb.dropped("agent", 0, err)
			return
		}
		at := time.Now()
		if bytes.HasPrefix(data, wallboardPrefix) {
			continue
		}
		var f chatFrame
		if err := json.Unmarshal(data, &f); err != nil {
			cb.frameError(a.name, 0, data)
			continue
		}
		switch f.Type {
		case "offer":
			cb.accept(a, f.Data)
		case "chat.message":
			var m struct {
				ChatID     int64 `json:"chat_id"`
				From, Text string
			}
			if json.Unmarshal(f.Data, &m) == nil && m.From == "citizen" {
				if c := a.chat(m.ChatID); c != nil {
					cb.receive(c, toAgent, m.Text, at)
				}
			}
		case "ack":
			if f.ID == "ready" {
				close(a.ready)
			}
			cb.answered(f.ID, at)
		case "error":
			cb.frameError(a.name, 0, data)
			cb.answered(f.ID, time.Time{})
		}
	}
}

// accept takes an offered chat.
func (cb *chatBench) accept(a *chatAgent, data json.RawMessage) {
	var o struct {
		OfferID string `json:"offer_id"`
		Ref     string `json:"ref"`
	}
	if err := json.Unmarshal(data, &o); err != nil {
		cb.frameError(a.name, 0, data)
		return
	}
	id, err := strconv.ParseInt(o.Ref, 10, 64)
	cb.mu.Lock()
	c := cb.byID[id]
	cb.mu.Unlock()
	if err != nil || c == nil {
		cb.frameError(a.name, 0, data)
		return
	}
	a.mu.Lock()
	a.chats[id], a.order = c, append(a.order, c)
	a.mu.Unlock()
	c.agent.Store(a)
	if err := write(&a.wmu, a.conn, fmt.Appendf(nil, `{"type":"offer.accept","id":"accept","data":{"offer_id":%q}}`, o.OfferID)); err != nil {
		cb.frameError(a.name, 0, []byte(err.Error()))
	}
}

// answered counts the ack of a chat.send (at zero: its error) and, in the
// storage run, times it and sends the chat's next message.
func (cb *chatBench) answered(id string, at time.Time) {
	if len(id) < 2 || (id[0] != 'c' && id[0] != 's') {
		return
	}
	i, err := strconv.Atoi(id[1:strings.IndexByte(id+".", '.')])
	if err != nil || i < 0 || i >= len(cb.chats) {
		return
	}
	c := cb.chats[i]
	if !at.IsZero() {
		c.acks[toCitizen].Add(1)
	}
	if id[0] != 's' {
		return
	}
	if sent := c.satAt.Load(); !at.IsZero() && sent >= cb.satFrom.Load() && sent < cb.satTo.Load() {
		cb.satLat.add(at.Sub(time.Unix(0, sent)))
	}
	if c.sat.Load() {
		cb.agentSays(c, 's')
	}
}

// dropped counts a socket that ended before the benchmark closed it.
func (cb *chatBench) dropped(side string, i int, err error) {
	if !cb.closing.Load() && cb.drops.Add(1) <= 3 {
		cb.b.log.Warn("chat bench: socket dropped", "side", side, "chat", i, "err", err)
	}
}

// frameError counts an error frame, or one the bench cannot read.
func (cb *chatBench) frameError(side string, i int, data []byte) {
	if cb.frameErrors.Add(1) <= 5 {
		cb.b.log.Warn("chat bench: error frame", "side", side, "chat", i, "frame", string(data[:min(len(data), 300)]))
	}
}

// latencies collects delays from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) all() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.d...)
}
