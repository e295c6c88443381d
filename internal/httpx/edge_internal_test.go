package httpx

import (
	"net/netip"
	"strings"
	"testing"
)

func TestEdge_ForwardedFor(t *testing.T) {
	e := &Edge{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	for _, c := range []struct {
		values []string
		want   string
		ok     bool
	}{
		{[]string{"203.0.113.5"}, "203.0.113.5", true},
		{[]string{"1.2.3.4, 203.0.113.5"}, "203.0.113.5", true},
		{[]string{"203.0.113.5, 10.1.1.1"}, "203.0.113.5", true},
		{[]string{"203.0.113.5", "10.1.1.1, 10.2.2.2"}, "203.0.113.5", true},
		{[]string{"10.1.1.1"}, "10.1.1.1", true},
		{[]string{"garbage, 10.1.1.1"}, "10.1.1.1", true},
		{[]string{"203.0.113.5, garbage"}, "", false},
		{[]string{"::ffff:203.0.113.5"}, "203.0.113.5", true},
		{[]string{"203.0.113.5:5678"}, "203.0.113.5", true},
		{[]string{"[2001:db8::1]:443, 10.1.1.1"}, "2001:db8::1", true},
		{nil, "", false},
	} {
		got, ok := e.forwardedFor(c.values)
		if got != c.want || ok != c.ok {
			t.Errorf("forwardedFor(%q) = %q, %v; want %q, %v", c.values, got, ok, c.want, c.ok)
		}
	}
}

func TestEdge_LimitKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.5": "203.0.113.5", "::ffff:203.0.113.5": "203.0.113.5",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64", "fe80::1%eth0": "fe80::/64", "junk": "junk",
	} {
		if got := LimitKey(in); got != want {
			t.Errorf("LimitKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzForwardedFor: any header value gives one of its own entries or
// nothing, and every entry right of the answer is a trusted proxy.
func FuzzForwardedFor(f *testing.F) {
	for _, s := range []string{"203.0.113.5", "1.2.3.4, 10.0.0.1", "[::1]:80, junk", ",,,", "::ffff:1.2.3.4:5", strings.Repeat("1.1.1.1,", 100)} {
		f.Add(s)
	}
	e := &Edge{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := e.forwardedFor([]string{v})
		if !ok {
			return
		}
		hops := strings.Split(v, ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := hopAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				t.Fatalf("forwardedFor(%q) = %q from beyond a malformed entry", v, got)
			}
			if a.Unmap().String() == got {
				return
			}
			if !e.isTrusted(a.Unmap().String()) {
				t.Fatalf("forwardedFor(%q) = %q passed the untrusted %q", v, got, hops[i])
			}
		}
		t.Fatalf("forwardedFor(%q) = %q is none of its entries", v, got)
	})
}
