package ticketing

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// FormatNumber forms the human-readable ticket number from the local date
// of creation and the ticket's ID: 20261122000042. The date prefix makes
// numbers sort by date; the ID makes them unique. IDs are padded to
// NumberDigits digits.
func FormatNumber(created time.Time, id int64) string {
	return fmt.Sprintf("%s%0*d", NumberPrefix(created), NumberDigits, id)
}

// NumberPrefix is the date part of the number of a ticket created at t.
func NumberPrefix(t time.Time) string { return t.Format("20060102") }

// NumberDigits is the least number of digits of the ID part of a number.
const NumberDigits = 6

var numberPattern = regexp.MustCompile(`^20\d{6}\d{6,12}$`)

// LooksLikeNumber reports whether s has the shape of a ticket number.
func LooksLikeNumber(s string) bool { return numberPattern.MatchString(s) }

// NumberID returns the ticket ID inside a number, so that a number is found
// through the primary key; ok is false if s is not shaped like a number.
func NumberID(s string) (id int64, ok bool) {
	if !LooksLikeNumber(s) {
		return 0, false
	}
	id, err := strconv.ParseInt(s[8:], 10, 64)
	return id, err == nil && id > 0
}
