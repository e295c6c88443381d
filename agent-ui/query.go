package agentui

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// queryOf returns the request's query parameters, refusing any the
// endpoint does not take, so that a misspelt or unsupported filter
// (?stauts=, ?phone= where there is none) is a 400 naming it instead of a
// list that silently ignores it. The edge has already refused a parameter
// given twice (checkURL). Errors: invalid.
func queryOf(r *http.Request, known ...string) (url.Values, error) {
	q := r.URL.Query()
	var unknown []string
	for name := range q {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return q, nil
	}
	sort.Strings(unknown)
	return nil, errs.E(errs.Invalid, "unknown query parameter %q: this endpoint takes %s",
		clip(unknown[0], 40), strings.Join(known, ", "))
}

// withQuery runs h only for requests whose query parameters are among
// known (queryOf), for handlers that read them on their own.
func withQuery(h handlerFunc, known ...string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
		if _, err := queryOf(r, known...); err != nil {
			return err
		}
		return h(w, r, a)
	}
}
