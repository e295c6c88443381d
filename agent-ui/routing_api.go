package agentui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/routing"
)

func (s *Server) routingRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/routing/queues", s.authed(withQuery(s.listQueues), staffRoles...))
	m.Handle("PUT /api/v1/routing/queues/{name}", s.authed(s.putQueue, admins...))
	m.Handle("GET /api/v1/routing/wallboard", s.authed(withQuery(s.getWallboard), staffRoles...))
	m.Handle("GET /api/v1/routing/agents", s.authed(withQuery(s.listAgents), overseers...))
	m.Handle("GET /api/v1/routing/agents/{username}/profile", s.authed(withQuery(s.getProfile), overseers...))
	m.Handle("PUT /api/v1/routing/agents/{username}/profile", s.authed(s.putProfile, overseers...))
	m.Handle("POST /api/v1/routing/contacts", s.authed(s.injectContact, overseers...))
	m.Handle("POST /api/v1/routing/contacts/{id}/end", s.authed(s.endContact, overseers...))
	m.Handle("GET /api/v1/citizens/history", s.authed(withQuery(s.citizenHistory, "phone"), staffRoles...))
}

func (s *Server) listQueues(w http.ResponseWriter, _ *http.Request, _ auth.Actor) error {
	httpx.WriteJSON(w, http.StatusOK, s.routing.Queues())
	return nil
}

// putQueue saves a queue and applies it at once.
func (s *Server) putQueue(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	var q routing.QueueConfig
	if err := httpx.DecodeJSON(w, r, &q, false); err != nil {
		return err
	}
	if q.Name != "" && q.Name != r.PathValue("name") {
		return errs.E(errs.Invalid, "the name in the body differs from the path")
	}
	q.Name = r.PathValue("name")
	q, err := s.routingConfig.SaveQueue(r.Context(), q)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, q)
	return nil
}

// wallboardView is the wallboard as GET /routing/wallboard answers it:
// the websocket's figures, and for supervisors and admins every agent
// expected on the floor, offline ones included.
type wallboardView struct {
	Seq    uint64               `json:"seq"`
	At     time.Time            `json:"at"`
	Queues []routing.QueueStats `json:"queues"`
	Agents []rosterAgent        `json:"agents,omitempty"`
}

// rosterAgent is an agent's line on the wallboard: one in routing, or an
// active agent account that is not.
type rosterAgent struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	State  routing.State  `json:"state"`
	Reason routing.Reason `json:"reason,omitempty"`
	Since  *time.Time     `json:"since,omitempty"` // nil: not in routing since this node started
	Voice  int            `json:"voice"`
	Chats  int            `json:"chats"`
	// VoiceReachable as in wallboardAgent.
	VoiceReachable bool `json:"voice_reachable"`
}

// getWallboard is the wallboard as the websocket sends it, with the
// offline agents the websocket leaves out.
func (s *Server) getWallboard(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	m := s.hub.snapshot(0)
	v := wallboardView{Seq: m.Seq, At: m.At, Queues: m.Queues}
	if a.Is(overseers...) {
		agents, err := s.roster(r.Context())
		if err != nil {
			return err
		}
		v.Agents = agents
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

// roster lists every agent in routing and every active account with the
// agent role, by id; those not logged in are offline. Errors: as the user
// store's.
func (s *Server) roster(ctx context.Context) ([]rosterAgent, error) {
	users, err := s.auth.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("wallboard roster: %w", err)
	}
	expected := map[string]*auth.User{}
	for _, u := range users {
		if u.Role == auth.RoleAgent && !u.Disabled {
			expected[u.Username] = u
		}
	}
	out := []rosterAgent{}
	for _, v := range s.routing.Agents() {
		if v.State == routing.Offline && expected[v.ID] == nil {
			continue // logged out, and no longer an active agent
		}
		since := v.Since
		out = append(out, rosterAgent{ID: v.ID, Name: v.Name, State: v.State, Reason: v.Reason, Since: &since,
			Voice: v.Voice, Chats: v.Chats, VoiceReachable: v.VoiceReachable})
		delete(expected, v.ID)
	}
	for _, u := range expected {
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		out = append(out, rosterAgent{ID: u.Username, Name: name, State: routing.Offline})
	}
	slices.SortFunc(out, func(a, b rosterAgent) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *Server) listAgents(w http.ResponseWriter, _ *http.Request, _ auth.Actor) error {
	httpx.WriteJSON(w, http.StatusOK, s.routing.Agents())
	return nil
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	p, err := s.routingConfig.Profile(r.Context(), r.PathValue("username"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

// putProfile saves an agent's skills and chat capacity; an agent online
// gets them at once.
func (s *Server) putProfile(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	var p routing.Profile
	if err := httpx.DecodeJSON(w, r, &p, false); err != nil {
		return err
	}
	p.ID = r.PathValue("username")
	saved, err := s.routingConfig.SaveProfile(r.Context(), p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, saved)
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
	if err := httpx.DecodeJSON(w, r, &in, false); err != nil {
		return err
	}
	c, err := s.routing.Enqueue(routing.Contact{Channel: in.Channel, Queue: in.Queue, Caller: in.Caller, Priority: in.Priority})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
	return nil
}

// endContact ends a contact through the channel that carries it.
func (s *Server) endContact(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	id := r.PathValue("id")
	c, ok := s.controls.find(id)
	if !ok {
		return errs.E(errs.NotFound, "no live contact %s", httpx.Clip(id, 40))
	}
	c, err := s.controls.end(r.Context(), c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}
