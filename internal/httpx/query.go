package httpx

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// Query returns the request's query parameters, refusing any the
// endpoint does not take, so that a misspelt or unsupported filter
// (?stauts=, ?phone= where there is none) is a 400 naming it instead of a
// list that silently ignores it. The edge has already refused a parameter
// given twice (checkURL). Errors: invalid.
func Query(r *http.Request, known ...string) (url.Values, error) {
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
		Clip(unknown[0], 40), strings.Join(known, ", "))
}

// IntParam parses an optional integer query parameter within [lo, hi].
func IntParam(v string, def, lo, hi int, name string) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errs.E(errs.Invalid, "%s must be a number from %d to %d", name, lo, hi)
	}
	return n, nil
}

// SplitList splits a comma-separated parameter, keeping at most 20 items.
func SplitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > 20 {
		parts = parts[:20]
	}
	return parts
}

// GuideQuery reads ?q=&department=&category=&status=&limit=&offset=, the
// parameters of both guide searches, the staff's and the citizens' (which
// keeps to published guides whatever status says). Errors: invalid.
func GuideQuery(r *http.Request) (knowledge.Query, error) {
	q, err := Query(r, "q", "department", "category", "status", "limit", "offset")
	if err != nil {
		return knowledge.Query{}, err
	}
	sq := knowledge.Query{Text: q.Get("q"), Filter: knowledge.Filter{Department: q.Get("department"), Category: q.Get("category")}}
	for _, st := range SplitList(q.Get("status")) {
		sq.Filter.Statuses = append(sq.Filter.Statuses, knowledge.Status(st))
	}
	if sq.Limit, err = IntParam(q.Get("limit"), knowledge.DefaultLimit, 1, knowledge.MaxLimit, "limit"); err != nil {
		return sq, err
	}
	sq.Offset, err = IntParam(q.Get("offset"), 0, 0, 1000, "offset")
	return sq, err
}

// PathID reads a positive id of the path; anything else is not found.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no %s %q", name, Clip(r.PathValue(name), 40))
	}
	return id, nil
}

// Clip shortens s to n runes, marking the cut, for echoing input.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
