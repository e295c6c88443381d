package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/ticketing"
)

// Departments lists every department ordered by code.
func (s *TicketStore) Departments(ctx context.Context) ([]ticketing.Department, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+departmentColumns+` FROM departments ORDER BY code`)
	if err != nil {
		return nil, translate(err, "list departments")
	}
	ds, err := pgx.CollectRows(rows, scanDepartment)
	return ds, translate(err, "list departments")
}

const departmentColumns = `code, name, coalesce(parent, ''), region, phone, webhook_url, webhook_secret, created_at`

func scanDepartment(r pgx.CollectableRow) (ticketing.Department, error) {
	var d ticketing.Department
	err := r.Scan(&d.Code, &d.Name, &d.Parent, &d.Region, &d.Phone, &d.WebhookURL, &d.WebhookSecret, &d.CreatedAt)
	return d, err
}

// Department returns one department.
func (s *TicketStore) Department(ctx context.Context, code string) (ticketing.Department, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+departmentColumns+` FROM departments WHERE code = $1`, code)
	if err != nil {
		return ticketing.Department{}, translate(err, "department "+code)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDepartment)
	return d, translate(err, "department "+code)
}

// CreateDepartment inserts a department.
func (s *TicketStore) CreateDepartment(ctx context.Context, d ticketing.Department) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO departments (code, name, parent, region, phone, webhook_url, webhook_secret, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.Code, d.Name, nullable(d.Parent), d.Region, d.Phone, d.WebhookURL, d.WebhookSecret, d.CreatedAt)
	return translate(err, "create department "+d.Code)
}

// SaveDepartment inserts or updates a department. An empty webhook secret
// on update keeps the stored one, since the API never returns it.
func (s *TicketStore) SaveDepartment(ctx context.Context, d ticketing.Department) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO departments (code, name, parent, region, phone, webhook_url, webhook_secret, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent, region = excluded.region,
			phone = excluded.phone, webhook_url = excluded.webhook_url,
			webhook_secret = CASE WHEN excluded.webhook_secret = '' THEN departments.webhook_secret ELSE excluded.webhook_secret END`,
		d.Code, d.Name, nullable(d.Parent), d.Region, d.Phone, d.WebhookURL, d.WebhookSecret, d.CreatedAt)
	return translate(err, "save department "+d.Code)
}

// CalendarYears returns the stored calendars of the years in [from, to].
func (s *TicketStore) CalendarYears(ctx context.Context, from, to int) ([]ticketing.Year, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT year, holidays, workdays FROM calendar_years
		WHERE year BETWEEN $1 AND $2 ORDER BY year`, from, to)
	if err != nil {
		return nil, translate(err, "read calendar")
	}
	years, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ticketing.Year, error) {
		var y ticketing.Year
		var hol, work []time.Time
		if err := r.Scan(&y.Year, &hol, &work); err != nil {
			return y, err
		}
		y.Holidays, y.Workdays = toDates(hol), toDates(work)
		return y, nil
	})
	return years, translate(err, "read calendar")
}

// SaveCalendarYear replaces the stored calendar of a year.
func (s *TicketStore) SaveCalendarYear(ctx context.Context, y ticketing.Year) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO calendar_years (year, holidays, workdays) VALUES ($1, $2, $3)
		ON CONFLICT (year) DO UPDATE SET holidays = excluded.holidays, workdays = excluded.workdays`,
		y.Year, fromDates(y.Holidays), fromDates(y.Workdays))
	return translate(err, fmt.Sprintf("save calendar %d", y.Year))
}

func toDates(ts []time.Time) []ticketing.Date {
	out := make([]ticketing.Date, len(ts))
	for i, t := range ts {
		out[i] = ticketing.DateOf(t.UTC())
	}
	return out
}

func fromDates(ds []ticketing.Date) []time.Time {
	out := make([]time.Time, len(ds))
	for i, d := range ds {
		out[i] = d.In(time.UTC)
	}
	return out
}

const returnWindowKey = "deadline.return_window"

// Policies returns the stored deadline policies.
func (s *TicketStore) Policies(ctx context.Context) (ticketing.Policies, bool, error) {
	var p ticketing.Policies
	rows, err := s.db.Pool.Query(ctx, `SELECT kind, urgency, sign_working_days, sign_minutes, due_working_days, due_minutes
		FROM deadline_policies ORDER BY kind, urgency`)
	if err != nil {
		return p, false, translate(err, "read deadline policies")
	}
	p.Rules, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ticketing.Policy, error) {
		var x ticketing.Policy
		err := r.Scan(&x.Kind, &x.Urgency, &x.Sign.WorkingDays, &x.Sign.Minutes, &x.Due.WorkingDays, &x.Due.Minutes)
		return x, err
	})
	if err != nil {
		return p, false, translate(err, "read deadline policies")
	}
	if len(p.Rules) == 0 {
		return p, false, nil
	}
	var raw []byte
	err = s.db.Pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, returnWindowKey).Scan(&raw)
	if err != nil {
		return p, false, translate(err, "read return window")
	}
	if err := json.Unmarshal(raw, &p.ReturnWindow); err != nil {
		return p, false, fmt.Errorf("decode return window: %w", err)
	}
	return p, true, nil
}

// SavePolicies replaces the deadline policies.
func (s *TicketStore) SavePolicies(ctx context.Context, p ticketing.Policies) error {
	window, err := json.Marshal(p.ReturnWindow)
	if err != nil {
		return fmt.Errorf("encode return window: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM deadline_policies`)
		for _, r := range p.Rules {
			b.Queue(`INSERT INTO deadline_policies (kind, urgency, sign_working_days, sign_minutes, due_working_days, due_minutes)
				VALUES ($1, $2, $3, $4, $5, $6)`, r.Kind, r.Urgency, r.Sign.WorkingDays, r.Sign.Minutes, r.Due.WorkingDays, r.Due.Minutes)
		}
		b.Queue(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
			returnWindowKey, window)
		return tx.SendBatch(ctx, b).Close()
	})
	return translate(err, "save deadline policies")
}

// Catalogue returns the dispatch catalogue.
func (s *TicketStore) Catalogue(ctx context.Context) (ticketing.Catalogue, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT code, coalesce(parent, ''), name, departments FROM catalogue_categories
		ORDER BY parent NULLS FIRST, position`)
	if err != nil {
		return ticketing.Catalogue{}, translate(err, "read catalogue")
	}
	type row struct {
		cat    ticketing.Category
		parent string
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.cat.Code, &x.parent, &x.cat.Name, &x.cat.Departments)
		x.cat.Departments = nonNil(x.cat.Departments)
		return x, err
	})
	if err != nil {
		return ticketing.Catalogue{}, translate(err, "read catalogue")
	}
	c := ticketing.Catalogue{Categories: []ticketing.Category{}}
	index := map[string]int{}
	for _, x := range all {
		if x.parent == "" {
			index[x.cat.Code] = len(c.Categories)
			c.Categories = append(c.Categories, x.cat)
		} else if i, ok := index[x.parent]; ok {
			c.Categories[i].Children = append(c.Categories[i].Children, x.cat)
		}
	}
	return c, nil
}

// SaveCatalogue replaces the dispatch catalogue.
func (s *TicketStore) SaveCatalogue(ctx context.Context, c ticketing.Catalogue) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM catalogue_categories`)
		insert := `INSERT INTO catalogue_categories (code, parent, name, departments, position) VALUES ($1, $2, $3, $4, $5)`
		for i, top := range c.Categories {
			b.Queue(insert, top.Code, nil, top.Name, nonNil(top.Departments), i)
			for j, sub := range top.Children {
				b.Queue(insert, sub.Code, top.Code, sub.Name, nonNil(sub.Departments), j)
			}
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return translate(err, "save catalogue")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
