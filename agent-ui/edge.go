package agentui

import (
	"context"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

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
			return errs.E(errs.Invalid, "query parameter %q is given %d times; give it once (a list as comma-separated values)", clip(k, 40), len(vs))
		}
		for _, v := range vs {
			if err := textguard.Check("query parameter "+clip(k, 40), v, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// client is who sent a request, as far as the edge can tell.
type client struct {
	addr  string // the client's IP address, for logs
	key   string // what its limits count under (limitKey)
	https bool   // the client's connection is TLS (here or at a trusted proxy)
}

type clientCtxKey struct{}

// clientOf returns the client the edge found for r.
func clientOf(r *http.Request) client {
	if c, ok := r.Context().Value(clientCtxKey{}).(client); ok {
		return c
	}
	return newClient(peerAddr(r), r.TLS != nil)
}

func newClient(addr string, https bool) client {
	return client{addr: addr, key: limitKey(addr), https: https}
}

// clientAddr is the client's address, for logs.
func clientAddr(r *http.Request) string { return clientOf(r).addr }

// clientKey is what the client's throttles and rate limits count under.
func clientKey(r *http.Request) string { return clientOf(r).key }

// limitKey is an IPv4 address itself, and the /64 network of an IPv6
// address: one subscriber gets a whole /64 and could otherwise take a new
// address, and a fresh allowance, for every request.
func limitKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// edge holds what the edge decides with: the reverse proxies it believes
// and the origins besides its own whose pages may use the console.
type edge struct {
	trusted []netip.Prefix
	origins []string // scheme://host[:port], without a trailing slash
}

// withClient finds the request's client: the peer, or, when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not one
// (right to left, since each proxy appends what it saw), and the scheme
// the proxy was reached by from X-Forwarded-Proto.
func (e edge) withClient(r *http.Request) *http.Request {
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
	return r.WithContext(context.WithValue(r.Context(), clientCtxKey{}, newClient(addr, https)))
}

func (e edge) isTrusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	return slices.ContainsFunc(e.trusted, func(p netip.Prefix) bool { return p.Contains(a) })
}

// forwardedFor picks the client from X-Forwarded-For; a malformed entry
// ends the walk there, since nothing left of it can be believed.
func (e edge) forwardedFor(values []string) (string, bool) {
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

// originAllowed accepts the server's own origin and the configured ones.
func originAllowed(r *http.Request, origin string, allowed []string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(allowed, func(o string) bool { return strings.EqualFold(o, strings.TrimSuffix(origin, "/")) })
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
func (e edge) checkCSRF(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	_, cookieErr := r.Cookie(SessionCookie)
	byCookie := cookieErr == nil && r.Header.Get("Authorization") == ""
	origin, site := r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")
	switch {
	case origin != "":
		if !originAllowed(r, origin, e.origins) {
			return errs.E(errs.Forbidden, "requests from %s are not accepted", clip(origin, 80))
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
