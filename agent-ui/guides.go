package agentui

import (
	"context"
	"mime"
	"net/http"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
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
}

func (s *Server) getGuide(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	g, err := s.guides.Get(r.Context(), a, r.PathValue("code"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) createGuide(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var g knowledge.Guide
	if err := httpx.DecodeJSON(w, r, &g, false); err != nil {
		return err
	}
	saved, err := s.guides.Create(r.Context(), a, g)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/guides/"+saved.Code)
	httpx.WriteJSON(w, http.StatusCreated, saved)
	return nil
}

func (s *Server) updateGuide(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var g knowledge.Guide
	if err := httpx.DecodeJSON(w, r, &g, false); err != nil {
		return err
	}
	saved, err := s.guides.Update(r.Context(), a, r.PathValue("code"), g)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, saved)
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
	httpx.WriteJSON(w, http.StatusOK, page[knowledge.Version]{Items: vs})
	return nil
}

// listGuides pages through guides by code: ?department=&category=&status=&after=&limit=.
func (s *Server) listGuides(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := httpx.Query(r, "department", "category", "status", "after", "limit")
	if err != nil {
		return err
	}
	f := knowledge.ListFilter{Department: q.Get("department"), Category: q.Get("category"),
		Status: knowledge.Status(q.Get("status")), After: q.Get("after")}
	limit, err := httpx.IntParam(q.Get("limit"), 100, 1, 500, "limit")
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
	httpx.WriteJSON(w, http.StatusOK, page[knowledge.Guide]{Items: gs, NextCursor: next})
	return nil
}

func (s *Server) guidesForReview(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := httpx.Query(r, "department")
	if err != nil {
		return err
	}
	gs, err := s.guides.NeedsReview(r.Context(), a, q.Get("department"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, page[knowledge.Guide]{Items: gs})
	return nil
}

func (s *Server) searchGuides(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	sq, err := httpx.GuideQuery(r)
	if err != nil {
		return err
	}
	res, err := s.guides.Search(r.Context(), a, sq)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

// importGuides takes a JSON array (application/json) or CSV (text/csv);
// ?format= overrides the content type.
func (s *Server) importGuides(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := httpx.Query(r, "format")
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
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) exportGuides(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := httpx.Query(r, "format")
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
	httpx.WriteJSON(w, http.StatusOK, s.guides.Synonyms())
	return nil
}

func (s *Server) putSynonyms(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var syn knowledge.Synonyms
	if err := httpx.DecodeJSON(w, r, &syn, false); err != nil {
		return err
	}
	saved, err := s.guides.SetSynonyms(r.Context(), a, syn)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, saved)
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
	httpx.WriteJSON(w, http.StatusOK, rep)
	return nil
}
