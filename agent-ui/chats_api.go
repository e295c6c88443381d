package agentui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/webchat"
)

// chatRoutes serve the chat history to supervisors and admins.
func (s *Server) chatRoutes() {
	s.mux.Handle("GET /api/v1/chats", s.authed(s.listChats, overseers...))
	s.mux.Handle("GET /api/v1/chats/{id}", s.authed(withQuery(s.getChat), overseers...))
}

// chatView is a chat as the API shows it (DESIGN.md: Chats).
type chatView struct {
	ID           int64           `json:"id"`
	StartedAt    time.Time       `json:"started_at"`
	EndedAt      *time.Time      `json:"ended_at"`
	State        webchat.State   `json:"state"`
	Queue        string          `json:"queue"`
	Agent        string          `json:"agent"`
	Outcome      webchat.Outcome `json:"outcome"`
	Satisfaction *int            `json:"satisfaction"`
	TicketID     *int64          `json:"ticket_id"`
	Messages     []chatLine      `json:"messages,omitempty"`
}

type chatLine struct {
	Seq        int                `json:"seq"`
	From       webchat.From       `json:"from"`
	Agent      string             `json:"agent,omitempty"`
	Text       string             `json:"text"`
	At         time.Time          `json:"at"`
	Guides     []webchat.GuideRef `json:"guides,omitempty"`
	Attachment string             `json:"attachment,omitempty"`
}

func viewChat(c webchat.Chat, ms []webchat.Message) chatView {
	v := chatView{ID: c.ID, StartedAt: c.StartedAt, EndedAt: c.EndedAt, State: c.State, Queue: c.Queue, Agent: c.Agent, Outcome: c.Outcome}
	if c.Satisfaction != 0 {
		v.Satisfaction = &c.Satisfaction
	}
	if c.TicketID != 0 {
		v.TicketID = &c.TicketID
	}
	for _, m := range ms {
		v.Messages = append(v.Messages, chatLine{Seq: m.Seq, From: m.From, Agent: m.Agent, Text: m.Text, At: m.At, Guides: m.Guides, Attachment: m.Attachment})
	}
	return v
}

func (s *Server) chatService() (*webchat.Service, error) {
	if s.chatsSvc == nil {
		return nil, errs.E(errs.Unavailable, "web chat does not run on this server")
	}
	return s.chatsSvc, nil
}

func (s *Server) listChats(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	svc, err := s.chatService()
	if err != nil {
		return err
	}
	q, err := httpx.Query(r, "from", "to", "agent", "q", "limit", "cursor")
	if err != nil {
		return err
	}
	loc := s.tickets.Location()
	var f webchat.Filter
	if f.From, err = timeParam(q.Get("from"), "from", loc, false); err != nil {
		return err
	}
	if f.To, err = timeParam(q.Get("to"), "to", loc, true); err != nil {
		return err
	}
	f.Agent, f.Q = q.Get("agent"), q.Get("q")
	if f.Limit, err = limitParam(q); err != nil {
		return err
	}
	switch {
	case f.Limit == 0:
		f.Limit = 50
	case f.Limit > 200:
		return errs.E(errs.Invalid, "limit must be at most 200")
	}
	if c := q.Get("cursor"); c != "" {
		if f.Before, err = decodeCursor(c); err != nil {
			return err
		}
	}
	cs, err := svc.History(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]chatView, len(cs))
	var next int64 // the next page starts before the last chat of a full page
	for i, c := range cs {
		out[i] = viewChat(c, nil)
	}
	if len(cs) == f.Limit {
		next = cs[len(cs)-1].ID
	}
	httpx.WriteJSON(w, http.StatusOK, page[chatView]{Items: out, NextCursor: encodeCursor(next)})
	return nil
}

func (s *Server) getChat(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	svc, err := s.chatService()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "chat %q not found", httpx.Clip(r.PathValue("id"), 40))
	}
	c, ms, err := svc.Chat(r.Context(), id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, viewChat(c, ms))
	return nil
}
