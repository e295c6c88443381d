package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/open12345/hotline/errs"
)

// Socket limits.
const (
	// maxFrame bounds one frame: a message of MaxMessageRunes characters
	// in JSON with its envelope fits many times over.
	maxFrame      = 16 << 10
	helloTimeout  = 10 * time.Second
	pingEvery     = 25 * time.Second
	writeTimeout  = 10 * time.Second
	sendBuffer    = 64
	messagesBurst = 10 // messages a citizen may send at once, then …
	messagesEvery = time.Second
)

// SocketConfig is what the citizens' socket needs from the server that
// mounts it: the edge decides who the client is and which pages may open it.
type SocketConfig struct {
	// OriginAllowed reports whether the request's Origin may open a chat.
	OriginAllowed func(r *http.Request) bool
	// ClientAddr is the client's address, as the edge found it.
	ClientAddr func(r *http.Request) string
	// AllowNewChat reports whether the address may start another chat now.
	AllowNewChat func(addr string) bool
}

// Socket serves /ws/chat: the citizens' side of the chat protocol.
type Socket struct {
	svc      *Service
	cfg      SocketConfig
	log      *slog.Logger
	upgrader websocket.Upgrader

	mu       sync.Mutex
	closing  bool
	sessions map[*session]struct{}
}

// NewSocket returns the citizens' socket over svc.
func NewSocket(svc *Service, cfg SocketConfig) *Socket {
	s := &Socket{svc: svc, cfg: cfg, log: svc.log, sessions: map[*session]struct{}{}}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferPool:  &sync.Pool{},
		CheckOrigin:      cfg.OriginAllowed,
	}
	return s
}

// envelope is a frame both ways.
type envelope struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

type helloData struct {
	ResumeToken Token `json:"resume_token"`
	LastSeq     int   `json:"last_seq"`
}

type messageData struct {
	Text     string `json:"text"`
	ClientID string `json:"client_id"`
}

type rateData struct {
	Score int `json:"score"`
}

type leaveData struct {
	Phone string `json:"phone"`
	Text  string `json:"text"`
}

// ServeHTTP upgrades the request and runs the chat until the socket closes.
func (s *Socket) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	conn.SetReadLimit(maxFrame)
	sess := &session{sock: s, conn: conn, addr: s.cfg.ClientAddr(r), out: make(chan envelope, sendBuffer),
		limit: rate.NewLimiter(rate.Every(messagesEvery), messagesBurst), typing: rate.NewLimiter(rate.Every(time.Second), 1)}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		if err := conn.Close(); err != nil {
			s.log.Debug("close chat socket", "err", err)
		}
		return
	}
	s.sessions[sess] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, sess)
		s.mu.Unlock()
	}()
	sess.run(r.Context())
}

// Close ends every chat socket; the clients reconnect to another server
// or to this one once it is back, and lose nothing.
func (s *Socket) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	for sess := range s.sessions {
		sess.closeSoon()
	}
}

// session is one citizen's socket.
type session struct {
	sock   *Socket
	conn   *websocket.Conn
	addr   string
	out    chan envelope
	limit  *rate.Limiter
	typing *rate.Limiter // typing signals passed on: one a second
	chat   Chat
	sent   int // the last seq sent: the replay's, then the forwarder's own
}

func (ss *session) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { ss.write(ctx, cancel) })
	defer func() {
		cancel()
		wg.Wait()
		if err := ss.conn.Close(); err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			ss.sock.log.Debug("close chat socket", "err", err)
		}
	}()
	l, err := ss.hello(ctx)
	if err != nil {
		ss.fail(err)
		return
	}
	defer func() {
		cancel() // first, so that the forwarder does not take the closing for a drop
		l.Close()
	}()
	wg.Go(func() { ss.forward(ctx, l) })
	for ctx.Err() == nil {
		env, err := ss.read()
		var bad *errs.Error
		if errors.As(err, &bad) {
			ss.fail(err) // the client broke the protocol: tell it, then end
			return
		}
		if err != nil {
			return // the client went away, or the socket is ending
		}
		if err := ss.handle(ctx, env); err != nil {
			ss.send("error", errorData(err))
			if errs.CodeOf(err) == errs.Internal || errs.CodeOf(err) == errs.Unavailable {
				ss.sock.log.Warn("chat message failed", "chat", ss.chat.ID, "err", err)
			}
		}
	}
}

// read returns the next frame, refusing what is not a JSON envelope.
func (ss *session) read() (envelope, error) {
	kind, data, err := ss.conn.ReadMessage()
	if err != nil {
		return envelope{}, err // a frame over maxFrame: gorilla has closed with 1009 (message too big)
	}
	if kind != websocket.TextMessage {
		return envelope{}, errs.E(errs.Invalid, "frames must be JSON text")
	}
	return parseFrame(data)
}

// parseFrame decodes a client's frame: a JSON object with a type.
func parseFrame(data []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.Type == "" {
		return envelope{}, errs.E(errs.Invalid, "a frame must be a JSON object with a type")
	}
	return env, nil
}

// hello waits for the client's hello, starts or resumes its chat, and
// sends the welcome and what the client has not seen yet. Listening
// starts before the replay, so nothing falls between the two.
func (ss *session) hello(ctx context.Context) (*Listener, error) {
	if err := ss.conn.SetReadDeadline(time.Now().Add(helloTimeout)); err != nil {
		return nil, err
	}
	env, err := ss.read()
	if err != nil {
		return nil, err
	}
	if env.Type != "hello" {
		return nil, errs.E(errs.Invalid, "the first frame must be hello")
	}
	var h helloData
	if len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, &h); err != nil {
			return nil, errs.E(errs.Invalid, "hello: %v", err)
		}
	}
	if h.LastSeq < 0 {
		return nil, errs.E(errs.Invalid, "last_seq must not be negative")
	}
	svc := ss.sock.svc
	tok := h.ResumeToken
	if tok == "" {
		if ss.sock.cfg.AllowNewChat != nil && !ss.sock.cfg.AllowNewChat(ss.addr) {
			return nil, errs.E(errs.RateLimited, "too many new chats from this address; try again later")
		}
		if ss.chat, tok, err = svc.Start(ctx, ss.addr); err != nil {
			return nil, err
		}
		h.LastSeq = 0
	} else if ss.chat, err = svc.Resume(ctx, tok); err != nil {
		return nil, err
	}
	if err := ss.conn.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	l := svc.hub.Listen(ss.chat.ID)
	ss.sent = h.LastSeq
	ss.send("welcome", map[string]any{"chat_id": ss.chat.ID, "resume_token": tok, "last_seq": ss.chat.LastSeq})
	if err := ss.replay(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// replay sends the stored messages after the last seq sent, in order.
func (ss *session) replay(ctx context.Context) error {
	for {
		missed, err := ss.sock.svc.Replay(ctx, ss.chat.ID, ss.sent)
		if err != nil {
			return err
		}
		for _, m := range missed {
			ss.send1(m)
		}
		if len(missed) < ReplayLimit {
			return nil
		}
	}
}

// forward sends the chat's new messages, each once: those the replay
// already sent are skipped by seq. A listener dropped for falling behind
// ends the socket; the client resumes from its last seq.
func (ss *session) forward(ctx context.Context, l *Listener) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-l.C:
			if !ok && ctx.Err() != nil {
				return
			}
			if !ok {
				ss.send("closed", map[string]string{"reason": "reconnect"})
				ss.closeSoon()
				return
			}
			switch {
			case ev.Message != nil:
				if err := ss.sendMessage(ctx, *ev.Message); err != nil {
					ss.sock.log.Warn("chat: replay a gap", "chat", ss.chat.ID, "err", err)
					ss.send("closed", map[string]string{"reason": "reconnect"})
					ss.closeSoon()
					return
				}
			case ev.Signal == "typing" && isFrom(ev.Data, FromCitizen):
				// the citizen's own typing
			default:
				ss.send(ev.Signal, ev.Data)
			}
		}
	}
}

// handle acts on one client frame.
func (ss *session) handle(ctx context.Context, env envelope) error {
	svc := ss.sock.svc
	switch env.Type {
	case "message":
		if !ss.limit.Allow() {
			return errs.E(errs.RateLimited, "too many messages; wait a moment")
		}
		var d messageData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return errs.E(errs.Invalid, "message: %v", err)
		}
		m, dup, err := svc.Say(ctx, ss.chat.ID, d.Text, d.ClientID)
		if err != nil {
			return err
		}
		ss.send("ack", map[string]any{"client_id": d.ClientID, "seq": m.Seq})
		if dup {
			return nil
		}
		return svc.Answer(ctx, m)
	case "handoff":
		return svc.Handoff(ctx, ss.chat.ID)
	case "typing":
		if ss.chat.State != StateClosed && ss.typing.Allow() {
			svc.Typing(ss.chat.ID, FromCitizen)
		}
		return nil // a burst of typing frames is thinned, not refused
	case "close":
		return svc.Close(ctx, ss.chat.ID)
	case "rate":
		var d rateData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return errs.E(errs.Invalid, "rate: %v", err)
		}
		return svc.Rate(ctx, ss.chat.ID, d.Score)
	case "leave_message":
		if !ss.limit.Allow() {
			return errs.E(errs.RateLimited, "too many messages; wait a moment")
		}
		var d leaveData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return errs.E(errs.Invalid, "leave_message: %v", err)
		}
		_, err := svc.Leave(ctx, ss.chat.ID, d.Phone, d.Text)
		return err
	}
	return errs.E(errs.Invalid, "unknown frame type %q", clip(env.Type, 40))
}

// sendMessage sends a live transcript message once and in order. Two
// writers' messages are stored in seq order but may be published in the
// other: a message past a gap first replays the gap from the store, where
// the earlier seqs are already committed.
func (ss *session) sendMessage(ctx context.Context, m Message) error {
	if m.Seq > ss.sent+1 {
		if err := ss.replay(ctx); err != nil {
			return err
		}
	}
	ss.send1(m)
	return nil
}

// send1 sends a transcript message in the protocol's form unless its seq
// was sent already.
func (ss *session) send1(m Message) {
	if m.Seq <= ss.sent {
		return
	}
	ss.sent = m.Seq
	if m.From == FromBot {
		ss.send("bot", map[string]any{"seq": m.Seq, "text": m.Text, "guides": nonNil(m.Guides), "at": m.At})
		return
	}
	ss.send("message", m)
}

func nonNil(gs []GuideRef) []GuideRef {
	if gs == nil {
		return []GuideRef{}
	}
	return gs
}

// send queues a frame; a client that does not read is disconnected.
func (ss *session) send(typ string, data any) {
	raw, err := json.Marshal(data)
	if err != nil {
		ss.sock.log.Error("encode chat frame", "type", typ, "err", err)
		return
	}
	select {
	case ss.out <- envelope{Type: typ, Data: raw}:
	default:
		ss.closeSoon()
	}
}

// write sends queued frames and pings until ctx ends.
func (ss *session) write(ctx context.Context, cancel context.CancelFunc) {
	defer cancel()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			ss.drain()
			return
		case env := <-ss.out:
			if err = ss.conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err == nil {
				err = ss.conn.WriteJSON(env)
			}
		case <-ping.C:
			err = ss.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout))
		}
		if err != nil {
			return
		}
	}
}

// drain writes what is queued (a last error, closed) before the socket closes.
func (ss *session) drain() {
	for {
		select {
		case env := <-ss.out:
			if ss.conn.SetWriteDeadline(time.Now().Add(time.Second)) != nil || ss.conn.WriteJSON(env) != nil {
				return
			}
		default:
			return
		}
	}
}

// fail tells the client why the chat socket ends.
func (ss *session) fail(err error) {
	ss.send("error", errorData(err))
	if errs.CodeOf(err) == errs.Internal || errs.CodeOf(err) == errs.Unavailable {
		ss.sock.log.Warn("chat socket failed", "chat", ss.chat.ID, "err", err)
	}
}

// closeSoon ends the socket: the reader fails and run closes everything.
func (ss *session) closeSoon() {
	if err := ss.conn.SetReadDeadline(time.Now()); err != nil {
		ss.sock.log.Debug("end chat socket", "err", err)
	}
}

// isFrom reports whether a typing signal's data names from.
func isFrom(data any, from From) bool {
	d, ok := data.(map[string]From)
	return ok && d["from"] == from
}

func errorData(err error) map[string]string {
	return map[string]string{"code": string(errs.CodeOf(err)), "message": errs.Message(err)}
}
