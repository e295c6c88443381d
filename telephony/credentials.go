package telephony

import (
	"context"
	"unicode/utf8"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// Password lengths: phones' keypads make long ones painful, short ones
// are guessed.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

// Credentials sets agents' SIP passwords for one realm.
type Credentials struct {
	store Store
	realm string
}

// NewCredentials returns the service storing HA1 digests for realm.
func NewCredentials(store Store, realm string) *Credentials {
	return &Credentials{store: store, realm: realm}
}

// SetPassword stores the HA1 of username's new SIP password. It returns
// invalid for a password of the wrong length or characters, not_found for
// an unknown user or a bad realm.
func (c *Credentials) SetPassword(ctx context.Context, username, password string) error {
	if err := CheckRealm(c.realm); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > MaxPasswordLen {
		return errs.E(errs.Invalid, "the SIP password must be %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	if err := textguard.Check("password", password, true); err != nil {
		return err
	}
	return c.store.SetSIPCredential(ctx, Credential{Username: username, Realm: c.realm, HA1: HA1(username, c.realm, password)})
}
