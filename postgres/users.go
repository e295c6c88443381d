package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// UserStore keeps staff accounts, their tokens and failed logins.
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

// TokenUser returns the enabled user owning an unexpired token.
func (s *UserStore) TokenUser(ctx context.Context, hash []byte, now time.Time) (*auth.User, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT u.id, u.username, u.display_name, u.role, coalesce(u.department, ''),
		u.password_hash, u.disabled, u.created_at
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = $1 AND t.expires_at > $2 AND NOT u.disabled`, hash, now)
	if err != nil {
		return nil, translate(err, "check token")
	}
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if errs.Is(translate(err, ""), errs.NotFound) {
		return nil, errs.E(errs.Unauthorized, "session expired or invalid; log in again")
	}
	return u, translate(err, "check token")
}

// DeleteToken removes a token.
func (s *UserStore) DeleteToken(ctx context.Context, hash []byte) error {
	_, err := s.db.Pool.Exec(ctx, `DELETE FROM tokens WHERE hash = $1`, hash)
	return translate(err, "delete token")
}

// LoginFailures returns the failures recorded for key.
func (s *UserStore) LoginFailures(ctx context.Context, key string) (auth.Failures, error) {
	var f auth.Failures
	err := s.db.Pool.QueryRow(ctx, `SELECT count, first_at FROM login_failures WHERE key = $1`, key).Scan(&f.Count, &f.First)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Failures{}, nil
	}
	return f, translate(err, "read login failures")
}

// AddLoginFailure counts one failure for key in one atomic statement.
func (s *UserStore) AddLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO login_failures (key, count, first_at) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN login_failures.first_at < $3 THEN 1 ELSE login_failures.count + 1 END,
			first_at = CASE WHEN login_failures.first_at < $3 THEN $2 ELSE login_failures.first_at END`,
		key, now, now.Add(-window))
	return translate(err, "record login failure")
}

// ClearLoginFailures forgets the failures of key.
func (s *UserStore) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.db.Pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return translate(err, "clear login failures")
}
