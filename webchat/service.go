package webchat

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/quota"
	"github.com/open12345/hotline/textguard"
)

// Guides finds published guides for the bot: the knowledge service.
type Guides interface {
	PublicSearch(ctx context.Context, q knowledge.Query) (knowledge.SearchResult, error)
}

// Config is what a hotline says in its chats.
type Config struct {
	// Greeting opens every chat (the service hours, what the bot can do).
	Greeting string
	// GuideURL turns a guide's code into the link of its public page.
	GuideURL func(code string) string
	// Hours say when agents answer; outside them a hand-off offers to
	// leave a message. Nil: always.
	Hours Hours
	// Tickets files left messages and answers progress queries; nil:
	// neither (the bot offers an agent), as without Quotas. Quotas and Limits bound both
	// per address and phone; SMS tells a left message's number.
	Tickets Tickets
	Quotas  quota.Store
	Limits  Limits
	SMS     SMS
	// Location is the time zone of the times the bot tells.
	Location *time.Location
	// Idle says when silent chats are warned and closed (RunIdle).
	Idle IdleConfig
}

// DefaultGreeting opens a chat unless the hotline sets its own.
const DefaultGreeting = "您好，这里是12345政务服务便民热线。请直接输入您要咨询的事项，例如“社保卡补办”；" +
	"需要人工服务请输入“转人工”。"

// Service runs chats: it stores every message before it tells anyone,
// and the bot answers the citizen until an agent takes over.
type Service struct {
	store  Store
	guides Guides
	clock  clock.Clock
	log    *slog.Logger
	cfg    Config
	hub    *Hub

	mu        sync.Mutex
	router    Router           // nil until Follow
	contacts  map[int64]string // chat → its routing contact
	positions map[int64]int    // chat → the queue position it was told
	// turns serialise a transfer and the routing events about its chat
	// (by chat id), so that an assignment is never overwritten.
	turns [32]sync.Mutex
}

// NewService returns a Service; guides may be nil (the bot then offers
// an agent at once).
func NewService(store Store, guides Guides, clk clock.Clock, log *slog.Logger, cfg Config) *Service {
	if cfg.Greeting == "" {
		cfg.Greeting = DefaultGreeting
	}
	if cfg.Hours != nil {
		cfg.Greeting += "\n" + cfg.Hours.Describe()
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.GuideURL == nil {
		cfg.GuideURL = func(code string) string { return "/guides/" + code }
	}
	return &Service{store: store, guides: guides, clock: clk, log: log, cfg: cfg, hub: NewHub(),
		contacts: map[int64]string{}, positions: map[int64]int{}}
}

// Hub returns the fan-out of the chats' messages on this node.
func (s *Service) Hub() *Hub { return s.hub }

// Start opens a chat for a citizen at addr and greets them. It returns
// the chat, its resume token (the only time it is shown) and the
// greeting.
func (s *Service) Start(ctx context.Context, addr string) (Chat, Token, error) {
	tok := NewToken()
	hash, _ := tok.Hash()
	c, err := s.store.CreateChat(ctx, Chat{StartedAt: s.clock.Now(), State: StateBot, ClientAddr: clip(addr, 64)}, hash)
	if err != nil {
		return Chat{}, "", err
	}
	if _, err := s.post(ctx, Message{ChatID: c.ID, From: FromBot, Text: s.cfg.Greeting}); err != nil {
		return Chat{}, "", err
	}
	c.LastSeq++
	return c, tok, nil
}

// Resume returns the chat of a token. A token that is not one the
// hotline made, or of no chat, is refused alike. Errors: unauthorized.
func (s *Service) Resume(ctx context.Context, tok Token) (Chat, error) {
	hash, ok := tok.Hash()
	if !ok {
		return Chat{}, errs.E(errs.Unauthorized, "this chat cannot be resumed; start a new one")
	}
	c, err := s.store.ChatByToken(ctx, hash)
	if errs.CodeOf(err) == errs.NotFound {
		return Chat{}, errs.E(errs.Unauthorized, "this chat cannot be resumed; start a new one")
	}
	return c, err
}

// Replay returns the chat's messages after seq, at most ReplayLimit.
func (s *Service) Replay(ctx context.Context, chatID int64, after int) ([]Message, error) {
	if after < 0 {
		return nil, errs.E(errs.Invalid, "last_seq must not be negative")
	}
	return s.store.MessagesAfter(ctx, chatID, after, ReplayLimit)
}

// Say stores a citizen's message and tells the chat's listeners. A
// resend (the same clientID) stores nothing and returns the first copy
// with duplicate set. Errors: invalid, conflict (the chat is closed).
func (s *Service) Say(ctx context.Context, chatID int64, text, clientID string) (m Message, duplicate bool, err error) {
	if err := CheckText(text); err != nil {
		return Message{}, false, err
	}
	if err := CheckClientID(clientID); err != nil {
		return Message{}, false, err
	}
	c, err := s.store.Chat(ctx, chatID)
	if err != nil {
		return Message{}, false, err
	}
	if c.State == StateClosed {
		return Message{}, false, errs.E(errs.Conflict, "this chat has ended; start a new one")
	}
	m, duplicate, err = s.store.Append(ctx, Message{ChatID: chatID, From: FromCitizen, Text: text, At: s.clock.Now(), ClientID: clientID})
	if err != nil {
		return Message{}, false, err
	}
	if !duplicate {
		s.hub.Publish(m)
	}
	return m, duplicate, nil
}

// handoffWords ask for a person.
var handoffWords = []string{"转人工", "人工", "人工服务", "人工客服", "找人工", "客服"}

// maxUnanswered is how many questions in a row the bot may find nothing
// for before it offers an agent itself.
const maxUnanswered = 2

// Answer is the bot's turn after the citizen's message m: while the
// chat is the bot's, it answers with the best guides, or asks for an
// agent when the citizen asks for one. It stores what it says.
func (s *Service) Answer(ctx context.Context, m Message) error {
	if _, _, routed := s.contactOf(m.ChatID); routed {
		return nil // queued or with an agent (known without reading the chat)
	}
	c, err := s.store.Chat(ctx, m.ChatID)
	if err != nil || c.State != StateBot {
		return err
	}
	text := strings.TrimSpace(m.Text)
	for _, w := range handoffWords {
		if text == w {
			return s.Handoff(ctx, c.ID)
		}
	}
	if handled, err := s.lookup(ctx, &c, text); handled || err != nil {
		return err
	}
	var found []GuideRef
	if s.guides != nil {
		res, err := s.guides.PublicSearch(ctx, knowledge.Query{Text: clipRunes(text, knowledge.MaxQueryRunes), Limit: 3})
		if err != nil && errs.CodeOf(err) != errs.Invalid {
			return fmt.Errorf("the bot's search: %w", err)
		}
		for _, h := range res.Hits {
			found = append(found, GuideRef{Code: h.Code, Name: h.Name, Snippet: h.Snippet, URL: s.cfg.GuideURL(h.Code)})
		}
	}
	if len(found) > 0 {
		c.Unanswered = 0
		if err := s.store.UpdateChat(ctx, c); err != nil {
			return err
		}
		_, err := s.post(ctx, Message{ChatID: c.ID, From: FromBot, Guides: found,
			Text: "为您找到以下办事指南，点击可查看详情。如仍有疑问，请输入“转人工”。"})
		return err
	}
	c.Unanswered++
	if err := s.store.UpdateChat(ctx, c); err != nil {
		return err
	}
	reply := "抱歉，没有找到相关的办事指南。您可以换个说法再问一次，或输入“转人工”。"
	if c.Unanswered >= maxUnanswered {
		reply = "抱歉，这个问题我暂时回答不了。需要为您转接人工客服吗？请输入“转人工”。"
	}
	_, err = s.post(ctx, Message{ChatID: c.ID, From: FromBot, Text: reply})
	return err
}

// History lists chats for supervisors, newest first. Errors: invalid.
func (s *Service) History(ctx context.Context, f Filter) ([]Chat, error) {
	if err := textguard.Check("q", f.Q, true); err != nil {
		return nil, err
	}
	if n := len([]rune(f.Q)); n > MaxQRunes {
		return nil, errs.E(errs.Invalid, "q is %d characters long; at most %d", n, MaxQRunes)
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.store.ListChats(ctx, f)
}

// Chat returns a chat with its whole transcript. Errors: not_found.
func (s *Service) Chat(ctx context.Context, id int64) (Chat, []Message, error) {
	c, err := s.store.Chat(ctx, id)
	if err != nil {
		return Chat{}, nil, err
	}
	var all []Message
	for after := 0; ; {
		ms, err := s.store.MessagesAfter(ctx, id, after, ReplayLimit)
		if err != nil {
			return Chat{}, nil, err
		}
		all = append(all, ms...)
		if len(ms) < ReplayLimit {
			return c, all, nil
		}
		after = ms[len(ms)-1].Seq
	}
}

// Handoff puts the chat in the agents' queue and tells the citizen.
// Errors: not_found, conflict (closed).
func (s *Service) Handoff(ctx context.Context, chatID int64) error {
	c, err := s.store.Chat(ctx, chatID)
	if err != nil {
		return err
	}
	switch c.State {
	case StateClosed:
		return errs.E(errs.Conflict, "this chat has ended")
	case StateQueued, StateAgent:
		return nil
	}
	if open, err := s.inHours(ctx); err != nil || !open {
		if err != nil {
			return err
		}
		return s.offerLeaveMessage(ctx, c.ID, "closed")
	}
	c.State = StateQueued
	if c.QueuedAt == nil {
		c.QueuedAt = new(s.clock.Now())
	}
	if err := s.store.UpdateChat(ctx, c); err != nil {
		return err
	}
	if _, err := s.post(ctx, Message{ChatID: c.ID, From: FromSystem, Text: "正在为您转接人工客服，请稍候。"}); err != nil {
		return err
	}
	if err := s.enqueue(ctx, c); err != nil {
		return err
	}
	if s.nobodySignedIn() {
		return s.offerLeaveMessage(ctx, c.ID, "no_agent")
	}
	return nil
}

// Close ends the chat at the citizen's request: a chat the bot alone
// answered is bot_only, one that waited for an agent abandoned. Closing
// a closed chat does nothing.
func (s *Service) Close(ctx context.Context, chatID int64) error {
	c, err := s.store.Chat(ctx, chatID)
	if err != nil || c.State == StateClosed {
		return err
	}
	outcome := OutcomeBotOnly
	switch c.State {
	case StateQueued:
		outcome = OutcomeAbandoned
	case StateAgent:
		outcome = OutcomeAnswered
	}
	if r, contact, ok := s.contactOf(c.ID); ok {
		s.forget(c.ID)
		if _, err := r.End(contact); err != nil && errs.CodeOf(err) != errs.NotFound {
			return fmt.Errorf("end the routing contact of chat %d: %w", c.ID, err)
		}
	}
	return s.end(ctx, c, outcome)
}

// end closes the chat with outcome and asks the citizen for a rating.
func (s *Service) end(ctx context.Context, c Chat, outcome Outcome) error {
	now := s.clock.Now()
	c.State, c.Outcome, c.EndedAt = StateClosed, outcome, &now
	if err := s.store.UpdateChat(ctx, c); err != nil {
		return err
	}
	if _, err := s.post(ctx, Message{ChatID: c.ID, From: FromSystem, Text: "本次会话已结束，感谢您的咨询。请为本次服务评分（1-5分）。"}); err != nil {
		return err
	}
	s.hub.Signal(c.ID, "rate.request", struct{}{})
	return nil
}

// Rate stores the citizen's rating of a closed chat (办理一事一评), once.
// Errors: invalid (not 1-5), conflict (open, or rated already).
func (s *Service) Rate(ctx context.Context, chatID int64, score int) error {
	if score < 1 || score > 5 {
		return errs.E(errs.Invalid, "score must be 1-5")
	}
	c, err := s.store.Chat(ctx, chatID)
	if err != nil {
		return err
	}
	switch {
	case c.State != StateClosed:
		return errs.E(errs.Conflict, "a chat is rated once it has ended")
	case c.Satisfaction != 0:
		return errs.E(errs.Conflict, "this chat is rated already")
	}
	c.Satisfaction = score
	return s.store.UpdateChat(ctx, c)
}

// Typing tells the chat's other side that from is typing. It is a
// signal, not stored; callers bound how often they send it.
func (s *Service) Typing(chatID int64, from From) {
	s.hub.Signal(chatID, "typing", map[string]From{"from": from})
}

// AgentTyping is Typing for the agent who has the chat. Errors: not_found.
func (s *Service) AgentTyping(ctx context.Context, chatID int64, agent string) error {
	if _, err := s.ownChat(ctx, chatID, agent); err != nil {
		return err
	}
	s.Typing(chatID, FromAgent)
	return nil
}

// post stores a message of the hotline's side and tells the listeners.
func (s *Service) post(ctx context.Context, m Message) (Message, error) {
	m.At = s.clock.Now()
	stored, _, err := s.store.Append(ctx, m)
	if err != nil {
		return Message{}, err
	}
	s.hub.Publish(stored)
	return stored, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func clipRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
