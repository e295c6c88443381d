package postgres

import (
	"context"
	"errors"
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

// Consume takes a try and, if the code matches, consumes it: the try is
// counted by one conditional UPDATE (so parallel tries queue on the row
// and cannot pass maxTries), and the DELETE of a match removes the row
// once, so two requests with the right code cannot both use it.
func (s *PhoneCodeStore) Consume(ctx context.Context, phone string, hash []byte, now time.Time, maxTries int) (bool, error) {
	var match bool
	err := s.db.Pool.QueryRow(ctx, `UPDATE phone_codes SET tries = tries + 1
		WHERE phone = $1 AND expires_at > $3 AND tries < $4 RETURNING code_hash = $2`, phone, hash, now, maxTries).Scan(&match)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !match) {
		return false, nil
	}
	if err != nil {
		return false, translate(err, "check phone code")
	}
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM phone_codes WHERE phone = $1 AND code_hash = $2`, phone, hash)
	if err != nil {
		return false, translate(err, "use phone code")
	}
	return tag.RowsAffected() == 1, nil
}
