package ticketing

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// Citizen is the person behind a request.
type Citizen struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`     // normalised: 13812341234 or 020-12345678
	IDNumber string `json:"id_number"` // 18-character resident ID (GB 11643)
	Address  string `json:"address"`
}

// Normalize validates the citizen data and returns it in canonical form.
// Errors: invalid, naming the field.
func (c Citizen) Normalize() (Citizen, error) {
	c.Name = strings.TrimSpace(c.Name)
	c.Address = strings.TrimSpace(c.Address)
	if err := maxRunes("citizen.name", c.Name, 50); err != nil {
		return c, err
	}
	if err := maxRunes("citizen.address", c.Address, 200); err != nil {
		return c, err
	}
	if strings.TrimSpace(c.Phone) != "" {
		p, err := NormalizePhone(c.Phone)
		if err != nil {
			return c, err
		}
		c.Phone = p
	} else {
		c.Phone = ""
	}
	if strings.TrimSpace(c.IDNumber) != "" {
		id, err := NormalizeIDNumber(c.IDNumber)
		if err != nil {
			return c, err
		}
		c.IDNumber = id
	} else {
		c.IDNumber = ""
	}
	return c, nil
}

// Masked returns what a department may see: phone and ID number masked,
// numbers inside the address masked, and on a confidential ticket neither
// name nor address. Where the matter is at a place (a burst pipe, a noisy
// site), the agent writes that place into the ticket's content, which
// describes the matter, not the person.
func (c Citizen) Masked(confidential bool) Citizen {
	m := Citizen{Phone: MaskPhone(c.Phone), IDNumber: MaskIDNumber(c.IDNumber)}
	if !confidential {
		m.Name, m.Address = c.Name, MaskText(c.Address)
	}
	return m
}

// maxRunes checks a one-line field (a name, an address, a code): valid
// UTF-8, no control or bidirectional formatting characters, no line
// breaks, at most n characters. Errors: invalid, naming the field.
func maxRunes(field, s string, n int) error { return bounded(field, s, n, true) }

func bounded(field, s string, n int, singleLine bool) error {
	if err := textguard.Check(field, s, singleLine); err != nil {
		return err
	}
	if utf8.RuneCountInString(s) > n {
		return errs.E(errs.Invalid, "%s is longer than %d characters", field, n)
	}
	return nil
}

// NormalizePhone accepts a mainland mobile number (11 digits, 1[3-9]…) or a
// landline with its area code, in the usual spellings (+86, spaces, dashes,
// parentheses), and returns 13812341234 or 020-12345678.
// Errors: invalid.
func NormalizePhone(s string) (string, error) {
	if len(s) > 40 {
		return "", errs.E(errs.Invalid, "phone number is too long")
	}
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if r >= '！' && r <= '～' { // full-width forms, as a Chinese input method types them
			r -= '！' - '!'
		}
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '　' || r == '-' || r == '(' || r == ')' || r == '+':
		default:
			return "", errs.E(errs.Invalid, "phone number %q has a character that is not a digit", s)
		}
	}
	d := b.String()
	for _, cc := range []string{"0086", "86"} {
		if strings.HasPrefix(d, cc) && len(d) >= len(cc)+10 {
			d = d[len(cc):]
			if d[0] != '1' && d[0] != '0' {
				d = "0" + d // +86 20 1234 5678: the trunk 0 is dropped after the country code
			}
			break
		}
	}
	switch {
	case len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9':
		return d, nil
	case len(d) > 0 && d[0] == '0':
		return normalizeLandline(s, d)
	}
	return "", errs.E(errs.Invalid, "phone number %q is neither a mobile number nor a landline with area code", s)
}

// IsMobile reports whether a phone NormalizePhone returned is a mobile
// number, one that can receive SMS.
func IsMobile(p string) bool { return len(p) == 11 && p[0] == '1' }

// normalizeLandline splits the area code: 010 and 02x are three digits,
// every other area code four; the local number has 7 or 8 digits.
func normalizeLandline(orig, d string) (string, error) {
	areaLen := 4
	if len(d) > 1 && (d[1] == '1' || d[1] == '2') {
		areaLen = 3
	}
	if len(d) < areaLen+7 || len(d) > areaLen+8 || d[1] == '0' {
		return "", errs.E(errs.Invalid, "landline %q needs an area code and a 7- or 8-digit number", orig)
	}
	return d[:areaLen] + "-" + d[areaLen:], nil
}

// MaskPhone hides the middle of a phone number: 138****1234, 020-****5678.
func MaskPhone(p string) string {
	if p == "" {
		return ""
	}
	if area, local, ok := strings.Cut(p, "-"); ok && len(local) > 4 {
		return area + "-" + strings.Repeat("*", len(local)-4) + local[len(local)-4:]
	}
	if len(p) == 11 {
		return p[:3] + "****" + p[7:]
	}
	return strings.Repeat("*", len(p))
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// NormalizeIDNumber validates an 18-character resident ID number: 17 digits,
// a real birth date, and the GB 11643 check character (an upper-case X for 10).
// Errors: invalid.
func NormalizeIDNumber(s string) (string, error) {
	id := strings.ToUpper(strings.TrimSpace(s))
	if len(id) != 18 {
		return "", errs.E(errs.Invalid, "ID number must have 18 characters")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return "", errs.E(errs.Invalid, "ID number must start with 17 digits")
		}
		sum += int(id[i]-'0') * idWeights[i]
	}
	if id[0] == '0' {
		return "", errs.E(errs.Invalid, "ID number has no valid region code")
	}
	birth, err := time.Parse("20060102", id[6:14])
	if err != nil || birth.Year() < 1900 {
		return "", errs.E(errs.Invalid, "ID number has no valid birth date")
	}
	if id[17] != idCheckChars[sum%11] {
		return "", errs.E(errs.Invalid, "ID number check character is wrong")
	}
	return id, nil
}

// MaskIDNumber keeps the first four and last four characters: 4401**********1234.
func MaskIDNumber(id string) string {
	if len(id) <= 8 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:]
}
