package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open12345/hotline/canned"
	"github.com/open12345/hotline/errs"
)

// CannedStore keeps the canned replies: it implements canned.Store.
type CannedStore struct {
	db *DB
}

var _ canned.Store = (*CannedStore)(nil)

// NewCannedStore returns a CannedStore on db.
func NewCannedStore(db *DB) *CannedStore { return &CannedStore{db: db} }

const cannedColumns = `id, title, body, category, shortcut, sort_order, active, updated_by, updated_at`

func scanCanned(row pgx.CollectableRow) (canned.Reply, error) {
	var r canned.Reply
	err := row.Scan(&r.ID, &r.Title, &r.Text, &r.Category, &r.Shortcut, &r.SortOrder, &r.Active, &r.UpdatedBy, &r.UpdatedAt)
	return r, err
}

// List returns the replies by sort order, then title and id; inactive
// ones only with includeInactive. Errors: unavailable.
func (s *CannedStore) List(ctx context.Context, includeInactive bool) ([]canned.Reply, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+cannedColumns+` FROM canned_replies
		WHERE active OR $1 ORDER BY sort_order, title, id LIMIT $2`, includeInactive, canned.MaxReplies)
	if err != nil {
		return nil, translate(err, "list canned replies")
	}
	out, err := pgx.CollectRows(rows, scanCanned)
	if err != nil {
		return nil, translate(err, "list canned replies")
	}
	return out, nil
}

// Get returns one reply. Errors: not_found, unavailable.
func (s *CannedStore) Get(ctx context.Context, id int64) (canned.Reply, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+cannedColumns+` FROM canned_replies WHERE id = $1`, id)
	if err != nil {
		return canned.Reply{}, translate(err, "canned reply")
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanCanned)
	if errors.Is(err, pgx.ErrNoRows) {
		return canned.Reply{}, errs.E(errs.NotFound, "no canned reply %d", id)
	}
	return r, translate(err, "canned reply")
}

// Create stores a new reply; replies are counted under a table lock, so
// that concurrent adds stop at canned.MaxReplies. Errors: conflict
// (shortcut taken, too many), invalid, unavailable.
func (s *CannedStore) Create(ctx context.Context, r canned.Reply) (canned.Reply, error) {
	var out canned.Reply
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE canned_replies IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM canned_replies`).Scan(&n); err != nil {
			return err
		}
		if n >= canned.MaxReplies {
			return errs.E(errs.Conflict, "there are %d canned replies already; delete some first", n)
		}
		rows, err := tx.Query(ctx, `INSERT INTO canned_replies (title, body, category, shortcut, sort_order, active, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+cannedColumns,
			r.Title, r.Text, r.Category, r.Shortcut, r.SortOrder, r.Active, r.UpdatedBy, r.UpdatedAt)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, scanCanned)
		return err
	})
	return out, cannedError(err, r.Shortcut, "add canned reply")
}

// Save replaces a stored reply. Errors: not_found, conflict (shortcut
// taken), invalid, unavailable.
func (s *CannedStore) Save(ctx context.Context, r canned.Reply) (canned.Reply, error) {
	rows, err := s.db.Pool.Query(ctx, `UPDATE canned_replies SET title = $2, body = $3, category = $4, shortcut = $5,
		sort_order = $6, active = $7, updated_by = $8, updated_at = $9 WHERE id = $1 RETURNING `+cannedColumns,
		r.ID, r.Title, r.Text, r.Category, r.Shortcut, r.SortOrder, r.Active, r.UpdatedBy, r.UpdatedAt)
	if err != nil {
		return canned.Reply{}, cannedError(err, r.Shortcut, "save canned reply")
	}
	out, err := pgx.CollectExactlyOneRow(rows, scanCanned)
	if errors.Is(err, pgx.ErrNoRows) {
		return canned.Reply{}, errs.E(errs.NotFound, "no canned reply %d", r.ID)
	}
	return out, cannedError(err, r.Shortcut, "save canned reply")
}

// Delete removes a reply. Errors: not_found, unavailable.
func (s *CannedStore) Delete(ctx context.Context, id int64) error {
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM canned_replies WHERE id = $1`, id)
	if err != nil {
		return translate(err, "delete canned reply")
	}
	if tag.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "no canned reply %d", id)
	}
	return nil
}

// cannedError names a taken shortcut; other errors are translated.
func cannedError(err error, shortcut, doing string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return errs.Wrap(errs.Conflict, err, "the shortcut %q is taken by another canned reply", shortcut)
	}
	return translate(err, doing)
}
