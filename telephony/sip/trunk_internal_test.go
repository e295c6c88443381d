package sip

import (
	"testing"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"
)

func inviteWith(from, pai string) *sip.Request {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "12345", Host: "127.0.0.1"})
	var u sip.Uri
	if err := sip.ParseUri(from, &u); err == nil {
		req.AppendHeader(&sip.FromHeader{Address: u, Params: sip.NewParams()})
	}
	if pai != "" {
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", pai))
	}
	return req
}

func TestCallerNumber(t *testing.T) {
	for _, c := range []struct {
		from, pai string
		trusted   bool
		want      string
	}{
		{"sip:13800138000@carrier", "", true, "13800138000"},
		{"sip:02088886666@carrier", "<sip:+8613912345678@carrier;user=phone>", true, "13912345678"},
		{"sip:02088886666@carrier", `"x" <tel:+86-139-1234-5678;phone-context=+86>`, true, "13912345678"},
		{"sip:02088886666@carrier", "<sip:008613912345678@carrier>, <tel:+8613912345678>", true, "13912345678"},
		{"sip:02088886666@carrier", "<sip:+8613912345678@carrier>", false, "02088886666"},
		{"sip:02088886666@carrier", "garbage", true, "02088886666"},
		{"sip:02088886666@carrier", "<mailto:a@b>", true, "02088886666"},
		{"sip:anonymous@anonymous.invalid", "", true, "anonymous"},
		{"sip:+14155550100@carrier", "", false, "+14155550100"},
	} {
		if got := callerNumber(inviteWith(c.from, c.pai), c.trusted); got != c.want {
			t.Errorf("From %s, PAI %q, trusted %v: %q, want %q", c.from, c.pai, c.trusted, got, c.want)
		}
	}
}

// Whatever a peer writes in P-Asserted-Identity, the caller's number
// comes out without a panic and no longer than what came in.
func FuzzCallerNumber(f *testing.F) {
	for _, s := range []string{"<tel:+86-139-1234-5678>", "<sip:+8613912345678@x>", "<", "<>", "<sip:>", "tel:;", `"a" <sips:1@[::1]>`, "<sip:1@x>,", "+86"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pai string) {
		got := callerNumber(inviteWith("sip:02088886666@carrier", pai), true)
		if len(got) > len(pai)+len("02088886666") {
			t.Fatalf("caller %q from %q", got, pai)
		}
		if utf8.ValidString(pai) && !utf8.ValidString(got) {
			t.Fatalf("caller %q from valid %q", got, pai)
		}
	})
}
