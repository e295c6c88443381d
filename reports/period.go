package reports

import (
	"fmt"
	"slices"
	"time"

	"github.com/open12345/hotline/errs"
)

// Period is a run of whole local days, From and To included.
type Period struct {
	From, To time.Time // local midnights
}

// MaxPeriodDays bounds one report: three years.
const MaxPeriodDays = 3*366 + 1

// ParsePeriod reads from and to (YYYY-MM-DD) in loc; an empty from is the
// first day of to's month, an empty to is today. Errors: invalid (a
// malformed date, to before from, more than three years).
func ParsePeriod(from, to string, today time.Time) (Period, error) {
	loc := today.Location()
	var p Period
	var err error
	if to == "" {
		p.To = Midnight(today)
	} else if p.To, err = parseDay("to", to, loc); err != nil {
		return Period{}, err
	}
	if from == "" {
		p.From = time.Date(p.To.Year(), p.To.Month(), 1, 0, 0, 0, 0, loc)
	} else if p.From, err = parseDay("from", from, loc); err != nil {
		return Period{}, err
	}
	if p.To.Before(p.From) {
		return Period{}, errs.E(errs.Invalid, "to (%s) is before from (%s)", Day(p.To), Day(p.From))
	}
	if n := p.Days(); n > MaxPeriodDays {
		return Period{}, errs.E(errs.Invalid, "the period is %d days: at most three years", n)
	}
	return p, nil
}

func parseDay(name, s string, loc *time.Location) (time.Time, error) {
	if len(s) != len(time.DateOnly) {
		return time.Time{}, errs.E(errs.Invalid, "%s must be a date YYYY-MM-DD", name)
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil || t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}, errs.E(errs.Invalid, "%s must be a date YYYY-MM-DD between 2000 and 2200", name)
	}
	return t, nil
}

// Midnight is the start of t's local day.
func Midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// Day formats a local day as YYYY-MM-DD.
func Day(t time.Time) string { return t.Format(time.DateOnly) }

// Days is how many days the period covers.
func (p Period) Days() int { return DaysBetween(p.From, p.To) + 1 }

// End is the moment just after the period's last day.
func (p Period) End() time.Time { return p.To.AddDate(0, 0, 1) }

// Previous is the period of the same length just before p.
func (p Period) Previous() Period {
	n := p.Days()
	return Period{From: p.From.AddDate(0, 0, -n), To: p.From.AddDate(0, 0, -1)}
}

// DaysBetween counts the calendar days from a to b (local midnights).
func DaysBetween(a, b time.Time) int {
	ua := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	ub := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(ub.Sub(ua) / (24 * time.Hour))
}

// GroupBy is how a report's rows are keyed: a grouping of the facts
// (a Dim) or a run of days.
type GroupBy string

// Groupings.
const (
	ByTotal      GroupBy = ""
	ByChannel    GroupBy = "channel"
	ByKind       GroupBy = "kind"
	ByCategory   GroupBy = "category"
	ByRegion     GroupBy = "region"
	ByDepartment GroupBy = "department"
	ByAgent      GroupBy = "agent"
	ByQueue      GroupBy = "queue"
	ByDay        GroupBy = "day"
	ByWeek       GroupBy = "week"
	ByMonth      GroupBy = "month"
)

// Dims are the groupings stored per day (report_daily.dim), the total first.
var Dims = []GroupBy{ByTotal, ByChannel, ByKind, ByCategory, ByRegion, ByDepartment, ByAgent, ByQueue}

// Groupings are every group_by a report accepts, in the order of the
// workbook's sheets.
var Groupings = []GroupBy{ByDay, ByWeek, ByMonth, ByChannel, ByKind, ByDepartment, ByAgent, ByQueue, ByCategory, ByRegion}

// ParseGroupBy checks a group_by; empty means by day. Errors: invalid.
func ParseGroupBy(s string) (GroupBy, error) {
	if s == "" {
		return ByDay, nil
	}
	if g := GroupBy(s); slices.Contains(Groupings, g) {
		return g, nil
	}
	return "", errs.E(errs.Invalid, "group_by must be one of channel, kind, department, agent, queue, category, region, day, week, month")
}

// Temporal reports whether the rows are runs of days.
func (g GroupBy) Temporal() bool { return g == ByDay || g == ByWeek || g == ByMonth }

// PeriodKey is the key of the row a day belongs to when grouping by g:
// 2026-03-09, 2026-W11 (ISO week) or 2026-03.
func (g GroupBy) PeriodKey(day time.Time) string {
	switch g {
	case ByWeek:
		y, w := day.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case ByMonth:
		return day.Format("2006-01")
	default:
		return Day(day)
	}
}
