package agentui

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/ticketing"
)

// createTicket records a ticket; with an Idempotency-Key header, a retry
// answers the ticket the first request created (Idempotent-Replayed: true).
func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req ticketing.NewTicket
	if err := httpx.DecodeJSON(w, r, &req, false); err != nil {
		return err
	}
	t, replayed, err := s.tickets.CreateOnce(r.Context(), a, req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	s.linkCall(r, t)
	if !replayed { // the citizen is told the number once
		s.linkChat(r, a, t)
	}
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(t.ID, 10))
	httpx.WriteJSON(w, http.StatusCreated, ticketing.NewView(t, s.tickets.Location()))
	return nil
}

// ticketID reads the {id} of a ticket's path: the ticket's ID or its
// number, a number looked up as the actor may see it (Service.TicketID).
// Errors: not_found.
func (s *Server) ticketID(r *http.Request, a auth.Actor) (int64, error) {
	return s.tickets.TicketID(r.Context(), a, r.PathValue("id"))
}

// getTicket answers a ticket by its ID or its number.
func (s *Server) getTicket(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	t, err := s.tickets.GetRef(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, ticketing.NewView(t, s.tickets.Location()))
	return nil
}

// ticketEvents answers a page of the history, oldest first; limit and the
// cursor of the previous page choose it.
func (s *Server) ticketEvents(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	params, err := httpx.Query(r, "limit", "cursor")
	if err != nil {
		return err
	}
	id, err := s.ticketID(r, a)
	if err != nil {
		return err
	}
	var q ticketing.EventQuery
	if q.Limit, err = limitParam(params); err != nil {
		return err
	}
	if c := params.Get("cursor"); c != "" {
		if q.After, err = decodeCursor(c); err != nil {
			return err
		}
	}
	evs, next, err := s.tickets.Events(r.Context(), a, id, q)
	if err != nil {
		return err
	}
	out := make([]eventView, len(evs))
	for i, e := range evs {
		out[i] = viewEvent(e, s.tickets.Location())
	}
	httpx.WriteJSON(w, http.StatusOK, page[eventView]{Items: out, NextCursor: encodeCursor(next)})
	return nil
}

// limitParam reads limit (0 when absent). Errors: invalid.
func limitParam(q url.Values) (int, error) {
	l := q.Get("limit")
	if l == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 {
		return 0, errs.E(errs.Invalid, "limit must be a positive number")
	}
	return n, nil
}

// listParams are the parameters of the ticket list.
var listParams = []string{"status", "kind", "department", "q", "phone", "callback_due", "limit", "cursor"}

// listQuery reads the list parameters: status and kind take comma-separated
// values; phone, when given (even empty), filters by the citizen's phone;
// cursor is the opaque next_cursor of the previous page. Errors: invalid.
func listQuery(r *http.Request) (ticketing.ListQuery, error) {
	var lq ticketing.ListQuery
	q, err := httpx.Query(r, listParams...)
	if err != nil {
		return lq, err
	}
	for _, s := range httpx.SplitList(q.Get("status")) {
		st, err := ticketing.ParseStatus(s)
		if err != nil {
			return lq, err
		}
		lq.Statuses = append(lq.Statuses, st)
	}
	for _, s := range httpx.SplitList(q.Get("kind")) {
		k, err := ticketing.ParseKind(s)
		if err != nil {
			return lq, err
		}
		lq.Kinds = append(lq.Kinds, k)
	}
	lq.Department = q.Get("department")
	lq.Query = q.Get("q")
	if q.Has("phone") {
		phone := q.Get("phone")
		lq.Phone = &phone
	}
	switch q.Get("callback_due") {
	case "", "false":
	case "true":
		lq.CallbackDue = true
	default:
		return lq, errs.E(errs.Invalid, "callback_due must be true or false")
	}
	if lq.Limit, err = limitParam(q); err != nil {
		return lq, err
	}
	if c := q.Get("cursor"); c != "" {
		before, err := decodeCursor(c)
		if err != nil {
			return lq, err
		}
		lq.Before = before
	}
	return lq, nil
}

func encodeCursor(id int64) string {
	if id == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("t" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > 1 && b[0] == 't' {
		if id, err := strconv.ParseInt(string(b[1:]), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, errs.E(errs.Invalid, "cursor is not one this server gave out")
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	lq, err := listQuery(r)
	if err != nil {
		return err
	}
	ts, next, err := s.tickets.List(r.Context(), a, lq)
	if err != nil {
		return err
	}
	out := make([]ticketing.View, len(ts))
	for i, t := range ts {
		out[i] = ticketing.NewView(t, s.tickets.Location())
	}
	httpx.WriteJSON(w, http.StatusOK, page[ticketing.View]{Items: out, NextCursor: encodeCursor(next)})
	return nil
}

// actionBody is the body of any action; "into" (merge) names the surviving
// ticket by ID or by number.
type actionBody struct {
	ticketing.Request
	Into json.RawMessage `json:"into"`
}

func (s *Server) ticketAction(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := s.ticketID(r, a)
	if err != nil {
		return err
	}
	action, err := ticketing.ParseAction(r.PathValue("action"))
	if err != nil {
		return err
	}
	var body actionBody
	if err := httpx.DecodeJSON(w, r, &body, true); err != nil {
		return err
	}
	if action == ticketing.ActionMerge {
		if body.Request.Into, err = s.resolveInto(r, a, body.Into); err != nil {
			return err
		}
	}
	t, err := s.tickets.Act(r.Context(), a, id, action, body.Request)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, ticketing.NewView(t, s.tickets.Location()))
	return nil
}

// resolveInto reads the merge target: a JSON number is an ID, a string is
// a ticket number (or an ID written as a string).
func (s *Server) resolveInto(r *http.Request, a auth.Actor, raw json.RawMessage) (int64, error) {
	if len(raw) == 0 {
		return 0, errs.E(errs.Invalid, "into is required: the ID or number of the surviving ticket")
	}
	var id int64
	if err := json.Unmarshal(raw, &id); err == nil {
		return id, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err != nil {
		return 0, errs.E(errs.Invalid, "into must be a ticket ID or number")
	}
	if ticketing.LooksLikeNumber(str) {
		return s.tickets.TicketID(r.Context(), a, str)
	}
	id, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		return 0, errs.E(errs.Invalid, "into must be a ticket ID or number")
	}
	return id, nil
}
