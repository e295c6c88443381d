package agentui

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/webchat"
)

// The agents' side of the web chat in the console hub: chat.send and
// chat.close from the console, chat.message to the agent who has the chat
// (its whole transcript once the agent joins it, then each new message).

// chatMessage is a transcript message as a console gets it.
type chatMessage struct {
	ChatID int64 `json:"chat_id"`
	webchat.Message
}

type chatSendData struct {
	ChatID   int64  `json:"chat_id"`
	Text     string `json:"text"`
	ClientID string `json:"client_id"`
}

// chatRequest handles chat.send, chat.close and chat.typing from an
// agent's console.
func (h *Hub) chatRequest(ctx context.Context, agent string, req envelope) (any, error) {
	if h.chats == nil {
		return nil, errs.E(errs.Unavailable, "web chat does not run on this server")
	}
	var d chatSendData
	if err := decodeData(req, &d); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	switch req.Type {
	case "chat.close":
		return struct{}{}, h.chats.EndByAgent(ctx, d.ChatID, agent)
	case "chat.typing":
		return struct{}{}, h.chats.AgentTyping(ctx, d.ChatID, agent)
	}
	m, err := h.chats.AgentSays(ctx, d.ChatID, agent, d.Text, d.ClientID)
	return chatMessage{ChatID: d.ChatID, Message: m}, err
}

// chatAgent is the agent routing connected the chat to, or "".
func (h *Hub) chatAgent(chatID int64) string { return h.chats.AgentOf(chatID) }

// forwardChats sends every chat's new messages to the agent who has the
// chat, until ctx ends. Should it fall behind, it listens again; the
// consoles get any missed message with the transcript the next time.
func (h *Hub) forwardChats(ctx context.Context) {
	for ctx.Err() == nil {
		l := h.chats.Hub().ListenAll()
		h.forwardFrom(ctx, l)
		l.Close()
		if ctx.Err() == nil {
			h.log.Warn("webchat: the consoles fell behind the chats; listening again")
		}
	}
}

func (h *Hub) forwardFrom(ctx context.Context, l *webchat.Listener) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-l.C:
			if !ok {
				return
			}
			if joined, ok := ev.Data.(map[string]string); ok && ev.Signal == "agent.joined" {
				h.sendChatHistory(ctx, joined["agent"], ev.Chat)
				continue
			}
			if typing, ok := ev.Data.(map[string]webchat.From); ok && ev.Signal == "typing" && typing["from"] == webchat.FromCitizen {
				if agent := h.chatAgent(ev.Chat); agent != "" {
					h.toUser(agent, encode("chat.typing", "", map[string]int64{"chat_id": ev.Chat}))
				}
				continue
			}
			if ev.Message == nil {
				continue
			}
			if agent := h.chatAgent(ev.Chat); agent != "" {
				h.toUser(agent, encode("chat.message", "", chatMessage{ChatID: ev.Chat, Message: *ev.Message}))
			}
		}
	}
}

// sendChatHistory sends the agent who just joined a chat its transcript:
// what the citizen and the bot said before.
func (h *Hub) sendChatHistory(ctx context.Context, agent string, chatID int64) {
	h.mu.Lock()
	tabs := slices.Clone(h.byUser[agent])
	h.mu.Unlock()
	h.sendTranscript(ctx, agent, chatID, tabs...)
}

// sendOpenChats sends an agent's console that just connected the
// transcript of every chat routing has the agent in: a tab that
// reconnects, or opens after a restart, misses nothing of them. Messages
// forwarded meanwhile may come twice; consoles show each seq once.
func (h *Hub) sendOpenChats(ctx context.Context, c *wsClient) {
	if h.chats == nil || c.actor.Role != auth.RoleAgent {
		return
	}
	for _, ct := range h.engine.Contacts() {
		if ct.Channel != routing.Chat || ct.Agent != c.actor.Username || ct.Status != routing.Connected {
			continue
		}
		if chatID, err := strconv.ParseInt(ct.Ref, 10, 64); err == nil {
			h.sendTranscript(ctx, c.actor.Username, chatID, c)
		}
	}
}

// sendTranscript queues a chat's whole transcript for the agent's tabs.
// A long transcript outgrows a tab's send queue, so it waits for the tab
// to take each message (up to controlTimeout) rather than dropping it.
func (h *Hub) sendTranscript(ctx context.Context, agent string, chatID int64, tabs ...*wsClient) {
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	ms, err := h.chats.Transcript(ctx, chatID, agent, 0)
	if err != nil {
		h.log.Warn("webchat: the transcript for the console", "chat", chatID, "agent", agent, "err", err)
		return
	}
	for _, c := range tabs {
		for _, m := range ms {
			if !c.enqueueWait(ctx, encode("chat.message", "", chatMessage{ChatID: chatID, Message: m})) {
				break
			}
		}
	}
}

// chatControl ends chats for consoles (contact.end) through the chat
// service, which ends them in routing.
type chatControl struct {
	engine *routing.Engine
	chats  *webchat.Service
}

// End closes the chat of the contact as answered.
func (cc chatControl) End(ctx context.Context, contactID string) error {
	c, ok := cc.engine.Contact(contactID)
	if !ok {
		return errs.E(errs.NotFound, "no live contact %s", contactID)
	}
	id, err := strconv.ParseInt(c.Ref, 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "contact %s is not a chat", contactID)
	}
	return cc.chats.EndByAgent(ctx, id, c.Agent)
}

// AnsweredOnDevice is false: chats are answered in the console.
func (chatControl) AnsweredOnDevice() bool { return false }

// withChatControl adds the chats' control to the channels' controls
// when web chat runs here.
func withChatControl(deps Deps) map[routing.Channel]ContactControl {
	if deps.Chats == nil {
		return deps.Controls
	}
	out := maps.Clone(deps.Controls)
	if out == nil {
		out = map[routing.Channel]ContactControl{}
	}
	out[routing.Chat] = chatControl{engine: deps.Routing, chats: deps.Chats}
	return out
}
