package agentui

import (
	"context"
	"net/http"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/ticketing"
)

// CitizenHistory is the screen pop: what a caller asked before, found by
// phone number. Calls stay empty until the telephony channel records them.
type CitizenHistory struct {
	Phone   string          `json:"phone"`
	Tickets []historyTicket `json:"tickets"`
	Calls   []any           `json:"calls"`
}

type historyTicket struct {
	ID         int64            `json:"id"`
	Number     string           `json:"number"`
	Kind       ticketing.Kind   `json:"kind"`
	Status     ticketing.Status `json:"status"`
	Title      string           `json:"title"`
	Department string           `json:"department,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
}

// historyLimit is how many past tickets a screen pop shows.
const historyLimit = 10

type historyFinder struct {
	tickets *ticketing.Service
}

// find returns the latest tickets of the caller's phone; a caller that is
// not a phone number (a chat name) has no history. Errors: those of the
// ticket store.
func (f *historyFinder) find(ctx context.Context, caller string) (CitizenHistory, error) {
	h := CitizenHistory{Phone: caller, Tickets: []historyTicket{}, Calls: []any{}}
	phone, err := ticketing.NormalizePhone(caller)
	if err != nil || phone == "" {
		return h, nil
	}
	h.Phone = phone
	// The lookup is the hotline's own, on behalf of its staff.
	staff := auth.Actor{Username: "screen-pop", Role: auth.RoleAgent}
	ts, _, err := f.tickets.List(ctx, staff, ticketing.ListQuery{Query: phone, Limit: historyLimit})
	if err != nil {
		return h, err
	}
	for _, t := range ts {
		h.Tickets = append(h.Tickets, historyTicket{ID: t.ID, Number: t.Number, Kind: t.Kind, Status: t.Status,
			Title: t.Title, Department: t.Department, CreatedAt: t.CreatedAt.In(f.tickets.Location())})
	}
	return h, nil
}

// citizenHistory serves GET /citizens/history?phone=.
func (s *Server) citizenHistory(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	phone := r.URL.Query().Get("phone")
	if _, err := ticketing.NormalizePhone(phone); err != nil || phone == "" {
		return errs.E(errs.Invalid, "phone must be a phone number")
	}
	h, err := s.history.find(r.Context(), phone)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}
