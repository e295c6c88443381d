package httpx

import (
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// Edge is what every request passes before a handler sees it, staff's and
// citizens' alike: the characters of its URL, who the client is behind
// trusted proxies, cross-site writes, the security headers, recovery
// from a handler's panic and the request metrics.
type Edge struct {
	// Trusted are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; nobody else's are.
	Trusted []netip.Prefix
	// Origins are the origins besides the server's own whose pages may
	// write with the session cookie (scheme://host[:port]).
	Origins []string
	// Cookie names the session cookie (checkCSRF).
	Cookie string
	// Sockets are websockets by path. A websocket lives for hours: it
	// gets no headers and is measured by its own metrics, not Observe.
	Sockets map[string]http.Handler
	// Observe records a request's status and duration; nil: nothing.
	Observe func(r *http.Request, status int, d time.Duration)
	Log     *slog.Logger
}

// Handler returns next behind the edge.
func (e *Edge) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.serve(next, w, r) })
}

func (e *Edge) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	r = withClient(r, e.client(r))
	if ClientOf(r).HTTPS {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	if h, ok := e.Sockets[r.URL.Path]; ok && checkURL(r.URL) == nil {
		h.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			e.Log.ErrorContext(r.Context(), "panic serving request", "path", r.URL.Path, "client", ClientAddr(r),
				"panic", p, "stack", string(debug.Stack()))
			if !rec.wrote {
				WriteError(rec, r, e.Log, errs.E(errs.Internal, "internal error"))
			}
		}
		if e.Observe != nil {
			e.Observe(r, rec.status, time.Since(start))
		}
	}()
	h := rec.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Cache-Control", "no-store")
	}
	if err := checkURL(r.URL); err != nil {
		WriteError(rec, r, e.Log, err)
		return
	}
	if err := e.checkCSRF(r); err != nil {
		WriteError(rec, r, e.Log, err)
		return
	}
	next.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// checkURL refuses a path or query string that is malformed, not UTF-8 or
// holds a forbidden character (textguard), once for every endpoint, so no
// handler and no SQL statement ever sees one. Under /api/ a parameter may
// be given once: no API parameter repeats (lists are comma-separated), and
// a handler reading the first of two while a proxy or log reads the last
// would not agree on what was asked.
func checkURL(u *url.URL) error {
	if err := textguard.Check("the path", u.Path, true); err != nil {
		return err
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return errs.E(errs.Invalid, "malformed query string")
	}
	api := strings.HasPrefix(u.Path, "/api/")
	for k, vs := range q {
		if err := textguard.Check("a query parameter name", k, true); err != nil {
			return err
		}
		if api && len(vs) > 1 {
			return errs.E(errs.Invalid, "query parameter %q is given %d times; give it once (a list as comma-separated values)", Clip(k, 40), len(vs))
		}
		for _, v := range vs {
			if err := textguard.Check("query parameter "+Clip(k, 40), v, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// client finds the request's client: the peer, or, when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not one
// (right to left, since each proxy appends what it saw), and the scheme
// the proxy was reached by from X-Forwarded-Proto.
func (e *Edge) client(r *http.Request) Client {
	addr, https := peerAddr(r), r.TLS != nil
	if e.isTrusted(addr) {
		if fwd, ok := e.forwardedFor(r.Header.Values("X-Forwarded-For")); ok {
			addr = fwd
		}
		if protos := r.Header.Values("X-Forwarded-Proto"); len(protos) > 0 {
			parts := strings.Split(protos[len(protos)-1], ",")
			https = strings.EqualFold(strings.TrimSpace(parts[len(parts)-1]), "https")
		}
	}
	return newClient(addr, https)
}

func (e *Edge) isTrusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	return slices.ContainsFunc(e.Trusted, func(p netip.Prefix) bool { return p.Contains(a) })
}

// forwardedFor picks the client from X-Forwarded-For; a malformed entry
// ends the walk there, since nothing left of it can be believed.
func (e *Edge) forwardedFor(values []string) (string, bool) {
	var hops []string
	for _, v := range values {
		hops = append(hops, strings.Split(v, ",")...)
	}
	if len(hops) > 32 {
		hops = hops[len(hops)-32:]
	}
	last := ""
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := hopAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		last = a.Unmap().String()
		if !e.isTrusted(last) {
			return last, true
		}
	}
	return last, last != ""
}

// hopAddr reads one entry of X-Forwarded-For: an address, or an address
// with a port (1.2.3.4:5678, [2001:db8::1]:443), as some proxies write.
func hopAddr(s string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, nil
	}
	ap, err := netip.ParseAddrPort(s)
	return ap.Addr(), err
}

// writeTypes are the content types a browser cannot send cross-site
// without a preflight, except multipart, which uploads need (the Origin
// check covers it); audio/wav is a prompt recording.
var writeTypes = []string{"application/json", "multipart/form-data", "text/csv", "audio/wav"}

// checkCSRF refuses a state-changing request that carries the session
// cookie (and no bearer token) unless it comes from the console's own
// pages: Origin (or, without it, Sec-Fetch-Site) must say so, and the body
// must be of a type a cross-site form cannot send. SameSite=Strict alone
// leaves sibling subdomains and old browsers. A login is checked for its
// Origin too, so no other site can log a browser in to an account of its
// choosing.
func (e *Edge) checkCSRF(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	_, cookieErr := r.Cookie(e.Cookie)
	byCookie := cookieErr == nil && r.Header.Get("Authorization") == ""
	origin, site := r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")
	switch {
	case origin != "":
		if !OriginAllowed(r, origin, e.Origins) {
			return errs.E(errs.Forbidden, "requests from %s are not accepted", Clip(origin, 80))
		}
	case site != "":
		if site != "same-origin" && site != "none" {
			return errs.E(errs.Forbidden, "cross-site requests are not accepted")
		}
	case byCookie:
		return errs.E(errs.Forbidden, "a request with the session cookie must come from the console (Origin), or use a bearer token")
	}
	if !byCookie {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !slices.Contains(writeTypes, mt) {
		return errs.E(errs.Invalid, "send Content-Type application/json (multipart/form-data for files, text/csv for imports, audio/wav for prompts)")
	}
	return nil
}
