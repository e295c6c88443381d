package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/sip"
	"github.com/open12345/hotline/ticketing"
)

// The types of settings: each is a flag.Value that parses its text into a
// field of Config, or says what the text must be. Their errors complete
// "HOTLINE_X …, not "text"" (see setting.set); String reads the field back,
// and reads "" when the value has no field (as flag's help asks of a zero
// value).

// durationIn is a positive duration up to max (0: any).
type durationIn struct {
	p       *time.Duration
	min     time.Duration // zero: any positive duration
	max     time.Duration
	example string
}

func (v durationIn) String() string {
	if v.p == nil {
		return ""
	}
	return shortDuration(*v.p)
}

func (v durationIn) Set(s string) error {
	d, err := time.ParseDuration(s)
	switch {
	case v.min > 0 && (err != nil || d < v.min || (v.max > 0 && d > v.max)):
		return fmt.Errorf("must be a duration from %s to %s such as %s", shortDuration(v.min), shortDuration(v.max), v.example)
	case v.max > 0 && (err != nil || d <= 0 || d > v.max):
		return fmt.Errorf("must be a duration up to %s such as %s", shortDuration(v.max), v.example)
	case err != nil || d <= 0:
		return fmt.Errorf("must be a positive duration such as %s", v.example)
	}
	*v.p = d
	return nil
}

// shortDuration is d without zero minutes and seconds: 1h, 1m, 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// intIn is a whole number from min to max; optional ones may be empty (0).
type intIn struct {
	p        *int
	min, max int
	optional bool
}

func (v intIn) String() string {
	if v.p == nil || (v.optional && *v.p == 0) {
		return ""
	}
	return strconv.Itoa(*v.p)
}

func (v intIn) Set(s string) error {
	if v.optional && s == "" {
		*v.p = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < v.min || n > v.max {
		return fmt.Errorf("must be a number from %d to %d", v.min, v.max)
	}
	*v.p = n
	return nil
}

// oneOf is one of a few words, in any case.
type oneOf struct {
	p      *string
	values []string
}

func (v oneOf) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v oneOf) Set(s string) error {
	s = strings.ToLower(s)
	if !slices.Contains(v.values, s) {
		return fmt.Errorf("must be %s", orList(v.values))
	}
	*v.p = s
	return nil
}

// orList is "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// logLevel is a slog level: debug, info, warn or error.
type logLevel struct{ p *slog.Level }

func (v logLevel) String() string {
	if v.p == nil {
		return ""
	}
	return strings.ToLower(v.p.String())
}

func (v logLevel) Set(s string) error {
	if err := v.p.UnmarshalText([]byte(s)); err != nil {
		return errors.New("must be debug, info, warn or error")
	}
	return nil
}

// location is a time zone of the zone database.
type location struct{ p **time.Location }

func (v location) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return (*v.p).String()
}

func (v location) Set(s string) error {
	loc, err := time.LoadLocation(s)
	if err != nil || s == "" {
		return errors.New("must be a time zone such as Asia/Shanghai")
	}
	*v.p = loc
	return nil
}

// serviceURL is the URL of a service with one of the schemes; optional
// ones may be empty.
type serviceURL struct {
	p        *string
	schemes  []string
	example  string
	optional bool
}

func (v serviceURL) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v serviceURL) Set(s string) error {
	if !(v.optional && s == "") {
		u, err := url.Parse(s)
		web := err == nil && (u.Scheme == "http" || u.Scheme == "https")
		if err != nil || !slices.Contains(v.schemes, u.Scheme) || (u.Host == "" && (web || u.Path == "")) {
			return fmt.Errorf("must be a %s URL such as %s", schemeList(v.schemes), v.example)
		}
	}
	*v.p = s
	return nil
}

// schemeList is "http:// or https://".
func schemeList(schemes []string) string {
	out := make([]string, len(schemes))
	for i, s := range schemes {
		out[i] = s + "://"
	}
	return orList(out)
}

// address is host:port to listen on; optional ones may be empty (off).
type address struct {
	p        *string
	example  string
	optional bool
}

func (v address) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v address) Set(s string) error {
	if !(v.optional && s == "") {
		_, port, err := net.SplitHostPort(s)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			return fmt.Errorf("must be host:port such as %s", v.example)
		}
	}
	*v.p = s
	return nil
}

// directory is a directory's path: it need not exist yet, but must not
// be something else.
type directory struct{ p *string }

func (v directory) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v directory) Set(s string) error {
	if fi, err := os.Stat(s); s == "" || (err == nil && !fi.IsDir()) {
		return errors.New("must be a directory")
	}
	*v.p = s
	return nil
}

// text is free text of min to max bytes, such as a password.
type text struct {
	p        *string
	min, max int
}

func (v text) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v text) Set(s string) error {
	if len(s) < v.min || len(s) > v.max {
		return fmt.Errorf("must be %d to %d characters", v.min, v.max)
	}
	*v.p = s
	return nil
}

// sipRealm is the digest realm, sent quoted in SIP challenges
// (telephony.CheckRealm).
type sipRealm struct{ p *string }

func (v sipRealm) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v sipRealm) Set(s string) error {
	if telephony.CheckRealm(s) != nil {
		return errors.New("must be 1 to 64 visible ASCII characters without quotes or backslashes")
	}
	*v.p = s
	return nil
}

// sipNumber is a telephone number as SIP users carry it: 3 to 20 digits.
type sipNumber struct{ p *string }

func (v sipNumber) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v sipNumber) Set(s string) error {
	if len(s) < 3 || len(s) > 20 || strings.Trim(s, "0123456789") != "" {
		return errors.New("must be a number of 3 to 20 digits, such as 12345")
	}
	*v.p = s
	return nil
}

// sipTrunk is HOTLINE_SIP_TRUNK (sip.ParseTrunk); it holds a password,
// so its setting is secret.
type sipTrunk struct{ p *sip.Trunk }

func (v sipTrunk) String() string {
	if v.p == nil || !v.p.Configured() {
		return ""
	}
	return v.p.String()
}

func (v sipTrunk) Set(s string) error {
	t, err := sip.ParseTrunk(s)
	if err != nil {
		return fmt.Errorf("must be a trunk: %w", err)
	}
	*v.p = t
	return nil
}

// boolean is true or false.
type boolean struct{ p *bool }

func (v boolean) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.FormatBool(*v.p)
}

func (v boolean) Set(s string) error {
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		*v.p = true
	case "false", "0", "no":
		*v.p = false
	default:
		return errors.New("must be true or false")
	}
	return nil
}

// portRange is low-high, two UDP ports with room for a few calls.
type portRange struct{ p *[2]int }

func (v portRange) String() string {
	if v.p == nil || v.p[0] == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", v.p[0], v.p[1])
}

func (v portRange) Set(s string) error {
	const bad = "must be a port range low-high such as 20000-29999, from 1024 to 65535, at least 10 ports"
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		return errors.New(bad)
	}
	l, errL := strconv.Atoi(lo)
	h, errH := strconv.Atoi(hi)
	if errL != nil || errH != nil || l < 1024 || h > 65535 || h-l < 9 {
		return errors.New(bad)
	}
	*v.p = [2]int{l, h}
	return nil
}

// token is a key or token sent in an HTTP header: visible ASCII, no
// spaces; empty for none.
type token struct{ p *string }

func (v token) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v token) Set(s string) error {
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return errors.New("must be visible ASCII characters without spaces")
		}
	}
	*v.p = s
	return nil
}

// serviceHours is ticketing.ParseServiceHours' form.
type serviceHours struct{ p *ticketing.ServiceHours }

func (v serviceHours) String() string {
	if v.p == nil {
		return ""
	}
	return v.p.String()
}

func (v serviceHours) Set(s string) error {
	h, err := ticketing.ParseServiceHours(s)
	if err != nil {
		return fmt.Errorf("must be 24x7, a window such as 08:00-20:00, or two (working days, rest days) such as 08:30-17:30,closed")
	}
	*v.p = h
	return nil
}

// origins is a comma-separated list of web origins (scheme://host[:port]).
type origins struct{ p *[]string }

func (v origins) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

func (v origins) Set(s string) error {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("must be comma-separated origins such as https://console.example.gov.cn (%q is not one)", o)
		}
		out = append(out, strings.TrimSuffix(o, "/"))
	}
	*v.p = out
	return nil
}

// prefixes is a comma-separated list of CIDRs or single addresses; an
// IPv4-mapped IPv6 prefix is taken as the IPv4 one.
type prefixes struct{ p *[]netip.Prefix }

func (v prefixes) String() string {
	if v.p == nil {
		return ""
	}
	out := make([]string, len(*v.p))
	for i, p := range *v.p {
		out[i] = p.String()
	}
	return strings.Join(out, ",")
}

func (v prefixes) Set(s string) error {
	var out []netip.Prefix
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				return fmt.Errorf("must be comma-separated CIDRs such as 10.0.0.0/8 or addresses (%q is neither)", item)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 { // ::ffff:10.0.0.0/104 is 10.0.0.0/8
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	*v.p = out
	return nil
}
