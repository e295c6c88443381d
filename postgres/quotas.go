package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/quota"
)

// QuotaStore keeps the counters of quota, shared by every instance.
type QuotaStore struct {
	db *DB
}

var _ quota.Store = (*QuotaStore)(nil)

// NewQuotaStore returns a store on db.
func NewQuotaStore(db *DB) *QuotaStore { return &QuotaStore{db: db} }

// takeSQL counts one use unless the running window is used up: then the
// WHERE of the upsert leaves the row alone and nothing is returned.
const takeSQL = `INSERT INTO quotas AS q (key, uses, window_end) VALUES ($1, 1, $2::timestamptz + $3::interval)
	ON CONFLICT (key) DO UPDATE SET
		uses = CASE WHEN q.window_end <= $2 THEN 1 ELSE q.uses + 1 END,
		window_end = CASE WHEN q.window_end <= $2 THEN $2::timestamptz + $3::interval ELSE q.window_end END
	WHERE q.window_end <= $2 OR q.uses < $4
	RETURNING uses`

// Take counts a use of every claim's key in one transaction, in key order
// so that concurrent takes cannot deadlock; a refused claim rolls all back.
func (s *QuotaStore) Take(ctx context.Context, now time.Time, claims ...quota.Claim) (time.Duration, error) {
	claims = slices.Clone(claims)
	slices.SortFunc(claims, func(a, b quota.Claim) int { return strings.Compare(a.Key, b.Key) })
	var refused []string
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, c := range claims {
			b.Queue(takeSQL, c.Key, now, c.Rule.Window, c.Rule.Max)
		}
		if rand.IntN(256) == 0 { // now and then, drop windows that ended a day ago
			b.Queue(`DELETE FROM quotas WHERE window_end < $1`, now.Add(-24*time.Hour))
		}
		res := tx.SendBatch(ctx, b)
		for _, c := range claims {
			var uses int
			if err := res.QueryRow().Scan(&uses); errors.Is(err, pgx.ErrNoRows) {
				refused = append(refused, c.Key)
			} else if err != nil {
				return closeBatch(res, err)
			}
		}
		if err := res.Close(); err != nil {
			return err
		}
		if len(refused) > 0 {
			return errRefused
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return s.wait(ctx, now, refused)
	}
	return 0, translate(err, "take quota")
}

// errRefused rolls back a take with a used-up claim.
var errRefused = &refusal{}

type refusal struct{}

func (*refusal) Error() string { return "quota used up" }

func closeBatch(res pgx.BatchResults, err error) error {
	if cerr := res.Close(); cerr != nil && err == nil {
		return cerr
	}
	return err
}

// wait returns how long until the last of the keys' windows ends.
func (s *QuotaStore) wait(ctx context.Context, now time.Time, keys []string) (time.Duration, error) {
	var end time.Time
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(max(window_end), $2) FROM quotas WHERE key = ANY($1)`, keys, now).Scan(&end)
	if err != nil {
		return 0, translate(err, "read quota")
	}
	// A window that ended in between still answers a short wait: the
	// caller was refused and must try again.
	return max(end.Sub(now), time.Second), nil
}

// Release gives back one use of each key.
func (s *QuotaStore) Release(ctx context.Context, keys ...string) error {
	_, err := s.db.Pool.Exec(ctx, `UPDATE quotas SET uses = uses - 1 WHERE key = ANY($1) AND uses > 0`, keys)
	return translate(err, "release quota")
}

// Reset forgets the keys.
func (s *QuotaStore) Reset(ctx context.Context, keys ...string) error {
	_, err := s.db.Pool.Exec(ctx, `DELETE FROM quotas WHERE key = ANY($1)`, keys)
	return translate(err, "reset quota")
}

// Uses returns the keys' uses in their running windows.
func (s *QuotaStore) Uses(ctx context.Context, now time.Time, keys ...string) (map[string]quota.Use, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT key, uses, window_end FROM quotas WHERE key = ANY($1) AND window_end > $2`, keys, now)
	if err != nil {
		return nil, translate(err, "read quota")
	}
	out := map[string]quota.Use{}
	var key string
	var u quota.Use
	_, err = pgx.ForEachRow(rows, []any{&key, &u.Count, &u.WindowEnd}, func() error {
		out[key] = u
		return nil
	})
	return out, translate(err, "read quota")
}
