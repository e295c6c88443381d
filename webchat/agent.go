package webchat

import (
	"context"
	"fmt"

	"github.com/open12345/hotline/errs"
)

// ownChat returns the chat if agent is talking with its citizen.
// Errors: not_found (no such chat, or not this agent's: the same answer).
func (s *Service) ownChat(ctx context.Context, chatID int64, agent string) (Chat, error) {
	c, err := s.store.Chat(ctx, chatID)
	if errs.CodeOf(err) == errs.NotFound || err == nil && (c.State != StateAgent || c.Agent != agent) {
		return Chat{}, errs.E(errs.NotFound, "no chat %d of yours is open", chatID)
	}
	return c, err
}

// AgentSays stores the agent's message in the chat the agent has and
// tells the citizen. A resend with the same clientID stores nothing.
// Errors: invalid, not_found.
func (s *Service) AgentSays(ctx context.Context, chatID int64, agent, text, clientID string) (Message, error) {
	if err := CheckText(text); err != nil {
		return Message{}, err
	}
	if err := CheckClientID(clientID); err != nil {
		return Message{}, err
	}
	// Routing connected the agent to the chat: no need to read it (every
	// message comes here). Otherwise the stored chat decides.
	if agent == "" || s.AgentOf(chatID) != agent {
		if _, err := s.ownChat(ctx, chatID, agent); err != nil {
			return Message{}, err
		}
	}
	m, dup, err := s.store.Append(ctx, Message{ChatID: chatID, From: FromAgent, Agent: agent, Text: text, At: s.clock.Now(), ClientID: clientID})
	if err == nil && !dup {
		s.hub.Publish(m)
	}
	return m, err
}

// EndByAgent closes the agent's chat as answered and asks the citizen
// for a rating. Errors: not_found.
func (s *Service) EndByAgent(ctx context.Context, chatID int64, agent string) error {
	c, err := s.ownChat(ctx, chatID, agent)
	if err != nil {
		return err
	}
	if r, contact, ok := s.contactOf(c.ID); ok {
		s.forget(c.ID)
		if _, err := r.End(contact); err != nil && errs.CodeOf(err) != errs.NotFound {
			return fmt.Errorf("end the routing contact of chat %d: %w", c.ID, err)
		}
	}
	return s.end(ctx, c, OutcomeAnswered)
}

// Transcript returns the chat's messages after seq for the agent who has
// it (the bot's part included). Errors: not_found.
func (s *Service) Transcript(ctx context.Context, chatID int64, agent string, after int) ([]Message, error) {
	if _, err := s.ownChat(ctx, chatID, agent); err != nil {
		return nil, err
	}
	return s.Replay(ctx, chatID, after)
}

// LinkTicket records the ticket an agent made from the chat and tells
// the citizen its number (in the transcript and as a ticket signal), so
// they can follow it. A chat keeps its first ticket. Errors: not_found,
// forbidden (not the chat's agent).
func (s *Service) LinkTicket(ctx context.Context, chatID int64, agent string, ticketID int64, number string) error {
	c, err := s.store.Chat(ctx, chatID)
	if err != nil {
		return err
	}
	if c.Agent != agent {
		return errs.E(errs.Forbidden, "chat %d is not one of yours", chatID)
	}
	if c.TicketID == 0 {
		c.TicketID = ticketID
		if err := s.store.UpdateChat(ctx, c); err != nil {
			return err
		}
	}
	if _, err := s.post(ctx, Message{ChatID: c.ID, From: FromSystem,
		Text: "已为您登记工单，编号 " + number + "。可凭编号和手机号码在“办理进度查询”中查看进展。"}); err != nil {
		return err
	}
	s.hub.Signal(c.ID, "ticket", map[string]string{"number": number})
	return nil
}
