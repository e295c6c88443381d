package postgres

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/phonecode"
)

// PhoneCodeStore keeps the one-time codes of phonecode.
type PhoneCodeStore struct {
	db *DB
}

var _ phonecode.Store = (*PhoneCodeStore)(nil)

// NewPhoneCodeStore returns a store on db.
func NewPhoneCodeStore(db *DB) *PhoneCodeStore { return &PhoneCodeStore{db: db} }

// Save replaces the phone's code, and now and then drops expired ones.
func (s *PhoneCodeStore) Save(ctx context.Context, phone string, hash []byte, expires time.Time) error {
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO phone_codes (phone, code_hash, expires_at, tries) VALUES ($1, $2, $3, 0)
		ON CONFLICT (phone) DO UPDATE SET code_hash = $2, expires_at = $3, tries = 0`, phone, hash, expires)
	if rand.IntN(64) == 0 {
		b.Queue(`DELETE FROM phone_codes WHERE expires_at < $1`, expires.Add(-24*time.Hour))
	}
	return translate(s.db.Pool.SendBatch(ctx, b).Close(), "save phone code")
}

// Consume deletes the code if it matches, in one statement, so that two
// requests with the same code cannot both use it; a miss counts a try.
func (s *PhoneCodeStore) Consume(ctx context.Context, phone string, hash []byte, now time.Time, maxTries int) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM phone_codes
		WHERE phone = $1 AND code_hash = $2 AND expires_at > $3 AND tries < $4`, phone, hash, now, maxTries)
	if err != nil {
		return false, translate(err, "check phone code")
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	_, err = s.db.Pool.Exec(ctx, `UPDATE phone_codes SET tries = tries + 1 WHERE phone = $1`, phone)
	return false, translate(err, "count a wrong phone code")
}
