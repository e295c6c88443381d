package postgres

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/telephony"
)

// IVRStore keeps the IVR menu: it implements telephony.MenuStore.
type IVRStore struct {
	db *DB
}

var _ telephony.MenuStore = (*IVRStore)(nil)

// NewIVRStore returns an IVRStore on db.
func NewIVRStore(db *DB) *IVRStore { return &IVRStore{db: db} }

// Menu returns the stored menu, choices in their position order. Errors:
// not_found (the settings row is missing), unavailable.
func (s *IVRStore) Menu(ctx context.Context) (telephony.Menu, error) {
	const doing = "IVR menu"
	var m telephony.Menu
	// One snapshot for both tables, so a save in between is seen whole or not at all.
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.db.Pool, opts, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT fallback_queue FROM ivr_settings WHERE id = 1`).Scan(&m.Fallback); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT key, label, coalesce(prompt, ''), queue, action FROM ivr_menu ORDER BY position`)
		if err != nil {
			return err
		}
		m.Choices, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (telephony.MenuChoice, error) {
			var c telephony.MenuChoice
			var key string
			if err := r.Scan(&key, &c.Label, &c.Prompt, &c.Queue, &c.Action); err != nil {
				return c, err
			}
			k, size := utf8.DecodeRuneInString(key)
			if size != len(key) {
				return c, fmt.Errorf("menu key %q is not one character", key)
			}
			c.Key = k
			return c, nil
		})
		return err
	})
	if err != nil {
		return telephony.Menu{}, translate(err, doing)
	}
	return m, nil
}

// SaveMenu replaces the whole menu in one transaction (an empty action is
// stored as queue); concurrent saves wait for each other on the settings
// row. Errors: invalid (a queue routing does not have, a key, label or
// action the table refuses), unavailable.
func (s *IVRStore) SaveMenu(ctx context.Context, m telephony.Menu) error {
	keys := make([]string, len(m.Choices))
	positions := make([]int16, len(m.Choices))
	labels := make([]string, len(m.Choices))
	promptNames := make([]string, len(m.Choices))
	queues := make([]string, len(m.Choices))
	actions := make([]string, len(m.Choices))
	for i, c := range m.Choices {
		keys[i], positions[i], labels[i], promptNames[i], queues[i] = string(c.Key), int16(i), c.Label, c.Prompt, c.Queue
		actions[i] = string(c.Action)
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE ivr_settings SET fallback_queue = $1, updated_at = now() WHERE id = 1`, m.Fallback)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ivr_menu`); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO ivr_menu (key, position, label, prompt, queue, action)
			SELECT k, p, l, nullif(pr, ''), q, coalesce(nullif(a, ''), 'queue')
				FROM unnest($1::text[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[])
				AS t (k, p, l, pr, q, a)`, keys, positions, labels, promptNames, queues, actions)
		return err
	})
	return translate(err, "save the IVR menu")
}
