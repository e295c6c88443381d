package httpx

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// Client is who sent a request, as far as the edge can tell.
type Client struct {
	Addr  string // the client's IP address, for logs
	Key   string // what its limits count under (LimitKey)
	HTTPS bool   // the client's connection is TLS (here or at a trusted proxy)
}

type clientCtxKey struct{}

// ClientOf returns the client the edge found for r; without the edge, the
// peer.
func ClientOf(r *http.Request) Client {
	if c, ok := r.Context().Value(clientCtxKey{}).(Client); ok {
		return c
	}
	return newClient(peerAddr(r), r.TLS != nil)
}

func newClient(addr string, https bool) Client {
	return Client{Addr: addr, Key: LimitKey(addr), HTTPS: https}
}

// withClient returns r carrying its client c.
func withClient(r *http.Request, c Client) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientCtxKey{}, c))
}

// ClientAddr is the client's address, for logs.
func ClientAddr(r *http.Request) string { return ClientOf(r).Addr }

// ClientKey is what the client's throttles and rate limits count under.
func ClientKey(r *http.Request) string { return ClientOf(r).Key }

// LimitKey is an IPv4 address itself, and the /64 network of an IPv6
// address: one subscriber gets a whole /64 and could otherwise take a new
// address, and a fresh allowance, for every request.
func LimitKey(addr string) string {
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

// OriginAllowed accepts the server's own origin and the allowed ones
// (scheme://host[:port], without a trailing slash).
func OriginAllowed(r *http.Request, origin string, allowed []string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(allowed, func(o string) bool { return strings.EqualFold(o, strings.TrimSuffix(origin, "/")) })
}
