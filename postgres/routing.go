package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/routing"
)

// RoutingStore keeps the routing configuration: it implements routing.Store.
type RoutingStore struct {
	db *DB
}

// NewRoutingStore returns a RoutingStore on db.
func NewRoutingStore(db *DB) *RoutingStore { return &RoutingStore{db: db} }

var _ routing.Store = (*RoutingStore)(nil)

// Queues returns every configured queue in name order (byte order, as Go
// sorts strings). Errors: unavailable.
func (s *RoutingStore) Queues(ctx context.Context) ([]routing.QueueConfig, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT config FROM routing_queues ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, translate(err, "routing queues")
	}
	qs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (routing.QueueConfig, error) {
		var q routing.QueueConfig
		var raw []byte
		if err := r.Scan(&raw); err != nil {
			return q, err
		}
		if err := json.Unmarshal(raw, &q); err != nil {
			return q, fmt.Errorf("decode routing queue: %w", err)
		}
		return q, nil
	})
	return qs, translate(err, "routing queues")
}

// SaveQueue creates or replaces the queue named q.Name after filling its
// defaults. Errors: invalid (Normalize refused it), unavailable.
func (s *RoutingStore) SaveQueue(ctx context.Context, q routing.QueueConfig) error {
	if err := q.Normalize(); err != nil {
		return err
	}
	raw, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("encode routing queue %s: %w", q.Name, err)
	}
	_, err = s.db.Pool.Exec(ctx, `INSERT INTO routing_queues (name, config, updated_at) VALUES ($1, $2, now())
		ON CONFLICT (name) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`, q.Name, raw)
	return translate(err, "save routing queue "+q.Name)
}

// Profile returns the routing profile of the user with username: its ID is
// the username and its Name the user's display name (the username when
// that is empty). The bool is false, and Skills nil, when no profile was
// saved. Errors: not_found (no such user), unavailable.
func (s *RoutingStore) Profile(ctx context.Context, username string) (routing.Profile, bool, error) {
	doing := "routing profile of " + username
	var p routing.Profile
	var skills []byte
	var capacity *int
	err := s.db.Pool.QueryRow(ctx, `SELECT u.username, coalesce(nullif(u.display_name, ''), u.username),
			a.skills, a.chat_capacity
		FROM users u LEFT JOIN routing_agents a ON a.user_id = u.id
		WHERE u.username = $1`, username).Scan(&p.ID, &p.Name, &skills, &capacity)
	if err != nil {
		return routing.Profile{}, false, translate(err, doing)
	}
	if skills == nil {
		return p, false, nil
	}
	if err := json.Unmarshal(skills, &p.Skills); err != nil {
		return routing.Profile{}, false, fmt.Errorf("decode %s: %w", doing, err)
	}
	if p.Skills == nil {
		p.Skills = map[string]int{}
	}
	p.ChatCapacity = *capacity
	return p, true, nil
}

// SaveProfile stores the skills and chat capacity of the user whose
// username is p.ID, replacing any saved before; p.Name is not stored (it
// is the user's display name). Errors: invalid (Normalize refused it),
// not_found (no such user), unavailable.
func (s *RoutingStore) SaveProfile(ctx context.Context, p routing.Profile) error {
	if err := p.Normalize(); err != nil {
		return err
	}
	doing := "save routing profile of " + p.ID
	skills := p.Skills
	if skills == nil {
		skills = map[string]int{}
	}
	raw, err := json.Marshal(skills)
	if err != nil {
		return fmt.Errorf("encode %s: %w", doing, err)
	}
	tag, err := s.db.Pool.Exec(ctx, `INSERT INTO routing_agents (user_id, skills, chat_capacity, updated_at)
		SELECT id, $2, $3, now() FROM users WHERE username = $1
		ON CONFLICT (user_id) DO UPDATE SET skills = excluded.skills, chat_capacity = excluded.chat_capacity,
			updated_at = excluded.updated_at`, p.ID, raw, p.ChatCapacity)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // the user was deleted meanwhile
		return errs.Wrap(errs.NotFound, err, "%s: no such user", doing)
	}
	if err != nil {
		return translate(err, doing)
	}
	if tag.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "%s: no such user", doing)
	}
	return nil
}
