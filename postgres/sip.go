package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/telephony"
)

// SIPStore keeps agents' SIP credentials and their phones' registrations:
// it implements telephony.Store.
type SIPStore struct {
	db *DB
}

var _ telephony.Store = (*SIPStore)(nil)

// NewSIPStore returns a SIPStore on db.
func NewSIPStore(db *DB) *SIPStore { return &SIPStore{db: db} }

// SIPCredential returns the credential of an enabled user. Errors:
// not_found, unavailable.
func (s *SIPStore) SIPCredential(ctx context.Context, username string) (telephony.Credential, error) {
	c := telephony.Credential{Username: username}
	err := s.db.Pool.QueryRow(ctx, `SELECT c.realm, c.ha1 FROM sip_credentials c
		JOIN users u ON u.username = c.username WHERE c.username = $1 AND NOT u.disabled`,
		username).Scan(&c.Realm, &c.HA1)
	return c, translate(err, "SIP credential of "+username)
}

// SetSIPCredential stores c. Errors: not_found (no such user), invalid,
// unavailable.
func (s *SIPStore) SetSIPCredential(ctx context.Context, c telephony.Credential) error {
	tag, err := s.db.Pool.Exec(ctx, `INSERT INTO sip_credentials (username, realm, ha1, updated_at)
		SELECT username, $2, $3, now() FROM users WHERE username = $1
		ON CONFLICT (username) DO UPDATE SET realm = excluded.realm, ha1 = excluded.ha1, updated_at = excluded.updated_at`,
		c.Username, c.Realm, c.HA1)
	if err != nil {
		return translate(err, "set SIP password of "+c.Username)
	}
	if tag.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "user %s not found", c.Username)
	}
	return nil
}

// SaveRegistration inserts or refreshes a binding. Errors: invalid (an
// unknown agent), unavailable.
func (s *SIPStore) SaveRegistration(ctx context.Context, r telephony.Registration) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO sip_registrations (agent, contact, source, transport, expires_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (agent, contact) DO UPDATE SET source = excluded.source, transport = excluded.transport,
			expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
		r.Agent, r.Contact, r.Source, r.Transport, r.Expires, r.Updated)
	return translate(err, "save registration of "+r.Agent)
}

// DeleteRegistration removes a binding if it exists. Errors: unavailable.
func (s *SIPStore) DeleteRegistration(ctx context.Context, agent, contact string) error {
	_, err := s.db.Pool.Exec(ctx, `DELETE FROM sip_registrations WHERE agent = $1 AND contact = $2`, agent, contact)
	return translate(err, "delete registration of "+agent)
}

// Registrations lists every binding, oldest registration first. Errors:
// unavailable.
func (s *SIPStore) Registrations(ctx context.Context) ([]telephony.Registration, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT agent, contact, source, transport, expires_at, updated_at
		FROM sip_registrations ORDER BY updated_at, agent, contact`)
	if err != nil {
		return nil, translate(err, "list registrations")
	}
	regs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (telephony.Registration, error) {
		var g telephony.Registration
		err := r.Scan(&g.Agent, &g.Contact, &g.Source, &g.Transport, &g.Expires, &g.Updated)
		return g, err
	})
	return regs, translate(err, "list registrations")
}
