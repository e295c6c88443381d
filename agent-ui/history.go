package agentui

import (
	"net/http"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/ticketing"
)

// citizenHistory serves GET /citizens/history?phone=: the screen pop of
// the phone number (screenpop.Finder).
func (s *Server) citizenHistory(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	phone := r.URL.Query().Get("phone")
	if _, err := ticketing.NormalizePhone(phone); err != nil || phone == "" {
		return errs.E(errs.Invalid, "phone must be a phone number")
	}
	h, err := s.history.Find(r.Context(), phone)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, h)
	return nil
}
