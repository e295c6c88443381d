package agentui

import (
	"context"
	"net/http"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/webchat"
)

// chatTransferData is the data of chat.transfer: a chat queue or an agent.
type chatTransferData struct {
	ChatID int64  `json:"chat_id"`
	Queue  string `json:"queue,omitempty"`
	Agent  string `json:"agent,omitempty"`
}

// chatTransfer handles chat.transfer from the console of the agent who
// has the chat: the chat service passes it on, and every tab of the
// agent is told the chat has left them (chat.closed, reason transferred).
func (h *Hub) chatTransfer(ctx context.Context, agent string, req envelope) (any, error) {
	if h.chats == nil {
		return nil, errs.E(errs.Unavailable, "web chat does not run on this server")
	}
	var d chatTransferData
	if err := decodeData(req, &d); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	if err := h.chats.Transfer(ctx, d.ChatID, agent, webchat.Target{Queue: d.Queue, Agent: d.Agent}); err != nil {
		return nil, err
	}
	h.toUser(agent, encode("chat.closed", "", map[string]any{"chat_id": d.ChatID, "reason": "transferred"}))
	return d, nil
}

// chatTargets is where an agent may transfer a chat: the chat queues and
// the agents logged in, each saying whether it could take a chat now.
type chatTargets struct {
	Queues []chatTargetQueue `json:"queues"`
	Agents []chatTargetAgent `json:"agents"`
}

type chatTargetQueue struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Waiting int    `json:"waiting"`
}

type chatTargetAgent struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	State        routing.State `json:"state"`
	Chats        int           `json:"chats"`
	ChatCapacity int           `json:"chat_capacity"`
	// Free is whether a chat transferred now would ring for the agent;
	// Why says why not.
	Free bool   `json:"free"`
	Why  string `json:"why,omitempty"`
}

// getChatTargets lists the chat queues and the logged-in agents for the
// console's transfer control.
func (s *Server) getChatTargets(w http.ResponseWriter, _ *http.Request, _ auth.Actor) error {
	out := chatTargets{Queues: []chatTargetQueue{}, Agents: []chatTargetAgent{}}
	waiting := map[string]int{}
	for _, st := range s.routing.Stats() {
		waiting[st.Queue] = st.Waiting
	}
	for _, q := range s.routing.Queues() {
		if webchat.ChatQueue(q.Name) {
			out.Queues = append(out.Queues, chatTargetQueue{Name: q.Name, Title: q.Title, Waiting: waiting[q.Name]})
		}
	}
	for _, a := range s.routing.Agents() {
		if a.State == routing.Offline {
			continue
		}
		t := chatTargetAgent{ID: a.ID, Name: a.Name, State: a.State, Chats: a.Chats, ChatCapacity: a.ChatLimit, Free: true}
		if err := s.routing.CanTake(a.ID, routing.Chat); err != nil {
			t.Free, t.Why = false, errs.Message(err)
		}
		out.Agents = append(out.Agents, t)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
