package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// UserStore keeps staff accounts and their tokens.
type UserStore struct {
	db *DB
}

var _ auth.Store = (*UserStore)(nil)

// NewUserStore returns a store on db.
func NewUserStore(db *DB) *UserStore { return &UserStore{db: db} }

const userColumns = `id, username, display_name, role, coalesce(department, ''), password_hash, disabled, created_at`

func scanUser(r pgx.CollectableRow) (*auth.User, error) {
	var u auth.User
	err := r.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Department, &u.PasswordHash, &u.Disabled, &u.CreatedAt)
	return &u, err
}

// CreateUser inserts u and sets its ID.
func (s *UserStore) CreateUser(ctx context.Context, u *auth.User) error {
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO users (username, display_name, role, department, password_hash, disabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		u.Username, u.DisplayName, u.Role, nullable(u.Department), u.PasswordHash, u.Disabled, u.CreatedAt).Scan(&u.ID)
	return translate(err, "create user "+u.Username)
}

// SetPassword replaces a user's password hash and ends their sessions.
func (s *UserStore) SetPassword(ctx context.Context, username, hash string) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `UPDATE users SET password_hash = $2 WHERE username = $1 RETURNING id`, username, hash).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM tokens WHERE user_id = $1`, id)
		return err
	})
	return translate(err, "user "+username)
}

// UserByUsername returns the user.
func (s *UserStore) UserByUsername(ctx context.Context, username string) (*auth.User, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username)
	if err != nil {
		return nil, translate(err, "user "+username)
	}
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	return u, translate(err, "user "+username)
}

// Users lists all users ordered by username.
func (s *UserStore) Users(ctx context.Context) ([]*auth.User, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, translate(err, "list users")
	}
	us, err := pgx.CollectRows(rows, scanUser)
	return us, translate(err, "list users")
}

// CreateToken stores a token, and drops expired ones now and then so the
// table does not grow without bound.
func (s *UserStore) CreateToken(ctx context.Context, t auth.Token) error {
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO tokens (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		t.Hash, t.UserID, t.CreatedAt, t.ExpiresAt)
	if t.Hash[0] == 0 { // about one login in 256
		b.Queue(`DELETE FROM tokens WHERE expires_at < $1`, t.CreatedAt)
	}
	return translate(s.db.Pool.SendBatch(ctx, b).Close(), "create token")
}

// TokenUser returns the enabled user owning an unexpired token and the
// token's expiry.
func (s *UserStore) TokenUser(ctx context.Context, hash []byte, now time.Time) (*auth.User, time.Time, error) {
	var u auth.User
	var expires time.Time
	err := s.db.Pool.QueryRow(ctx, `SELECT u.id, u.username, u.display_name, u.role, coalesce(u.department, ''),
		u.password_hash, u.disabled, u.created_at, t.expires_at
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = $1 AND t.expires_at > $2 AND NOT u.disabled`, hash, now).
		Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Department, &u.PasswordHash, &u.Disabled, &u.CreatedAt, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, time.Time{}, errs.E(errs.Unauthorized, "session expired or invalid; log in again")
	}
	if err != nil {
		return nil, time.Time{}, translate(err, "check token")
	}
	return &u, expires, nil
}

// DeleteToken removes a token.
func (s *UserStore) DeleteToken(ctx context.Context, hash []byte) error {
	_, err := s.db.Pool.Exec(ctx, `DELETE FROM tokens WHERE hash = $1`, hash)
	return translate(err, "delete token")
}
