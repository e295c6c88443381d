package ticketing

import (
	"fmt"
	"regexp"
	"time"
)

// FormatNumber forms the human-readable ticket number from the local date
// of creation and the ticket's ID: 20261122000042. The date prefix makes
// numbers sort by date; the ID makes them unique. IDs below a million are
// padded to six digits.
func FormatNumber(created time.Time, id int64) string {
	return fmt.Sprintf("%s%06d", created.Format("20060102"), id)
}

var numberPattern = regexp.MustCompile(`^20\d{6}\d{6,12}$`)

// LooksLikeNumber reports whether s has the shape of a ticket number.
func LooksLikeNumber(s string) bool { return numberPattern.MatchString(s) }
