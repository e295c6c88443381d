package citizenweb

import (
	"net/http"

	"github.com/open12345/hotline/internal/httpx"
)

// publicSearchGuides is the citizens' search: published guides only, at
// most 20 hits.
func (s *Server) publicSearchGuides(w http.ResponseWriter, r *http.Request) error {
	sq, err := httpx.GuideQuery(r)
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
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}
