package agentui

import (
	"net/http"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/httpx"
)

// withQuery runs h only for requests whose query parameters are among
// known (httpx.Query), for handlers that read them on their own.
func withQuery(h handlerFunc, known ...string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
		if _, err := httpx.Query(r, known...); err != nil {
			return err
		}
		return h(w, r, a)
	}
}
