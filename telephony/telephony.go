// Package telephony holds the voice channel's domain: agents' SIP
// credentials (HA1 digests, never passwords), the registrations of their
// phones, and the Registrar that keeps them and reports reachability.
// It knows no SIP library; telephony/sip is its SIP adapter.
package telephony

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"time"

	"github.com/open12345/hotline/errs"
)

// Credential is an agent's SIP secret: HA1 = MD5(username:realm:password)
// of RFC 2617, which digest authentication needs and which does not give
// the password back.
type Credential struct {
	Username string
	Realm    string
	HA1      string
}

// Registration binds an agent to one contact of one of their phones.
type Registration struct {
	Agent     string    // the username, the user part of sip:<username>@host
	Contact   string    // the contact URI the phone registered
	Source    string    // host:port the REGISTER came from
	Transport string    // udp or tcp
	Expires   time.Time // when the binding lapses unless refreshed
	Updated   time.Time // when the phone last registered it
}

// Store keeps credentials and registrations.
type Store interface {
	// SIPCredential returns the credential of an enabled user, or
	// not_found.
	SIPCredential(ctx context.Context, username string) (Credential, error)
	// SetSIPCredential stores c, replacing the user's previous one; not_found
	// when there is no such user.
	SetSIPCredential(ctx context.Context, c Credential) error
	// SaveRegistration inserts or refreshes the binding of r.Agent to
	// r.Contact.
	SaveRegistration(ctx context.Context, r Registration) error
	// DeleteRegistration removes one binding; removing a missing one is
	// not an error.
	DeleteRegistration(ctx context.Context, agent, contact string) error
	// Registrations lists every stored binding.
	Registrations(ctx context.Context) ([]Registration, error)
}

// HA1 is MD5(username:realm:password) in lower-case hex.
func HA1(username, realm, password string) string {
	sum := md5.Sum([]byte(username + ":" + realm + ":" + password))
	return hex.EncodeToString(sum[:])
}

// CheckRealm returns invalid unless realm is 1 to 64 visible ASCII
// characters that a quoted challenge can hold (no quote, no backslash).
func CheckRealm(realm string) error {
	if realm == "" || len(realm) > 64 || strings.ContainsFunc(realm, func(r rune) bool {
		return r < ' ' || r > '~' || r == '"' || r == '\\'
	}) {
		return errs.E(errs.Invalid, "the SIP realm must be 1 to 64 visible ASCII characters without quotes or backslashes")
	}
	return nil
}
