package agentui

import (
	"net/http"
	"strconv"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/canned"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
)

// cannedRoutes serve the canned replies: staff read the active ones,
// admins keep them. The role is checked here and again by canned.Service.
func (s *Server) cannedRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/canned-replies", s.authed(withQuery(s.listCanned, "include_inactive"), staffRoles...))
	m.Handle("GET /api/v1/canned-replies/{id}", s.authed(withQuery(s.getCanned), staffRoles...))
	m.Handle("POST /api/v1/canned-replies", s.authed(s.createCanned, admins...))
	m.Handle("PUT /api/v1/canned-replies/{id}", s.authed(s.updateCanned, admins...))
	m.Handle("DELETE /api/v1/canned-replies/{id}", s.authed(s.deleteCanned, admins...))
}

func (s *Server) cannedService() (*canned.Service, error) {
	if s.canned == nil {
		return nil, errs.E(errs.Unavailable, "canned replies are not kept on this server")
	}
	return s.canned, nil
}

// cannedInput is a new reply as POST takes it.
type cannedInput struct {
	Title     string `json:"title"`
	Text      string `json:"text"`
	Category  string `json:"category"`
	Shortcut  string `json:"shortcut"`
	SortOrder int    `json:"sort_order"`
	Active    *bool  `json:"active"` // default true
}

func (s *Server) listCanned(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	svc, err := s.cannedService()
	if err != nil {
		return err
	}
	all := false
	switch v := r.URL.Query().Get("include_inactive"); v {
	case "", "false":
	case "true":
		all = true
	default:
		return errs.E(errs.Invalid, "include_inactive must be true or false")
	}
	rs, err := svc.List(r.Context(), a, all)
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []canned.Reply{}
	}
	httpx.WriteJSON(w, http.StatusOK, page[canned.Reply]{Items: rs})
	return nil
}

// cannedID reads the path's id; a malformed one is as unknown as a missing one.
func cannedID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no canned reply %q", httpx.Clip(r.PathValue("id"), 40))
	}
	return id, nil
}

func (s *Server) getCanned(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	svc, err := s.cannedService()
	if err != nil {
		return err
	}
	id, err := cannedID(r)
	if err != nil {
		return err
	}
	c, err := svc.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) createCanned(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	svc, err := s.cannedService()
	if err != nil {
		return err
	}
	var in cannedInput
	if err := httpx.DecodeJSON(w, r, &in, false); err != nil {
		return err
	}
	c := canned.Reply{Title: in.Title, Text: in.Text, Category: in.Category, Shortcut: in.Shortcut,
		SortOrder: in.SortOrder, Active: in.Active == nil || *in.Active}
	if c, err = svc.Create(r.Context(), a, c); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
	return nil
}

// updateCanned changes the fields the body names; {"active": false}
// deactivates a reply.
func (s *Server) updateCanned(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	svc, err := s.cannedService()
	if err != nil {
		return err
	}
	id, err := cannedID(r)
	if err != nil {
		return err
	}
	var u canned.Update
	if err := httpx.DecodeJSON(w, r, &u, false); err != nil {
		return err
	}
	c, err := svc.Update(r.Context(), a, id, u)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteCanned(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	svc, err := s.cannedService()
	if err != nil {
		return err
	}
	id, err := cannedID(r)
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
