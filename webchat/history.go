package webchat

import (
	"context"

	"github.com/open12345/hotline/screenpop"
)

// PastChats lists a citizen's earlier chats for the agents' screen pop:
// the chats whose citizen gave or proved the phone (a left message, a
// progress query).
type PastChats struct{ store Store }

// PastChats returns the service's chat history by phone.
func (s *Service) PastChats() PastChats { return PastChats{store: s.store} }

// Chats implements screenpop.ChatHistory.
func (p PastChats) Chats(ctx context.Context, phone string, limit int) ([]screenpop.Chat, error) {
	past, err := p.store.ChatsByPhone(ctx, phone, limit)
	if err != nil {
		return nil, err
	}
	out := make([]screenpop.Chat, len(past))
	for i, c := range past {
		out[i] = screenpop.Chat{ID: c.ID, StartedAt: c.StartedAt, Outcome: string(c.Outcome), Agent: c.Agent, Ticket: c.TicketNumber}
	}
	return out, nil
}

// PhoneOf returns the phone the chat's citizen gave or proved, or "".
func (s *Service) PhoneOf(ctx context.Context, chatID int64) (string, error) {
	c, err := s.store.Chat(ctx, chatID)
	return c.Phone, err
}
