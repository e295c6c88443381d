package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
)

// GuideStore keeps the knowledge base: it implements knowledge.Store.
type GuideStore struct {
	db *DB
}

// NewGuideStore returns a GuideStore on db.
func NewGuideStore(db *DB) *GuideStore { return &GuideStore{db: db} }

var _ knowledge.Store = (*GuideStore)(nil)

const guideColumns = `code, name, department, category, scope, conditions, materials, process, time_limit, fee,
	location, hours, phone, legal_basis, online_url, keywords, status, coalesce(to_char(review_by, 'YYYY-MM-DD'), ''),
	version, updated_at, updated_by`

func scanGuide(r pgx.CollectableRow) (knowledge.Guide, error) {
	var g knowledge.Guide
	var materials []byte
	err := r.Scan(&g.Code, &g.Name, &g.Department, &g.Category, &g.Scope, &g.Conditions, &materials, &g.Process,
		&g.TimeLimit, &g.Fee, &g.Location, &g.Hours, &g.Phone, &g.LegalBasis, &g.OnlineURL, &g.Keywords, &g.Status,
		&g.ReviewBy, &g.Version, &g.UpdatedAt, &g.UpdatedBy)
	if err != nil {
		return g, err
	}
	if err := json.Unmarshal(materials, &g.Materials); err != nil {
		return g, fmt.Errorf("guide %s materials: %w", g.Code, err)
	}
	if g.Materials == nil {
		g.Materials = []knowledge.Material{}
	}
	return g, nil
}

// Guide returns the guide with code.
func (s *GuideStore) Guide(ctx context.Context, code string) (*knowledge.Guide, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+guideColumns+` FROM guides WHERE code = $1`, code)
	if err != nil {
		return nil, translate(err, "guide "+code)
	}
	g, err := pgx.CollectExactlyOneRow(rows, scanGuide)
	if err != nil {
		return nil, translate(err, "guide "+code)
	}
	return &g, nil
}

// GuidesByCode returns the guides that exist among codes, in code order.
func (s *GuideStore) GuidesByCode(ctx context.Context, codes []string) ([]knowledge.Guide, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+guideColumns+` FROM guides WHERE code = ANY($1) ORDER BY code`, codes)
	if err != nil {
		return nil, translate(err, "guides by code")
	}
	gs, err := pgx.CollectRows(rows, scanGuide)
	return gs, translate(err, "guides by code")
}

// lockChanges serialises writers of the change feed for the rest of tx,
// so that changes commit in seq order.
func lockChanges(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('guide_changes'))`)
	return err
}

// inTx runs f in a transaction holding the change-feed lock.
func (s *GuideStore) inTx(ctx context.Context, doing string, f func(tx pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if err := lockChanges(ctx, tx); err != nil {
			return err
		}
		return f(tx)
	})
	return translate(err, doing)
}

const upsertGuideSQL = `INSERT INTO guides (code, name, department, category, scope, conditions, materials, process,
	time_limit, fee, location, hours, phone, legal_basis, online_url, keywords, status, review_by, version,
	updated_at, updated_by)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, NULLIF($18, '')::date, $19, $20, $21)`

const onConflictUpdate = ` ON CONFLICT (code) DO UPDATE SET name = excluded.name, department = excluded.department,
	category = excluded.category, scope = excluded.scope, conditions = excluded.conditions,
	materials = excluded.materials, process = excluded.process, time_limit = excluded.time_limit,
	fee = excluded.fee, location = excluded.location, hours = excluded.hours, phone = excluded.phone,
	legal_basis = excluded.legal_basis, online_url = excluded.online_url, keywords = excluded.keywords,
	status = excluded.status, review_by = excluded.review_by, version = excluded.version,
	updated_at = excluded.updated_at, updated_by = excluded.updated_by`

const insertChangeSQL = `INSERT INTO guide_changes (code, version, action, changed, by_user, at, snapshot)
	VALUES ($1, $2, $3, $4, $5, $6, $7)`

func guideArgs(g *knowledge.Guide) ([]any, error) {
	materials, err := json.Marshal(g.Materials)
	if err != nil {
		return nil, err
	}
	keywords := g.Keywords
	if keywords == nil {
		keywords = []string{}
	}
	return []any{g.Code, g.Name, g.Department, g.Category, g.Scope, g.Conditions, materials, g.Process,
		g.TimeLimit, g.Fee, g.Location, g.Hours, g.Phone, g.LegalBasis, g.OnlineURL, keywords, g.Status,
		g.ReviewBy, g.Version, g.UpdatedAt, g.UpdatedBy}, nil
}

func changeArgs(g *knowledge.Guide, action string, changed []string) ([]any, error) {
	snapshot, err := json.Marshal(g)
	if err != nil {
		return nil, err
	}
	if changed == nil {
		changed = []string{}
	}
	return []any{g.Code, g.Version, action, changed, g.UpdatedBy, g.UpdatedAt, snapshot}, nil
}

// CreateGuide stores a new guide and its first history entry.
func (s *GuideStore) CreateGuide(ctx context.Context, g *knowledge.Guide) error {
	return s.writeGuide(ctx, g, "created", nil, upsertGuideSQL)
}

// updateGuideSQL replaces the guide only over the version before g's: a
// plain UPDATE, so that a guide deleted meanwhile is not created again.
const updateGuideSQL = `UPDATE guides SET name = $2, department = $3, category = $4, scope = $5, conditions = $6,
	materials = $7, process = $8, time_limit = $9, fee = $10, location = $11, hours = $12, phone = $13,
	legal_basis = $14, online_url = $15, keywords = $16, status = $17, review_by = NULLIF($18, '')::date,
	version = $19, updated_at = $20, updated_by = $21
	WHERE code = $1 AND version = $19 - 1`

// UpdateGuide stores g over the version before it; conflict if the stored
// version is another or the guide is gone.
func (s *GuideStore) UpdateGuide(ctx context.Context, g *knowledge.Guide, changed []string) error {
	return s.writeGuide(ctx, g, "updated", changed, updateGuideSQL)
}

func (s *GuideStore) writeGuide(ctx context.Context, g *knowledge.Guide, action string, changed []string, sql string) error {
	args, err := guideArgs(g)
	if err != nil {
		return fmt.Errorf("encode guide %s: %w", g.Code, err)
	}
	cargs, err := changeArgs(g, action, changed)
	if err != nil {
		return fmt.Errorf("encode guide %s: %w", g.Code, err)
	}
	return s.inTx(ctx, action+" guide "+g.Code, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errs.E(errs.Conflict, "guide %s was changed by someone else; reload it and try again", g.Code)
		}
		_, err = tx.Exec(ctx, insertChangeSQL, cargs...)
		return err
	})
}

// DeleteGuide removes the guide at version and records the deletion.
func (s *GuideStore) DeleteGuide(ctx context.Context, code string, version int, by string, at time.Time) error {
	return s.inTx(ctx, "delete guide "+code, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM guides WHERE code = $1 AND version = $2`, code, version)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errs.E(errs.Conflict, "guide %s was changed by someone else; reload it and try again", code)
		}
		_, err = tx.Exec(ctx, insertChangeSQL, code, version, "deleted", []string{}, by, at, nil)
		return err
	})
}

// ImportGuides creates or replaces every guide in one transaction.
func (s *GuideStore) ImportGuides(ctx context.Context, guides []knowledge.Guide, by string, at time.Time) error {
	return s.inTx(ctx, "import guides", func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for i := range guides {
			args, err := guideArgs(&guides[i])
			if err != nil {
				return fmt.Errorf("encode guide %s: %w", guides[i].Code, err)
			}
			cargs, err := changeArgs(&guides[i], "imported", nil)
			if err != nil {
				return fmt.Errorf("encode guide %s: %w", guides[i].Code, err)
			}
			b.Queue(upsertGuideSQL+onConflictUpdate, args...)
			b.Queue(insertChangeSQL, cargs...)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// ListGuides returns guides in code order.
func (s *GuideStore) ListGuides(ctx context.Context, f knowledge.ListFilter) ([]knowledge.Guide, error) {
	limit := any(nil)
	if f.Limit > 0 {
		limit = f.Limit
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT `+guideColumns+` FROM guides
		WHERE ($1 = '' OR department = $1) AND ($2 = '' OR category = $2) AND ($3 = '' OR status = $3)
		  AND ($4 = '' OR (status = 'published' AND review_by <= NULLIF($4, '')::date)) AND code > $5
		ORDER BY code LIMIT $6`,
		f.Department, f.Category, string(f.Status), f.ReviewBefore, f.After, limit)
	if err != nil {
		return nil, translate(err, "list guides")
	}
	gs, err := pgx.CollectRows(rows, scanGuide)
	return gs, translate(err, "list guides")
}

// History returns a guide's versions, newest first.
func (s *GuideStore) History(ctx context.Context, code string) ([]knowledge.Version, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT seq, code, version, action, changed, by_user, at, snapshot
		FROM guide_changes WHERE code = $1 ORDER BY seq DESC LIMIT 200`, code)
	if err != nil {
		return nil, translate(err, "guide history "+code)
	}
	vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (knowledge.Version, error) {
		var v knowledge.Version
		var snapshot []byte
		if err := r.Scan(&v.Seq, &v.Code, &v.Version, &v.Action, &v.Changed, &v.By, &v.At, &snapshot); err != nil {
			return v, err
		}
		if snapshot != nil {
			v.Guide = &knowledge.Guide{}
			if err := json.Unmarshal(snapshot, v.Guide); err != nil {
				return v, fmt.Errorf("guide %s version %d: %w", code, v.Version, err)
			}
		}
		return v, nil
	})
	return vs, translate(err, "guide history "+code)
}

// AllVersions returns every guide's version by code.
func (s *GuideStore) AllVersions(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT code, version FROM guides`)
	if err != nil {
		return nil, translate(err, "guide versions")
	}
	out := map[string]int{}
	var code string
	var version int
	_, err = pgx.ForEachRow(rows, []any{&code, &version}, func() error {
		out[code] = version
		return nil
	})
	return out, translate(err, "guide versions")
}

// Changes returns up to limit changes after seq.
func (s *GuideStore) Changes(ctx context.Context, after int64, limit int) ([]knowledge.Change, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT seq, code FROM guide_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, translate(err, "guide changes")
	}
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[knowledge.Change])
	return cs, translate(err, "guide changes")
}

// LastChange returns the newest change's seq, or 0.
func (s *GuideStore) LastChange(ctx context.Context) (int64, error) {
	var seq int64
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM guide_changes`).Scan(&seq)
	return seq, translate(err, "last guide change")
}

// Vocabulary returns the distinct keywords and categories of all guides.
func (s *GuideStore) Vocabulary(ctx context.Context) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT DISTINCT unnest(keywords) FROM guides
		UNION SELECT DISTINCT category FROM guides WHERE category <> ''`)
	if err != nil {
		return nil, translate(err, "guide vocabulary")
	}
	words, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return words, translate(err, "guide vocabulary")
}

// UnknownDepartments returns the codes among codes that name no department.
func (s *GuideStore) UnknownDepartments(ctx context.Context, codes []string) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT c FROM unnest($1::text[]) AS c
		WHERE NOT EXISTS (SELECT 1 FROM departments d WHERE d.code = c)`, codes)
	if err != nil {
		return nil, translate(err, "check departments")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, translate(err, "check departments")
}

// Synonyms returns the stored synonym table, and false if none was ever stored.
func (s *GuideStore) Synonyms(ctx context.Context) (knowledge.Synonyms, bool, error) {
	var raw []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT entries FROM synonyms WHERE id = 1`).Scan(&raw)
	if err == pgx.ErrNoRows {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, translate(err, "synonyms")
	}
	var syn knowledge.Synonyms
	if err := json.Unmarshal(raw, &syn); err != nil {
		return nil, false, fmt.Errorf("decode synonyms: %w", err)
	}
	return syn, true, nil
}

// SetSynonyms replaces the synonym table and records a change.
func (s *GuideStore) SetSynonyms(ctx context.Context, syn knowledge.Synonyms, by string, at time.Time) error {
	raw, err := json.Marshal(syn)
	if err != nil {
		return fmt.Errorf("encode synonyms: %w", err)
	}
	return s.inTx(ctx, "save synonyms", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO synonyms (id, entries, updated_at, updated_by) VALUES (1, $1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET entries = excluded.entries, updated_at = excluded.updated_at,
				updated_by = excluded.updated_by`, raw, at, by); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, insertChangeSQL, "", 0, "synonyms", []string{}, by, at, nil)
		return err
	})
}

// GuideExists reports whether a published guide has code (for tickets
// answered with a guide).
func (s *TicketStore) GuideExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM guides WHERE code = $1 AND status = 'published')`, code).Scan(&ok)
	return ok, translate(err, "guide "+code)
}
