package agentui

import (
	"net/http"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// loginRate is how fast one address may send logins to one node: a call
// centre's whole shift behind one NAT at once, not a flood.
var loginRate = httpx.Rate{PerSecond: 10, Burst: 200}

// login checks credentials, sets the session cookie and returns the token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if ok, wait := s.logins.Allow(httpx.ClientKey(r), s.clock.Now()); !ok {
		return &errs.Error{Code: errs.RateLimited, Message: "too many login requests; try again shortly", RetryAfter: wait}
	}
	var req loginRequest
	if err := httpx.DecodeJSON(w, r, &req, false); err != nil {
		return err
	}
	token, u, err := s.auth.Login(r.Context(), req.Username, req.Password, httpx.ClientKey(r))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: httpx.ClientOf(r).HTTPS,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.auth.SessionTTL.Seconds()),
	})
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"token": token, "user": viewUser(u, s.tickets.Location())})
	return nil
}

// logout ends the session of the request's token and clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if tok := requestToken(r); tok != "" {
		if err := s.auth.Logout(r.Context(), tok); err != nil {
			return err
		}
		s.hub.EndSession(tok)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: httpx.ClientOf(r).HTTPS,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	_, u, err := s.auth.Authenticate(r.Context(), requestToken(r))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, viewUser(u, s.tickets.Location()))
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	us, err := s.auth.Users(r.Context())
	if err != nil {
		return err
	}
	out := make([]userView, len(us))
	for i, u := range us {
		out[i] = viewUser(u, s.tickets.Location())
	}
	httpx.WriteJSON(w, http.StatusOK, page[userView]{Items: out})
	return nil
}

type newUserRequest struct {
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        auth.Role `json:"role"`
	Department  string    `json:"department"`
	Password    string    `json:"password"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	var req newUserRequest
	if err := httpx.DecodeJSON(w, r, &req, false); err != nil {
		return err
	}
	u, err := s.auth.AddUser(r.Context(), auth.NewUser(req))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, viewUser(u, s.tickets.Location()))
	return nil
}
