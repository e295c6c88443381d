package webchat

import (
	"context"
	"fmt"
	"strconv"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// Router is the part of the routing engine chats use.
type Router interface {
	Enqueue(in routing.Contact) (routing.ContactView, error)
	End(contactID string) (routing.ContactView, error)
	Contacts() []routing.ContactView
	Contact(id string) (routing.ContactView, bool)
	Subscribe() *routing.Subscription
	Transfer(contactID, queue string) (routing.ContactView, error)
	TransferToAgent(contactID, agentID string) (routing.ContactView, error)
	Queues() []routing.QueueConfig
	Agents() []routing.AgentView
}

// Queue is the routing queue chats wait in for an agent.
const Queue = "webchat"

// Follow hands chats to agents through r from now on: it queues again
// the chats that were waiting for or talking with an agent when the
// server stopped (routing lives in memory, the chats in the database),
// and follows r's events until ctx ends. It returns once the open chats
// are queued; the events are followed in the background until stop
// returns.
func (s *Service) Follow(ctx context.Context, r Router) (stop func(), err error) {
	sub := r.Subscribe()
	s.mu.Lock()
	s.router = r
	s.mu.Unlock()
	open, err := s.store.OpenChats(ctx)
	if err != nil {
		sub.Close()
		return nil, err
	}
	for _, c := range open {
		if c.State == StateAgent {
			if _, err := s.post(ctx, Message{ChatID: c.ID, From: FromSystem, Text: "连接已恢复，正在为您重新接入人工客服。"}); err != nil {
				sub.Close()
				return nil, err
			}
		}
		if err := s.enqueue(ctx, c); err != nil {
			sub.Close()
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sub.Close()
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				return
			}
			if err := s.onRouting(ctx, ev); err != nil && ctx.Err() == nil {
				s.log.Warn("webchat: routing event", "kind", ev.Kind, "err", err)
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}

// enqueue puts c in the chats' queue and remembers its contact.
func (s *Service) enqueue(ctx context.Context, c Chat) error {
	s.mu.Lock()
	r := s.router
	s.mu.Unlock()
	if r == nil {
		return nil // no routing on this node (tests of the bot alone): the chat waits as queued
	}
	v, err := r.Enqueue(routing.Contact{Channel: routing.Chat, Queue: Queue, Caller: fmt.Sprintf("网上咨询 %d", c.ID),
		Ref: strconv.FormatInt(c.ID, 10)})
	if err != nil {
		return fmt.Errorf("queue chat %d: %w", c.ID, err)
	}
	c.State, c.Queue, c.Agent = StateQueued, Queue, ""
	if err := s.store.UpdateChat(ctx, c); err != nil {
		return err
	}
	s.mu.Lock()
	s.contacts[c.ID] = v.ID
	s.mu.Unlock()
	s.updatePositions(r)
	return nil
}

// onRouting follows one routing event about a chat.
func (s *Service) onRouting(ctx context.Context, ev routing.Event) error {
	s.mu.Lock()
	r := s.router
	s.mu.Unlock()
	defer s.updatePositions(r)
	if ev.Contact == nil || ev.Contact.Channel != routing.Chat {
		return nil
	}
	id, err := strconv.ParseInt(ev.Contact.Ref, 10, 64)
	if err != nil {
		return nil // not a chat of this service (a supervisor's test contact)
	}
	if ev.Kind == routing.EventEnded && ev.Reason == routing.EndedTransferred {
		return nil // the chat lives on: Transfer tells the citizen
	}
	defer s.lockChat(id)() // after a transfer's own changes to the chat
	c, err := s.store.Chat(ctx, id)
	if err != nil {
		return err
	}
	switch ev.Kind {
	case routing.EventAssigned:
		c.State, c.Agent = StateAgent, ev.Contact.Agent
		if err := s.store.UpdateChat(ctx, c); err != nil {
			return err
		}
		s.hub.Signal(c.ID, "agent.joined", map[string]string{"agent": c.Agent})
		_, err := s.post(ctx, Message{ChatID: c.ID, From: FromSystem, Text: "人工客服（工号 " + c.Agent + "）为您服务。"})
		return err
	case routing.EventTimedOut:
		if !s.forget(c.ID) {
			return nil // the citizen closed it meanwhile
		}
		if _, err := r.End(ev.Contact.ID); err != nil && errs.CodeOf(err) != errs.NotFound {
			return err
		}
		c.State = StateBot
		if err := s.store.UpdateChat(ctx, c); err != nil {
			return err
		}
		return s.offerLeaveMessage(ctx, c.ID, "busy")
	case routing.EventEnded:
		if s.forget(c.ID) && c.State == StateAgent { // ended by the agent, not by the citizen's Close
			return s.end(ctx, c, OutcomeAnswered)
		}
	}
	return nil
}

// forget drops the chat's routing contact, reporting whether it had one.
func (s *Service) forget(chatID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.contacts[chatID]
	delete(s.contacts, chatID)
	delete(s.positions, chatID)
	return ok
}

// contactOf returns the chat's routing contact, if it has one.
func (s *Service) contactOf(chatID int64) (Router, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.contacts[chatID]
	return s.router, id, ok && s.router != nil
}

// AgentOf is the agent routing connected the chat to, or "": a lookup
// made for every message passed to a console.
func (s *Service) AgentOf(chatID int64) string {
	r, id, ok := s.contactOf(chatID)
	if !ok {
		return ""
	}
	v, ok := r.Contact(id)
	if !ok || v.Status != routing.Connected {
		return ""
	}
	return v.Agent
}

// updatePositions tells each waiting chat of this node its place in the
// queue when it changed.
func (s *Service) updatePositions(r Router) {
	if r == nil {
		return
	}
	positions := routing.Positions(r.Contacts())
	s.mu.Lock()
	var changed []struct {
		chat int64
		pos  int
	}
	for chat, contact := range s.contacts {
		if pos := positions[contact]; pos != s.positions[chat] {
			s.positions[chat] = pos
			if pos > 0 {
				changed = append(changed, struct {
					chat int64
					pos  int
				}{chat, pos})
			}
		}
	}
	s.mu.Unlock()
	for _, c := range changed {
		s.hub.Signal(c.chat, "queue", map[string]int{"position": c.pos})
	}
}
