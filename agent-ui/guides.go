package agentui

import (
	"context"
	"mime"
	"net/http"
	"strconv"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// SearchAdmin checks the search indexes against the database.
type SearchAdmin interface {
	Verify(ctx context.Context) (map[string]knowledge.VerifyReport, error)
}

func (s *Server) guideRoutes() {
	m := s.mux
	m.Handle("GET /api/v1/guides", s.authed(s.listGuides, everyone...))
	m.Handle("POST /api/v1/guides", s.authed(s.createGuide, everyone...))
	m.Handle("GET /api/v1/guides/search", s.authed(s.searchGuides, everyone...))
	m.Handle("GET /api/v1/guides/review", s.authed(s.guidesForReview, everyone...))
	m.Handle("POST /api/v1/guides/import", s.authed(s.importGuides, overseers...))
	m.Handle("GET /api/v1/guides/export", s.authed(s.exportGuides, overseers...))
	m.Handle("GET /api/v1/guides/{code}", s.authed(withQuery(s.getGuide), everyone...))
	m.Handle("PUT /api/v1/guides/{code}", s.authed(s.updateGuide, everyone...))
	m.Handle("DELETE /api/v1/guides/{code}", s.authed(s.deleteGuide, everyone...))
	m.Handle("GET /api/v1/guides/{code}/versions", s.authed(withQuery(s.guideVersions), everyone...))
	m.Handle("GET /api/v1/synonyms", s.authed(withQuery(s.getSynonyms), everyone...))
	m.Handle("PUT /api/v1/synonyms", s.authed(s.putSynonyms, overseers...))
	m.Handle("POST /api/v1/admin/search/verify", s.authed(s.verifySearch, admins...))
	m.Handle("GET /api/v1/public/guides/search", s.citizen(s.publicSearchGuides))
}

func (s *Server) getGuide(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	g, err := s.guides.Get(r.Context(), a, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) createGuide(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var g knowledge.Guide
	if err := decodeJSON(w, r, &g, false); err != nil {
		return err
	}
	saved, err := s.guides.Create(r.Context(), a, g)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/guides/"+saved.Code)
	writeJSON(w, http.StatusCreated, saved)
	return nil
}

func (s *Server) updateGuide(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var g knowledge.Guide
	if err := decodeJSON(w, r, &g, false); err != nil {
		return err
	}
	saved, err := s.guides.Update(r.Context(), a, r.PathValue("code"), g)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

func (s *Server) deleteGuide(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	if err := s.guides.Delete(r.Context(), a, r.PathValue("code")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) guideVersions(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	vs, err := s.guides.History(r.Context(), a, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[knowledge.Version]{Items: vs})
	return nil
}

// listGuides pages through guides by code: ?department=&category=&status=&after=&limit=.
func (s *Server) listGuides(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := queryOf(r, "department", "category", "status", "after", "limit")
	if err != nil {
		return err
	}
	f := knowledge.ListFilter{Department: q.Get("department"), Category: q.Get("category"),
		Status: knowledge.Status(q.Get("status")), After: q.Get("after")}
	limit, err := intParam(q.Get("limit"), 100, 1, 500, "limit")
	if err != nil {
		return err
	}
	f.Limit = limit
	gs, err := s.guides.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	next := ""
	if len(gs) == limit {
		next = gs[len(gs)-1].Code
	}
	writeJSON(w, http.StatusOK, page[knowledge.Guide]{Items: gs, NextCursor: next})
	return nil
}

func (s *Server) guidesForReview(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := queryOf(r, "department")
	if err != nil {
		return err
	}
	gs, err := s.guides.NeedsReview(r.Context(), a, q.Get("department"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[knowledge.Guide]{Items: gs})
	return nil
}

// searchQuery reads ?q=&department=&category=&status=&limit=&offset=, the
// parameters of both searches (the citizens' keeps to published guides
// whatever status says). Errors: invalid.
func searchQuery(r *http.Request) (knowledge.Query, error) {
	q, err := queryOf(r, "q", "department", "category", "status", "limit", "offset")
	if err != nil {
		return knowledge.Query{}, err
	}
	sq := knowledge.Query{Text: q.Get("q"), Filter: knowledge.Filter{Department: q.Get("department"), Category: q.Get("category")}}
	for _, st := range splitList(q.Get("status")) {
		sq.Filter.Statuses = append(sq.Filter.Statuses, knowledge.Status(st))
	}
	if sq.Limit, err = intParam(q.Get("limit"), knowledge.DefaultLimit, 1, knowledge.MaxLimit, "limit"); err != nil {
		return sq, err
	}
	sq.Offset, err = intParam(q.Get("offset"), 0, 0, 1000, "offset")
	return sq, err
}

func (s *Server) searchGuides(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	sq, err := searchQuery(r)
	if err != nil {
		return err
	}
	res, err := s.guides.Search(r.Context(), a, sq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// publicSearchGuides is the citizens' search: published guides only, at
// most 20 hits.
func (s *Server) publicSearchGuides(w http.ResponseWriter, r *http.Request) error {
	sq, err := searchQuery(r)
	if err != nil {
		return err
	}
	sq.Limit = min(sq.Limit, 20)
	res, err := s.guides.PublicSearch(r.Context(), sq)
	if err != nil {
		return err
	}
	for i := range res.Hits {
		res.Hits[i].Status = ""
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// importGuides takes a JSON array (application/json) or CSV (text/csv);
// ?format= overrides the content type.
func (s *Server) importGuides(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := queryOf(r, "format")
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format == "" {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case err != nil:
			return errs.E(errs.Invalid, "send Content-Type application/json or text/csv, or ?format=json|csv")
		case mt == "application/json":
			format = "json"
		case mt == "text/csv":
			format = "csv"
		default:
			return errs.E(errs.Invalid, "Content-Type %s: send application/json or text/csv", mt)
		}
	}
	res, err := s.guides.Import(r.Context(), a, format, http.MaxBytesReader(w, r.Body, knowledge.MaxImportBytes+1))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) exportGuides(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := queryOf(r, "format")
	if err != nil {
		return err
	}
	format := q.Get("format")
	switch format {
	case "", "json":
		format = "json"
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	default:
		return errs.E(errs.Invalid, "format must be json or csv")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="guides.`+format+`"`)
	if err := s.guides.Export(r.Context(), a, format, w); err != nil {
		// Headers may be gone already; log, and the client sees a cut file.
		s.log.ErrorContext(r.Context(), "guide export failed", "err", err)
	}
	return nil
}

func (s *Server) getSynonyms(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	writeJSON(w, http.StatusOK, s.guides.Synonyms())
	return nil
}

func (s *Server) putSynonyms(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var syn knowledge.Synonyms
	if err := decodeJSON(w, r, &syn, false); err != nil {
		return err
	}
	saved, err := s.guides.SetSynonyms(r.Context(), a, syn)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

func (s *Server) verifySearch(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	if s.search == nil {
		return errs.E(errs.Unavailable, "search indexes are not running on this server")
	}
	rep, err := s.search.Verify(r.Context())
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "verify search indexes")
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// intParam parses an optional integer query parameter within [lo, hi].
func intParam(v string, def, lo, hi int, name string) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errs.E(errs.Invalid, "%s must be a number from %d to %d", name, lo, hi)
	}
	return n, nil
}
