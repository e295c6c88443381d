package agentui

import (
	"context"
	"net/http"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
)

// SIPPasswords sets the passwords agents' phones register with (their
// digest, never the password, is stored); telephony.Credentials is one.
type SIPPasswords interface {
	SetPassword(ctx context.Context, username, password string) error
}

type sipPasswordRequest struct {
	Password string `json:"password"`
}

// setSIPPassword answers PUT /users/{username}/sip-password: an admin sets
// anyone's, every other user only their own (the login password is not
// the phone's). Errors: forbidden, invalid, not_found, unavailable.
func (s *Server) setSIPPassword(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	username := r.PathValue("username")
	if !a.Is(auth.RoleAdmin) && username != a.Username {
		return errs.E(errs.Forbidden, "only an admin may set another user's SIP password")
	}
	if s.sipPasswords == nil {
		return errs.E(errs.Unavailable, "this server has no telephony: SIP passwords cannot be set")
	}
	var req sipPasswordRequest
	if err := httpx.DecodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if err := s.sipPasswords.SetPassword(r.Context(), username, req.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
