package ticketing

import (
	"fmt"
	"slices"
	"time"

	"github.com/open12345/hotline/errs"
)

// Date is a calendar day without a time zone, written 2006-01-02.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the local date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses 2006-01-02. Errors: invalid.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, errs.E(errs.Invalid, "date %q is not YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// String formats the date as 2006-01-02.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// In returns midnight of the date in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the date n days later.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Year lists the exceptions to the Monday-to-Friday week for one year:
// public holidays, and the weekend days worked instead (调休上班).
type Year struct {
	Year     int    `json:"year"`
	Holidays []Date `json:"holidays"`
	Workdays []Date `json:"workdays"`
}

// Validate checks that every date lies in the year and none is both a
// holiday and a workday. Errors: invalid.
func (y Year) Validate() error {
	if y.Year < 2000 || y.Year > 2100 {
		return errs.E(errs.Invalid, "year %d is out of range", y.Year)
	}
	if len(y.Holidays)+len(y.Workdays) > 366 {
		return errs.E(errs.Invalid, "too many dates")
	}
	for _, d := range slices.Concat(y.Holidays, y.Workdays) {
		if d.Year != y.Year {
			return errs.E(errs.Invalid, "date %s is not in %d", d, y.Year)
		}
	}
	for _, d := range y.Holidays {
		if slices.Contains(y.Workdays, d) {
			return errs.E(errs.Invalid, "date %s is both a holiday and a workday", d)
		}
	}
	return nil
}

// DefaultYear returns the built-in calendar for a year: the national 2026
// calendar (国务院办公厅, 2025-11-04), or plain weekends for other years.
func DefaultYear(year int) Year {
	if year != 2026 {
		return Year{Year: year, Holidays: []Date{}, Workdays: []Date{}}
	}
	y := Year{Year: 2026}
	span := func(m time.Month, from, to int) {
		for d := from; d <= to; d++ {
			y.Holidays = append(y.Holidays, Date{2026, m, d})
		}
	}
	span(time.January, 1, 3)
	span(time.February, 15, 23)
	span(time.April, 4, 6)
	span(time.May, 1, 5)
	span(time.June, 19, 21)
	span(time.September, 25, 27)
	span(time.October, 1, 7)
	y.Workdays = []Date{{2026, 1, 4}, {2026, 2, 14}, {2026, 2, 28}, {2026, 5, 9}, {2026, 9, 20}, {2026, 10, 10}}
	return y
}

// Calendar tells working days apart, in the hotline's time zone.
type Calendar struct {
	loc      *time.Location
	holidays map[Date]bool
	workdays map[Date]bool
}

// NewCalendar builds a calendar from the given years; years not given
// count weekends only.
func NewCalendar(loc *time.Location, years ...Year) *Calendar {
	c := &Calendar{loc: loc, holidays: map[Date]bool{}, workdays: map[Date]bool{}}
	for _, y := range years {
		for _, d := range y.Holidays {
			c.holidays[d] = true
		}
		for _, d := range y.Workdays {
			c.workdays[d] = true
		}
	}
	return c
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkingDay reports whether people work on d.
func (c *Calendar) IsWorkingDay(d Date) bool {
	if c.workdays[d] {
		return true
	}
	if c.holidays[d] {
		return false
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// EndOfWorkingDays returns 23:59:59 local time of the nth working day after
// the local day of from (that day itself is not counted).
func (c *Calendar) EndOfWorkingDays(from time.Time, n int) time.Time {
	d := DateOf(from.In(c.loc))
	for counted := 0; counted < n; {
		d = d.AddDays(1)
		if c.IsWorkingDay(d) {
			counted++
		}
	}
	return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, c.loc)
}

// maxCalendarDays bounds walks over the calendar, so that a calendar with
// no working days cannot make them run forever.
const maxCalendarDays = 3660

// WorkingTime returns how much of the interval [a, b) falls on working days.
func (c *Calendar) WorkingTime(a, b time.Time) time.Duration {
	var total time.Duration
	a, b = a.In(c.loc), b.In(c.loc)
	for d, i := DateOf(a), 0; i < maxCalendarDays; d, i = d.AddDays(1), i+1 {
		start, end := d.In(c.loc), d.AddDays(1).In(c.loc)
		if !start.Before(b) {
			break
		}
		if c.IsWorkingDay(d) {
			total += minTime(end, b).Sub(maxTime(start, a))
		}
	}
	return max(total, 0)
}

// AddWorkingTime returns the instant at which working time w has passed
// since a, counting only the hours of working days.
func (c *Calendar) AddWorkingTime(a time.Time, w time.Duration) time.Time {
	a = a.In(c.loc)
	for d, i := DateOf(a), 0; i < maxCalendarDays; d, i = d.AddDays(1), i+1 {
		if !c.IsWorkingDay(d) {
			continue
		}
		start, end := maxTime(d.In(c.loc), a), d.AddDays(1).In(c.loc)
		avail := end.Sub(start)
		if w <= avail {
			return start.Add(w)
		}
		w -= avail
	}
	return a.Add(w)
}

// StartOfNextWorkingDay returns midnight of the first working day after
// the local day of t.
func (c *Calendar) StartOfNextWorkingDay(t time.Time) time.Time {
	end := c.EndOfWorkingDays(t, 1)
	return DateOf(end).In(c.loc)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
