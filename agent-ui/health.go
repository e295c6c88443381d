package agentui

import (
	"context"
	"net/http"
	"time"

	"github.com/open12345/hotline/internal/httpx"
)

// healthz answers while the process serves.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when every dependency answers within two
// seconds; the reported parts (Check.Report) are shown, whatever their
// state.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status, code := map[string]string{}, http.StatusOK
	for _, c := range s.checks {
		if c.Ping == nil {
			status[c.Name] = c.Report()
			continue
		}
		if err := c.Ping(ctx); err != nil {
			s.log.WarnContext(ctx, "readiness check failed", "check", c.Name, "err", err)
			status[c.Name], code = "unavailable", http.StatusServiceUnavailable
		} else {
			status[c.Name] = "ok"
		}
	}
	httpx.WriteJSON(w, code, status)
}
