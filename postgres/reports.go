package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/reports"
)

// ReportStore keeps the daily aggregates of the reports (report_daily)
// and answers from them. A past day is recounted from the facts when it
// is not final: never counted, counted before it ended, or written since.
// Today is recounted when its count is older than Fresh.
type ReportStore struct {
	db  *DB
	loc *time.Location
	// Fresh is how old today's count may be when a report reads it; 0
	// recounts today at every read. A busy hotline writes facts all day,
	// so without it every report would pay for a recount of today.
	Fresh time.Duration
}

// reportLock is the advisory lock class of a day's recount (the other
// key is the day); fact writes take it shared (migration 019).
const reportLock = 12345019

var reportEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// NewReportStore returns the reports' store, counting days in loc; it
// records loc for the triggers and, when it changed, makes every day
// count again.
func NewReportStore(ctx context.Context, db *DB, loc *time.Location) (*ReportStore, error) {
	if err := sameZone(ctx, db, loc); err != nil {
		return nil, err
	}
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE report_config SET tz = $1 WHERE tz <> $1`, loc.String())
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE report_days SET final = false`)
		return err
	})
	if err != nil {
		return nil, translate(err, "set the reports' time zone")
	}
	return &ReportStore{db: db, loc: loc}, nil
}

// sameZone checks that PostgreSQL reads loc's name as Go does: the
// triggers date facts by the name, and a fixed zone's "CST" is
// America/Chicago's to PostgreSQL. Errors: invalid.
func sameZone(ctx context.Context, db *DB, loc *time.Location) error {
	for _, at := range []time.Time{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)} {
		var wall string
		err := db.Pool.QueryRow(ctx, `SELECT to_char($1::timestamptz AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI')`, at, loc.String()).Scan(&wall)
		if err != nil {
			return errs.E(errs.Invalid, "the reports' time zone %q is unknown to PostgreSQL: %v", loc, err)
		}
		if want := at.In(loc).Format("2006-01-02 15:04"); wall != want {
			return errs.E(errs.Invalid, "the reports' time zone %q is %s to PostgreSQL but %s here: name it as the tz database does (e.g. Asia/Shanghai)",
				loc, wall, want)
		}
	}
	return nil
}

func (s *ReportStore) midnight(t time.Time) time.Time { return reports.Midnight(t.In(s.loc)) }

func (s *ReportStore) dayNumber(day time.Time) int {
	return reports.DaysBetween(reportEpoch, day)
}

// Recount counts one day again from the facts, as decided by now.
// Unless force, a day that is already final is left alone.
func (s *ReportStore) Recount(ctx context.Context, day, now time.Time, force bool) error {
	day = s.midnight(day)
	next := day.AddDate(0, 0, 1)
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, reportLock, s.dayNumber(day)); err != nil {
			return err
		}
		if !force {
			var final bool
			err := tx.QueryRow(ctx, `SELECT final FROM report_days WHERE day = $1`, day).Scan(&final)
			if err == nil && final {
				return nil
			}
			if err != nil && err != pgx.ErrNoRows {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM report_daily WHERE day = $1::date`, day); err != nil {
			return err
		}
		insert := `INSERT INTO report_daily (dim, key, ` + strings.Join(reports.CounterNames, ", ") + `, day)
			SELECT *, $4::date FROM (` + recountSQL + `) r`
		if _, err := tx.Exec(ctx, insert, day, next, now, day); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO report_days (day, refreshed_at, final) VALUES ($1, $2, $3)
			ON CONFLICT (day) DO UPDATE SET refreshed_at = excluded.refreshed_at, final = excluded.final`,
			day, now, !now.Before(next))
		return err
	})
	return translate(err, "recount the report of "+reports.Day(day))
}

// Ensure recounts every day up to the end of to (and no later than now's
// day) that is not final, from the first day with facts, and today when
// its count is older than Fresh; it returns how many it recounted. A
// report reads only after Ensure, so past days always agree with the
// facts as they stand and today lags them by Fresh at most.
func (s *ReportStore) Ensure(ctx context.Context, to, now time.Time) (int, error) {
	last := s.midnight(to)
	if today := s.midnight(now); today.Before(last) {
		last = today
	}
	var first *time.Time
	err := s.db.Pool.QueryRow(ctx, `SELECT least(
			(SELECT created_at FROM tickets ORDER BY id LIMIT 1),
			(SELECT min(started_at) FROM calls),
			(SELECT min(started_at) FROM chats),
			(SELECT created_at FROM callbacks ORDER BY id LIMIT 1))`).Scan(&first)
	if err != nil {
		return 0, translate(err, "find the first day with facts")
	}
	if first == nil {
		return 0, nil
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT g.d::date FROM generate_series($1::date, $2::date, interval '1 day') AS g (d)
		WHERE NOT EXISTS (SELECT 1 FROM report_days r WHERE r.day = g.d::date
			AND (r.final OR (r.day = $3::date AND r.refreshed_at > $4))) ORDER BY 1`,
		s.midnight(*first), last, s.midnight(now), now.Add(-s.Fresh))
	if err != nil {
		return 0, translate(err, "list the days to recount")
	}
	days, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return 0, translate(err, "list the days to recount")
	}
	for _, d := range days {
		if err := s.Recount(ctx, time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.loc), now, false); err != nil {
			return 0, err
		}
	}
	return len(days), nil
}

// Rebuild recounts every day of p, final or not.
func (s *ReportStore) Rebuild(ctx context.Context, p reports.Period, now time.Time) error {
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		if err := s.Recount(ctx, d, now, true); err != nil {
			return err
		}
	}
	return nil
}

func counterColumns(agg func(name string) string) string {
	cols := make([]string, len(reports.CounterNames))
	for i, n := range reports.CounterNames {
		cols[i] = agg(n)
	}
	return strings.Join(cols, ", ")
}

// sumOf adds a counter up over rows (the largest wait_max).
func sumOf(n string) string {
	if reports.MaxCounters[n] {
		return "coalesce(max(" + n + "), 0)::bigint"
	}
	return "coalesce(sum(" + n + "), 0)::bigint"
}

func scanKeyed(rows pgx.Rows) (map[string]reports.Counters, error) {
	out := map[string]reports.Counters{}
	for rows.Next() {
		var key string
		var c reports.Counters
		if err := rows.Scan(append([]any{&key}, fieldsOf(&c)...)...); err != nil {
			return nil, err
		}
		out[key] = c
	}
	return out, rows.Err()
}

func fieldsOf(c *reports.Counters) []any {
	fs := c.Fields()
	out := make([]any, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	return out
}

// Sums adds up the stored days of p by key of dim (reports.Dims).
func (s *ReportStore) Sums(ctx context.Context, dim reports.GroupBy, p reports.Period) (map[string]reports.Counters, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT key, `+counterColumns(sumOf)+` FROM report_daily
		WHERE dim = $1 AND day BETWEEN $2::date AND $3::date GROUP BY key`, string(dim), p.From, p.To)
	if err != nil {
		return nil, translate(err, "sum the report")
	}
	out, err := scanKeyed(rows)
	return out, translate(err, "sum the report")
}

// Daily returns one key's stored counters day by day over p (days
// without facts are missing).
func (s *ReportStore) Daily(ctx context.Context, dim reports.GroupBy, key string, p reports.Period) ([]reports.DayCounters, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT day, `+strings.Join(reports.CounterNames, ", ")+` FROM report_daily
		WHERE dim = $1 AND key = $2 AND day BETWEEN $3::date AND $4::date ORDER BY day`, string(dim), key, p.From, p.To)
	if err != nil {
		return nil, translate(err, "read the report's days")
	}
	var out []reports.DayCounters
	for rows.Next() {
		var d reports.DayCounters
		if err := rows.Scan(append([]any{&d.Day}, fieldsOf(&d.Counters)...)...); err != nil {
			return nil, translate(err, "read the report's days")
		}
		d.Day = time.Date(d.Day.Year(), d.Day.Month(), d.Day.Day(), 0, 0, 0, 0, s.loc)
		out = append(out, d)
	}
	return out, translate(rows.Err(), "read the report's days")
}

// OverdueAt is each key's stock of overdue cycles at the end of day.
func (s *ReportStore) OverdueAt(ctx context.Context, dim reports.GroupBy, day time.Time) (map[string]int64, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT key, sum(overdue_in - overdue_out)::bigint FROM report_daily
		WHERE dim = $1 AND day <= $2::date GROUP BY key`, string(dim), day)
	if err != nil {
		return nil, translate(err, "count the overdue tickets")
	}
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, translate(err, "count the overdue tickets")
		}
		out[k] = n
	}
	return out, translate(rows.Err(), "count the overdue tickets")
}

// FromFacts counts p straight from the facts, as decided by now, for
// every grouping: what the stored days must add up to.
func (s *ReportStore) FromFacts(ctx context.Context, p reports.Period, now time.Time) (map[reports.GroupBy]map[string]reports.Counters, error) {
	rows, err := s.db.Pool.Query(ctx, recountSQL, p.From, p.End(), now)
	if err != nil {
		return nil, translate(err, "count the facts")
	}
	defer rows.Close()
	out := map[reports.GroupBy]map[string]reports.Counters{}
	for rows.Next() {
		var dim, key string
		var c reports.Counters
		if err := rows.Scan(append([]any{&dim, &key}, fieldsOf(&c)...)...); err != nil {
			return nil, translate(err, "count the facts")
		}
		if out[reports.GroupBy(dim)] == nil {
			out[reports.GroupBy(dim)] = map[string]reports.Counters{}
		}
		out[reports.GroupBy(dim)][key] = c
	}
	return out, translate(rows.Err(), "count the facts")
}

// Behind lists the ids of the rows behind one counter of p for key of dim
// (the total when dim is ByTotal), oldest first, at most limit of them,
// with how many there are. Sums of durations have no rows of their own:
// drill into their count. Errors: invalid (not a count).
func (s *ReportStore) Behind(ctx context.Context, counter string, dim reports.GroupBy, key string, p reports.Period,
	now time.Time, limit int) (reports.Behind, error) {
	args := []any{p.From, p.End(), now}
	var parts []string
	entity := ""
	for _, f := range factSources {
		e, ok := f.counts[counter]
		if !ok {
			continue
		}
		entity = f.entity
		cond := f.window() + " AND (" + e + ") <> 0"
		if dim != reports.ByTotal {
			cond += " AND coalesce(" + f.dim(string(dim)) + ", '') = $4"
		}
		parts = append(parts, "SELECT "+f.id+" AS id FROM "+f.from+" WHERE "+cond)
	}
	if entity == "" || !reports.Countable(counter) {
		return reports.Behind{}, errs.E(errs.Invalid, "%q is not a count the reports can list", counter)
	}
	if dim != reports.ByTotal {
		args = append(args, key)
	}
	// One row per fact: a ticket dispatched twice in the period is listed twice.
	sql := fmt.Sprintf(`SELECT id, count(*) OVER () FROM (%s) b ORDER BY id LIMIT %d`, strings.Join(parts, " UNION ALL "), limit)
	return s.collectBehind(ctx, entity, "list the rows behind "+counter, sql, args...)
}

func (s *ReportStore) collectBehind(ctx context.Context, entity, doing, sql string, args ...any) (reports.Behind, error) {
	rows, err := s.db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return reports.Behind{}, translate(err, doing)
	}
	out := reports.Behind{Entity: entity, IDs: []int64{}}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &out.Total); err != nil {
			return reports.Behind{}, translate(err, doing)
		}
		out.IDs = append(out.IDs, id)
	}
	return out, translate(rows.Err(), doing)
}

// OverdueBehind lists the tickets overdue at the end of p's last day for
// key of dim, as Behind does.
func (s *ReportStore) OverdueBehind(ctx context.Context, dim reports.GroupBy, key string, p reports.Period,
	now time.Time, limit int) (reports.Behind, error) {
	end := p.End()
	if now.Before(end) {
		end = now
	}
	cond := "c.due_at < $1 AND (c.ended_at IS NULL OR c.ended_at >= $1)"
	args := []any{end}
	if dim != reports.ByTotal {
		cond += " AND coalesce(" + factSources[1].dim(string(dim)) + ", '') = $2" // the cycles' groupings
		args = append(args, key)
	}
	sql := fmt.Sprintf(`SELECT t.id, count(*) OVER () FROM `+cycleFrom+` WHERE %s ORDER BY t.id LIMIT %d`, cond, limit)
	return s.collectBehind(ctx, "tickets", "list the overdue tickets", sql, args...)
}

// Labels names departments, agents and queues by key; other groupings
// have no names stored.
func (s *ReportStore) Labels(ctx context.Context, dim reports.GroupBy, keys []string) (map[string]string, error) {
	var sql string
	switch dim {
	case reports.ByDepartment:
		sql = `SELECT code, name FROM departments WHERE code = ANY ($1)`
	case reports.ByAgent:
		sql = `SELECT username, display_name FROM users WHERE username = ANY ($1)`
	case reports.ByQueue:
		sql = `SELECT name, coalesce(config ->> 'title', '') FROM routing_queues WHERE name = ANY ($1)`
	case reports.ByCategory: // 民生救助 / 养老服务
		sql = `SELECT c.code, coalesce(p.name || ' / ', '') || c.name FROM catalogue_categories c
			LEFT JOIN catalogue_categories p ON p.code = c.parent WHERE c.code = ANY ($1)`
	default:
		return map[string]string{}, nil
	}
	rows, err := s.db.Pool.Query(ctx, sql, keys)
	if err != nil {
		return nil, translate(err, "name the report's rows")
	}
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, translate(err, "name the report's rows")
		}
		out[k] = v
	}
	return out, translate(rows.Err(), "name the report's rows")
}

// Check brings the days that are not final up to date, then compares
// the stored aggregates of p with a recount of the facts for every
// grouping: a difference means a write changed a counted fact without
// marking its day (or a bug in the recount).
func (s *ReportStore) Check(ctx context.Context, p reports.Period, now time.Time) ([]reports.Mismatch, error) {
	if _, err := s.Ensure(ctx, p.To, now); err != nil {
		return nil, err
	}
	stored := map[reports.GroupBy]map[string]reports.Counters{}
	for _, d := range reports.Dims {
		sums, err := s.Sums(ctx, d, p)
		if err != nil {
			return nil, err
		}
		stored[d] = sums
	}
	facts, err := s.FromFacts(ctx, p, now)
	if err != nil {
		return nil, err
	}
	return reports.Compare(stored, facts), nil
}
