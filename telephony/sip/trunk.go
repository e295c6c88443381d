package sip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Trunk is the carrier's SIP trunk, the way 12345 reaches the hotline and
// callbacks leave it (HOTLINE_SIP_TRUNK). An IP-based trunk is a list of
// the carrier's addresses ("ip:10.0.0.1,10.0.0.2"); a registration-based
// one is a SIP URI with the account's credentials
// ("sip:user:password@carrier.example:5060;transport=udp"): the hotline
// registers there and calls from the registrar's address are the
// trunk's. The zero Trunk is no trunk.
type Trunk struct {
	// Allow is where the carrier's calls come from: the listed
	// addresses, or the registrar's resolved address.
	Allow []netip.Addr
	// Registrar is the registration-based trunk's URI, without its
	// password (nil for an IP-based trunk or none).
	Registrar *sip.Uri
	// Username and Password answer the registrar's (and outbound calls')
	// digest challenges.
	Username, Password string
	// Transport is udp or tcp (the URI's transport parameter, default udp).
	Transport string
	// Gateway is where an IP-based trunk's outbound calls go: its first
	// address (port 5060 unless given).
	Gateway netip.AddrPort
}

// parseAddrPort reads an address with an optional port (5060 if none);
// an IPv6 address with a port is bracketed.
func parseAddrPort(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Port() == 0 {
			return netip.AddrPort{}, errors.New("port 0")
		}
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(a.Unmap(), 5060), nil
}

// callee is where a call to phone goes through the trunk: the Request-URI
// and the address to send it to; false without a trunk.
func (t Trunk) callee(phone string) (sip.Uri, string, bool) {
	switch {
	case t.Registrar != nil && len(t.Allow) > 0:
		uri := sip.Uri{Scheme: "sip", User: phone, Host: t.Registrar.Host, Port: t.Registrar.Port}
		port := t.Registrar.Port
		if port == 0 {
			port = 5060
		}
		return uri, net.JoinHostPort(t.Allow[0].String(), strconv.Itoa(port)), true
	case t.Gateway.IsValid():
		return sip.Uri{Scheme: "sip", User: phone, Host: t.Gateway.Addr().String(), Port: int(t.Gateway.Port())},
			t.Gateway.String(), true
	}
	return sip.Uri{}, "", false
}

// ParseTrunk reads HOTLINE_SIP_TRUNK; "" is no trunk. Host names of a
// registration-based trunk are resolved once, here. Errors never quote
// the value, which holds a password.
func ParseTrunk(s string) (Trunk, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Trunk{}, nil
	case strings.HasPrefix(s, "ip:"):
		t := Trunk{Transport: "udp"}
		for i, part := range strings.Split(strings.TrimPrefix(s, "ip:"), ",") {
			ap, err := parseAddrPort(strings.TrimSpace(part))
			if err != nil {
				return Trunk{}, errors.New("an IP-based trunk lists IP addresses, the first one with the port outbound calls go to: ip:<addr>[:<port>][,<addr>…]")
			}
			if i == 0 {
				t.Gateway = ap
			}
			t.Allow = append(t.Allow, ap.Addr())
		}
		return t, nil
	case strings.HasPrefix(s, "sip:"):
		return parseRegistrationTrunk(s)
	}
	return Trunk{}, errors.New("a trunk is ip:<addr>[,<addr>…] or sip:user:password@host[:port]")
}

func parseRegistrationTrunk(s string) (Trunk, error) {
	var u sip.Uri
	if err := sip.ParseUri(s, &u); err != nil {
		return Trunk{}, errors.New("the trunk is not a SIP URI: sip:user:password@host[:port]")
	}
	if u.User == "" || u.Password == "" || u.Host == "" {
		return Trunk{}, errors.New("a registration-based trunk needs a user, a password and a host: sip:user:password@host[:port]")
	}
	t := Trunk{Username: u.User, Password: u.Password, Transport: "udp"}
	if tr, ok := u.UriParams.Get("transport"); ok {
		t.Transport = strings.ToLower(tr)
	}
	if t.Transport != "udp" && t.Transport != "tcp" {
		return Trunk{}, errors.New("the trunk's transport must be udp or tcp")
	}
	addrs, err := net.LookupHost(u.Host)
	if err != nil {
		return Trunk{}, fmt.Errorf("trunk host %s: %w", u.Host, err)
	}
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil {
			t.Allow = append(t.Allow, ip.Unmap())
		}
	}
	reg := sip.Uri{Scheme: "sip", User: u.User, Host: u.Host, Port: u.Port, UriParams: u.UriParams}
	t.Registrar = &reg
	return t, nil
}

// Configured reports whether there is a trunk.
func (t Trunk) Configured() bool { return len(t.Allow) > 0 }

// Trusts reports whether src (host:port or host) is one of the trunk's
// addresses.
func (t Trunk) Trusts(src string) bool {
	a, err := netip.ParseAddr(sourceIP(src))
	return err == nil && slices.Contains(t.Allow, a.Unmap())
}

// String describes the trunk without its password.
func (t Trunk) String() string {
	switch {
	case t.Registrar != nil:
		return "registration " + t.Registrar.String()
	case len(t.Allow) > 0:
		parts := make([]string, len(t.Allow))
		for i, a := range t.Allow {
			parts[i] = a.String()
		}
		return "ip " + strings.Join(parts, ",")
	}
	return "none"
}

// callerNumber is the caller's number of an INVITE: the user of
// P-Asserted-Identity (RFC 3325) when the request comes from the trusted
// trunk, which vouches for it, else the From user, which anyone can
// write. A number is normalised to how tickets store phones: a leading
// +86 or 0086 country code is dropped, as are visual separators of a tel
// URI.
func callerNumber(req *sip.Request, trusted bool) string {
	user := ""
	if from := req.From(); from != nil {
		user = from.Address.User
	}
	if trusted {
		if pai := req.GetHeader("P-Asserted-Identity"); pai != nil {
			if u, ok := assertedUser(pai.Value()); ok {
				user = u
			}
		}
	}
	return normaliseNumber(user)
}

// assertedUser returns the user of the first identity in a
// P-Asserted-Identity value: a sip/sips URI's user or a tel URI's number.
func assertedUser(v string) (string, bool) {
	v = strings.TrimSpace(strings.SplitN(v, ",", 2)[0])
	if l, r := strings.IndexByte(v, '<'), strings.IndexByte(v, '>'); l >= 0 && r > l {
		v = v[l+1 : r]
	}
	switch {
	case strings.HasPrefix(v, "tel:"):
		v = strings.TrimPrefix(v, "tel:")
		if semi := strings.IndexByte(v, ';'); semi >= 0 {
			v = v[:semi]
		}
		return v, v != ""
	case strings.HasPrefix(v, "sip:") || strings.HasPrefix(v, "sips:"):
		var u sip.Uri
		if err := sip.ParseUri(v, &u); err != nil || u.User == "" {
			return "", false
		}
		return u.User, true
	}
	return "", false
}

// normaliseNumber drops a +86 or 0086 prefix and tel URI separators from
// a number; anything that is not a phone number is returned as it came.
func normaliseNumber(s string) string {
	digits := strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '(' || r == ')' || r == ' ' {
			return -1
		}
		return r
	}, s)
	plus := strings.HasPrefix(digits, "+")
	if _, err := strconv.ParseUint(strings.TrimPrefix(digits, "+"), 10, 64); err != nil || len(digits) > 20 {
		return s
	}
	switch {
	case plus && strings.HasPrefix(digits, "+86"):
		return digits[3:]
	case strings.HasPrefix(digits, "0086"):
		return digits[4:]
	}
	return digits
}
