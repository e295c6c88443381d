package agentui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/ticketing"
)

func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	ds, err := s.tickets.Departments(r.Context(), a)
	if err != nil {
		return err
	}
	for i := range ds {
		ds[i].CreatedAt = ds[i].CreatedAt.In(s.tickets.Location())
	}
	httpx.WriteJSON(w, http.StatusOK, page[ticketing.Department]{Items: ds})
	return nil
}

func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var d ticketing.Department
	if err := httpx.DecodeJSON(w, r, &d, false); err != nil {
		return err
	}
	d.CreatedAt = time.Time{}
	saved, err := s.tickets.SaveDepartment(r.Context(), a, d, true)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, saved)
	return nil
}

func (s *Server) updateDepartment(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var d ticketing.Department
	if err := httpx.DecodeJSON(w, r, &d, false); err != nil {
		return err
	}
	if d.Code != "" && d.Code != r.PathValue("code") {
		return errs.E(errs.Invalid, "the code in the body differs from the path")
	}
	d.Code, d.CreatedAt = r.PathValue("code"), time.Time{}
	saved, err := s.tickets.SaveDepartment(r.Context(), a, d, false)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, saved)
	return nil
}

func pathYear(r *http.Request) (int, error) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		return 0, errs.E(errs.Invalid, "year must be a number")
	}
	return y, nil
}

func (s *Server) getCalendar(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	y, err := pathYear(r)
	if err != nil {
		return err
	}
	cal, err := s.tickets.CalendarYear(r.Context(), y)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, cal)
	return nil
}

type calendarBody struct {
	Year     int              `json:"year"` // optional; must match the path
	Holidays []ticketing.Date `json:"holidays"`
	Workdays []ticketing.Date `json:"workdays"`
}

func (s *Server) putCalendar(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	y, err := pathYear(r)
	if err != nil {
		return err
	}
	var body calendarBody
	if err := httpx.DecodeJSON(w, r, &body, false); err != nil {
		return err
	}
	if body.Year != 0 && body.Year != y {
		return errs.E(errs.Invalid, "the year in the body differs from the path")
	}
	year := ticketing.Year{Year: y, Holidays: body.Holidays, Workdays: body.Workdays}
	if year.Holidays == nil {
		year.Holidays = []ticketing.Date{}
	}
	if year.Workdays == nil {
		year.Workdays = []ticketing.Date{}
	}
	if err := s.tickets.SetCalendarYear(r.Context(), a, year); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, year)
	return nil
}

func (s *Server) deadline(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	q, err := httpx.Query(r, "from", "kind", "urgency")
	if err != nil {
		return err
	}
	from, err := time.Parse(time.RFC3339, q.Get("from"))
	if err != nil {
		return errs.E(errs.Invalid, "from must be an RFC 3339 time, e.g. 2026-09-30T10:00:00+08:00")
	}
	d, err := s.tickets.Deadline(r.Context(), from, ticketing.Kind(q.Get("kind")), ticketing.Urgency(q.Get("urgency")))
	if err != nil {
		return err
	}
	loc := s.tickets.Location()
	httpx.WriteJSON(w, http.StatusOK, ticketing.Deadlines{SignDueAt: d.SignDueAt.In(loc), DueAt: d.DueAt.In(loc)})
	return nil
}

func (s *Server) getPolicies(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	p, err := s.tickets.Policies(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) putPolicies(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var p ticketing.Policies
	if err := httpx.DecodeJSON(w, r, &p, false); err != nil {
		return err
	}
	if err := s.tickets.SetPolicies(r.Context(), a, p); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) getCatalogue(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	c, err := s.tickets.Catalogue(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) putCatalogue(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var c ticketing.Catalogue
	if err := httpx.DecodeJSON(w, r, &c, false); err != nil {
		return err
	}
	if c.Categories == nil {
		c.Categories = []ticketing.Category{}
	}
	if err := s.tickets.SetCatalogue(r.Context(), a, c); err != nil {
		return err
	}
	saved, err := s.tickets.Catalogue(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, saved)
	return nil
}

func (s *Server) suggest(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	q, err := httpx.Query(r, "category", "region")
	if err != nil {
		return err
	}
	codes, err := s.tickets.Suggest(r.Context(), q.Get("category"), q.Get("region"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"departments": codes})
	return nil
}
