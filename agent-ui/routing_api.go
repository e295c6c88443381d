package agentui

import (
	"net/http"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

func (s *Server) routingRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/routing/queues", s.authed(s.listQueues, staffRoles...))
	m.Handle("PUT /api/v1/routing/queues/{name}", s.authed(s.putQueue, admins...))
	m.Handle("GET /api/v1/routing/wallboard", s.authed(s.getWallboard, staffRoles...))
	m.Handle("GET /api/v1/routing/agents", s.authed(s.listAgents, overseers...))
	m.Handle("GET /api/v1/routing/agents/{username}/profile", s.authed(s.getProfile, overseers...))
	m.Handle("PUT /api/v1/routing/agents/{username}/profile", s.authed(s.putProfile, overseers...))
	m.Handle("POST /api/v1/routing/contacts", s.authed(s.injectContact, overseers...))
	m.Handle("POST /api/v1/routing/contacts/{id}/end", s.authed(s.endContact, overseers...))
	m.Handle("GET /api/v1/citizens/history", s.authed(s.citizenHistory, staffRoles...))
}

func (s *Server) listQueues(w http.ResponseWriter, _ *http.Request, _ auth.Actor) error {
	writeJSON(w, http.StatusOK, s.routing.Queues())
	return nil
}

// putQueue saves a queue and applies it at once.
func (s *Server) putQueue(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	var q routing.QueueConfig
	if err := decodeJSON(w, r, &q, false); err != nil {
		return err
	}
	if q.Name != "" && q.Name != r.PathValue("name") {
		return errs.E(errs.Invalid, "the name in the body differs from the path")
	}
	q.Name = r.PathValue("name")
	if err := q.Normalize(); err != nil {
		return err
	}
	if err := s.routingStore.SaveQueue(r.Context(), q); err != nil {
		return err
	}
	if err := s.routing.SetQueue(q); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

// getWallboard is the wallboard as the websocket sends it.
func (s *Server) getWallboard(w http.ResponseWriter, _ *http.Request, a auth.Actor) error {
	m := s.hub.snapshot(0)
	if !a.Is(overseers...) {
		m.Agents = nil
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) listAgents(w http.ResponseWriter, _ *http.Request, _ auth.Actor) error {
	writeJSON(w, http.StatusOK, s.routing.Agents())
	return nil
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	p, found, err := s.routingStore.Profile(r.Context(), r.PathValue("username"))
	if err != nil {
		return err
	}
	if !found {
		p = routing.DefaultProfile(p.ID, p.Name, s.routing.Queues())
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// putProfile saves an agent's skills and chat capacity; an agent online
// gets them at once.
func (s *Server) putProfile(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	var p routing.Profile
	if err := decodeJSON(w, r, &p, false); err != nil {
		return err
	}
	p.ID = r.PathValue("username")
	if err := s.routingStore.SaveProfile(r.Context(), p); err != nil {
		return err
	}
	saved, _, err := s.routingStore.Profile(r.Context(), p.ID)
	if err != nil {
		return err
	}
	if _, err := s.routing.SetProfile(saved); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

// injectContact routes a test contact: for training, demonstrations and
// checks of the routing set-up, with no call or chat behind it.
func (s *Server) injectContact(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	var in struct {
		Channel  routing.Channel `json:"channel"`
		Queue    string          `json:"queue"`
		Caller   string          `json:"caller"`
		Priority int             `json:"priority"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	c, err := s.routing.Enqueue(routing.Contact{Channel: in.Channel, Queue: in.Queue, Caller: in.Caller, Priority: in.Priority})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) endContact(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	c, err := s.routing.End(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
