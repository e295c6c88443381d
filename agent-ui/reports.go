package agentui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/reports"
)

func (s *Server) reportRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/reports/summary", s.authed(s.reportSummary, overseers...))
	m.Handle("GET /api/v1/reports/departments/{code}", s.authed(s.departmentScorecard, auth.RoleAdmin, auth.RoleSupervisor, auth.RoleDepartment))
	m.Handle("GET /api/v1/reports/agents/{username}", s.authed(s.agentScorecard, staffRoles...))
	m.Handle("GET /api/v1/reports/behind", s.authed(s.reportBehind, everyone...))
}

// reportService returns the reports, or unavailable on a server without them.
func (s *Server) reportService() (*reports.Service, error) {
	if s.reports == nil {
		return nil, errs.E(errs.Unavailable, "this server keeps no reports")
	}
	return s.reports, nil
}

// reportPeriod reads from and to as local days of the hotline.
func (s *Server) reportPeriod(q url.Values, rs *reports.Service) (reports.Period, error) {
	return reports.ParsePeriod(q.Get("from"), q.Get("to"), rs.Now().In(s.tickets.Location()))
}

// reportSummary answers a summary as JSON, CSV (one grouping) or a
// workbook (every grouping).
func (s *Server) reportSummary(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := httpx.Query(r, "from", "to", "group_by", "format")
	if err != nil {
		return err
	}
	rs, err := s.reportService()
	if err != nil {
		return err
	}
	p, err := s.reportPeriod(q, rs)
	if err != nil {
		return err
	}
	g, err := reports.ParseGroupBy(q.Get("group_by"))
	if err != nil {
		return err
	}
	name := fmt.Sprintf("12345-report-%s_%s", reports.Day(p.From), reports.Day(p.To))
	switch format := q.Get("format"); format {
	case "", "json":
		sum, err := rs.Summary(r.Context(), a, p, g)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, sum)
		return nil
	case "csv":
		sum, err := rs.Summary(r.Context(), a, p, g)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := reports.WriteCSV(&b, sum); err != nil {
			return err
		}
		return download(w, "text/csv; charset=utf-8", name+"-"+string(g)+".csv", b.Bytes())
	case "xlsx":
		sums, err := rs.Summaries(r.Context(), a, p)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := reports.Workbook(&b, sums); err != nil {
			return err
		}
		return download(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name+".xlsx", b.Bytes())
	default:
		return errs.E(errs.Invalid, "format must be json, csv or xlsx")
	}
}

// download sends a file the browser saves; the file is built in full
// first, so a failure midway is still an error envelope.
func download(w http.ResponseWriter, contentType, filename string, body []byte) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

func (s *Server) departmentScorecard(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	return s.scorecard(w, r, func(rs *reports.Service, p reports.Period) (reports.Scorecard, error) {
		return rs.Department(r.Context(), a, r.PathValue("code"), p)
	})
}

func (s *Server) agentScorecard(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	return s.scorecard(w, r, func(rs *reports.Service, p reports.Period) (reports.Scorecard, error) {
		return rs.Agent(r.Context(), a, r.PathValue("username"), p)
	})
}

func (s *Server) scorecard(w http.ResponseWriter, r *http.Request,
	read func(*reports.Service, reports.Period) (reports.Scorecard, error)) error {
	q, err := httpx.Query(r, "from", "to")
	if err != nil {
		return err
	}
	rs, err := s.reportService()
	if err != nil {
		return err
	}
	p, err := s.reportPeriod(q, rs)
	if err != nil {
		return err
	}
	card, err := read(rs, p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, card)
	return nil
}

// reportBehind lists the rows behind one number of a report: counter of
// key in group_by (empty: the totals) over from–to.
func (s *Server) reportBehind(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := httpx.Query(r, "from", "to", "group_by", "key", "counter")
	if err != nil {
		return err
	}
	rs, err := s.reportService()
	if err != nil {
		return err
	}
	p, err := s.reportPeriod(q, rs)
	if err != nil {
		return err
	}
	g := reports.ByTotal
	if v := q.Get("group_by"); v != "" {
		if g, err = reports.ParseGroupBy(v); err != nil {
			return err
		}
	}
	if len(q.Get("key")) > 200 || len(q.Get("counter")) > 64 {
		return errs.E(errs.Invalid, "key or counter is too long")
	}
	out, err := rs.Behind(r.Context(), a, q.Get("counter"), g, q.Get("key"), p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
