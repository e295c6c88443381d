package ticketing

import (
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/open12345/hotline/errs"
)

// Department is a government body that handles dispatched tickets.
// District units name their city-level department as Parent.
type Department struct {
	Code          string    `json:"code"`
	Name          string    `json:"name"`
	Parent        string    `json:"parent,omitempty"`
	Region        string    `json:"region,omitempty"` // e.g. 天河区; empty for city-wide bodies
	Phone         string    `json:"phone,omitempty"`  // the duty office's number, digits; a three-way call's third party
	WebhookURL    string    `json:"webhook_url,omitempty"`
	WebhookSecret string    `json:"webhook_secret,omitempty"` // write-only: never returned by the API
	CreatedAt     time.Time `json:"created_at"`
}

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ValidCode reports whether s is a well-formed code of a department or category.
func ValidCode(s string) bool { return codePattern.MatchString(s) }

// Normalize validates a department. Errors: invalid.
func (d Department) Normalize() (Department, error) {
	d.Code = strings.TrimSpace(d.Code)
	d.Name = strings.TrimSpace(d.Name)
	if !ValidCode(d.Code) {
		return d, errs.E(errs.Invalid, "department code must be 1-40 characters of a-z, 0-9 or '-'")
	}
	if d.Name == "" {
		return d, errs.E(errs.Invalid, "department name is required")
	}
	if err := maxRunes("name", d.Name, 100); err != nil {
		return d, err
	}
	if err := maxRunes("region", d.Region, 50); err != nil {
		return d, err
	}
	if d.Phone = strings.Map(dropSeparator, strings.TrimSpace(d.Phone)); d.Phone != "" && !validPhoneDigits(d.Phone) {
		return d, errs.E(errs.Invalid, "phone must be 3-20 digits (separators - and spaces are dropped)")
	}
	if d.Parent == d.Code {
		return d, errs.E(errs.Invalid, "a department cannot be its own parent")
	}
	if d.Parent != "" && !ValidCode(d.Parent) {
		return d, errs.E(errs.Invalid, "parent %q is not a department code", d.Parent)
	}
	if d.WebhookURL != "" {
		u, err := url.Parse(d.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(d.WebhookURL) > 500 {
			return d, errs.E(errs.Invalid, "webhook_url must be an http(s) URL")
		}
		if len(d.WebhookSecret) < 16 || len(d.WebhookSecret) > 200 {
			return d, errs.E(errs.Invalid, "a webhook needs a webhook_secret of 16-200 characters")
		}
	}
	return d, nil
}

// dropSeparator drops the separators people write numbers with.
func dropSeparator(r rune) rune {
	if r == '-' || r == ' ' {
		return -1
	}
	return r
}

func validPhoneDigits(s string) bool {
	if len(s) < 3 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
