package ticketing_test

import (
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/ticketing"
)

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"13812341234":       "13812341234",
		"138 1234 1234":     "13812341234",
		"+86 138-1234-1234": "13812341234",
		"008613812341234":   "13812341234",
		"020-12345678":      "020-12345678",
		"(020) 1234 5678":   "020-12345678",
		"+86 20 12345678":   "020-12345678",
		"01012345678":       "010-12345678",
		"0755-8765432":      "0755-8765432",
		"075587654321":      "0755-87654321",
		"１３８１２３４１２３４":       "13812341234",
		"０２０－１２３４５６７８":      "020-12345678",
	} {
		got, err := ticketing.NormalizePhone(in)
		if err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "12345", "12812341234", "1381234123", "138123412345", "020-123",
		"0001234567", "abc", "138'; DROP TABLE x;--", "12345678", "٣٣٣٣٣٣٣٣٣٣٣"} {
		if got, err := ticketing.NormalizePhone(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want invalid", bad, got, err)
		}
	}
}

func TestMasking(t *testing.T) {
	if got := ticketing.MaskPhone("13812341234"); got != "138****1234" {
		t.Errorf("mobile masked as %q", got)
	}
	if got := ticketing.MaskPhone("020-12345678"); got != "020-****5678" {
		t.Errorf("landline masked as %q", got)
	}
	if got := ticketing.MaskIDNumber("44010619900307123X"); got != "4401**********123X" {
		t.Errorf("ID masked as %q", got)
	}
	c := ticketing.Citizen{Name: "张三", Phone: "13812341234", IDNumber: "44010619900307123X", Address: "天河路1号"}
	if m := c.Masked(true); m.Name != "" || m.Phone != "138****1234" {
		t.Errorf("confidential masked view %+v", m)
	}
	if m := c.Masked(false); m.Name != "张三" {
		t.Errorf("name hidden on a non-confidential ticket: %+v", m)
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	// 11010519491231002X is the standard's own example.
	for in, want := range map[string]string{
		"11010519491231002X": "11010519491231002X",
		"11010519491231002x": "11010519491231002X",
		"440106199003071232": "",
	} {
		got, err := ticketing.NormalizeIDNumber(in)
		if want == "" {
			if err == nil {
				t.Errorf("NormalizeIDNumber(%q) accepted a wrong check digit", in)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("NormalizeIDNumber(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "1101051949123100", "11010519491331002X", "A1010519491231002X",
		"110105194912310020", "01010519491231002X", "1101051949123100X2"} {
		if _, err := ticketing.NormalizeIDNumber(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("NormalizeIDNumber(%q) not invalid: %v", bad, err)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13812341234", "+86 20 12345678", "0755-8765432", "((--", "0086"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ticketing.NormalizePhone(s)
		if err != nil {
			return
		}
		again, err := ticketing.NormalizePhone(p)
		if err != nil || again != p {
			t.Fatalf("normal form %q of %q does not normalise to itself: %q, %v", p, s, again, err)
		}
		if m := ticketing.MaskPhone(p); len(m) != len(p) {
			t.Fatalf("mask of %q changed its length: %q", p, m)
		}
	})
}

func FuzzNormalizeIDNumber(f *testing.F) {
	f.Add("11010519491231002X")
	f.Add("440106199003071232")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ticketing.NormalizeIDNumber(s)
		if err != nil {
			return
		}
		if again, err := ticketing.NormalizeIDNumber(id); err != nil || again != id {
			t.Fatalf("normal form %q does not validate again: %v", id, err)
		}
	})
}
