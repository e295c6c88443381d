package webchat

import (
	"context"
	"fmt"
	"strings"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// ChatQueue reports whether a routing queue takes web chats: the
// webchat queue and every queue named webchat-… (webchat-tax, say).
// Routing queues carry no channel, so the name says it; an operator adds
// a chat queue with PUT /api/v1/routing/queues/webchat-….
func ChatQueue(name string) bool {
	return name == Queue || strings.HasPrefix(name, Queue+"-")
}

// Target is where a chat is transferred: a chat queue, or one agent.
type Target struct {
	Queue string
	Agent string
}

// lockChat takes the chat's turn (see Service.turns) and returns its release.
func (s *Service) lockChat(chatID int64) func() {
	m := &s.turns[uint64(chatID)%uint64(len(s.turns))]
	m.Lock()
	return m.Unlock
}

// Transfer passes the chat agent has to a chat queue or to one other
// agent, who must be logged in and free to take a chat. The agent's
// part ends at once (no more messages either way); the citizen is told
// in the chat, waits with queue positions again, and the agent who takes
// it gets the whole transcript, as on a first assignment. Errors:
// invalid (no target, both, or a queue that takes no chats), not_found
// (no open chat of agent's, no such queue or agent), conflict (the chat
// has ended, or the target agent cannot take it now), unavailable (no
// routing here).
func (s *Service) Transfer(ctx context.Context, chatID int64, agent string, to Target) error {
	switch {
	case (to.Queue == "") == (to.Agent == ""):
		return errs.E(errs.Invalid, "name either a queue or an agent to transfer the chat to")
	case len(to.Queue) > 64 || len(to.Agent) > 64:
		return errs.E(errs.Invalid, "queue and agent are at most 64 bytes")
	case to.Queue != "" && !ChatQueue(to.Queue):
		return errs.E(errs.Invalid, "queue %q takes no web chats (chat queues are %s and %s-…)", to.Queue, Queue, Queue)
	case to.Agent != "" && to.Agent == agent:
		return errs.E(errs.Invalid, "this chat is yours already")
	}
	defer s.lockChat(chatID)()
	c, err := s.store.Chat(ctx, chatID)
	if err == nil && c.State == StateClosed && c.Agent == agent {
		return errs.E(errs.Conflict, "chat %d has ended", chatID)
	}
	if c, err = s.ownChat(ctx, chatID, agent); err != nil {
		return err
	}
	r, contact, ok := s.contactOf(c.ID)
	if !ok {
		return errs.E(errs.Unavailable, "chat %d is not routed on this server", c.ID)
	}
	var v routing.ContactView
	if to.Queue != "" {
		v, err = r.Transfer(contact, to.Queue)
	} else {
		v, err = r.TransferToAgent(contact, to.Agent)
	}
	if err != nil {
		return fmt.Errorf("transfer chat %d: %w", c.ID, err)
	}
	c.State, c.Queue, c.Agent = StateQueued, v.Queue, ""
	if err := s.store.UpdateChat(ctx, c); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.positions, c.ID) // the new place is told afresh
	s.mu.Unlock()
	if _, err := s.post(ctx, Message{ChatID: c.ID, From: FromSystem, Text: transferText(r, agent, to)}); err != nil {
		return err
	}
	s.updatePositions(r)
	return nil
}

// transferText is the transcript's record of a transfer, as the citizen reads it.
func transferText(r Router, from string, to Target) string {
	where := "人工客服（工号 " + to.Agent + "）"
	if to.Queue != "" {
		where = "“" + to.Queue + "”"
		for _, q := range r.Queues() {
			if q.Name == to.Queue && q.Title != "" {
				where = "“" + q.Title + "”"
			}
		}
	}
	return "正在为您转接…工号 " + from + " 已将会话转至" + where + "，请稍候。"
}
