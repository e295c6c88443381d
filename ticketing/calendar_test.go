package ticketing_test

import (
	"testing"
	"time"

	"github.com/open12345/hotline/ticketing"
)

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func cal2026(t testing.TB) *ticketing.Calendar {
	return ticketing.NewCalendar(shanghai(t), ticketing.DefaultYear(2025), ticketing.DefaultYear(2026), ticketing.DefaultYear(2027))
}

func TestCalendar_2026(t *testing.T) {
	c := cal2026(t)
	for _, tc := range []struct {
		date    string
		working bool
	}{
		{"2026-01-01", false}, {"2026-01-04", true}, // Sunday worked for New Year
		{"2026-02-14", true}, {"2026-02-15", false}, {"2026-02-23", false}, {"2026-02-24", true}, {"2026-02-28", true},
		{"2026-05-09", true}, {"2026-05-10", false}, {"2026-09-20", true}, {"2026-10-07", false},
		{"2026-10-10", true}, {"2026-10-11", false}, {"2026-10-12", true}, {"2026-11-21", false},
	} {
		d, err := ticketing.ParseDate(tc.date)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.IsWorkingDay(d); got != tc.working {
			t.Errorf("%s working = %v, want %v", tc.date, got, tc.working)
		}
	}
}

func TestDeadline_Policies(t *testing.T) {
	loc := shanghai(t)
	c := cal2026(t)
	p := ticketing.DefaultPolicies()
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation(time.DateTime, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		name      string
		from      string
		kind      ticketing.Kind
		urgency   ticketing.Urgency
		sign, due string
	}{
		{"ComplaintAcrossNationalDay", "2026-09-30 10:00:00", ticketing.KindComplaint, ticketing.UrgencyNormal,
			"2026-10-08 23:59:59", "2026-10-27 23:59:59"},
		{"ConsultationOnFridayCountsMonday", "2026-11-20 16:00:00", ticketing.KindConsultation, ticketing.UrgencyNormal,
			"2026-11-23 23:59:59", "2026-11-24 23:59:59"},
		{"AdjustedSaturdayCounts", "2026-10-09 09:00:00", ticketing.KindConsultation, ticketing.UrgencyNormal,
			"2026-10-10 23:59:59", "2026-10-12 23:59:59"},
		{"AdjustedSundayBeforeMidAutumn", "2026-09-18 09:00:00", ticketing.KindConsultation, ticketing.UrgencyNormal,
			"2026-09-20 23:59:59", "2026-09-21 23:59:59"},
		{"SpringFestival", "2026-02-13 12:00:00", ticketing.KindPraise, ticketing.UrgencyNormal,
			"2026-02-14 23:59:59", "2026-02-27 23:59:59"},
		{"UrgentIsCalendarMinutesOnHoliday", "2026-10-01 23:50:00", ticketing.KindHelp, ticketing.UrgencyUrgent,
			"2026-10-02 00:05:00", "2026-10-02 23:50:00"},
		{"UtilitySignsIn30Minutes", "2026-05-02 08:00:00", ticketing.KindHelp, ticketing.UrgencyUtility,
			"2026-05-02 08:30:00", "2026-05-18 23:59:59"},
		{"CrossesNewYear", "2026-12-24 10:00:00", ticketing.KindHelp, ticketing.UrgencyNormal,
			"2026-12-25 23:59:59", "2027-01-07 23:59:59"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Compute(c, at(tc.from), tc.kind, tc.urgency)
			if got := d.SignDueAt.Format(time.DateTime); got != tc.sign {
				t.Errorf("sign due %s, want %s", got, tc.sign)
			}
			if got := d.DueAt.Format(time.DateTime); got != tc.due {
				t.Errorf("due %s, want %s", got, tc.due)
			}
		})
	}
}

func TestDeadline_CountsFromLocalDay(t *testing.T) {
	// 2026-09-30 17:00 UTC is already 2026-10-01 01:00 in Shanghai: the
	// dispatch day is the holiday, and the first working day is 10-08.
	d := ticketing.DefaultPolicies().Compute(cal2026(t), time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC),
		ticketing.KindConsultation, ticketing.UrgencyNormal)
	if got := d.DueAt.Format(time.DateTime); got != "2026-10-09 23:59:59" {
		t.Fatalf("due %s, want 2026-10-09 23:59:59", got)
	}
}

func TestPolicies_Validate(t *testing.T) {
	if err := ticketing.DefaultPolicies().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	p := ticketing.DefaultPolicies()
	p.Rules[0].Due = ticketing.Limit{WorkingDays: 2, Minutes: 5}
	if p.Validate() == nil {
		t.Error("a limit with both parts was accepted")
	}
	p = ticketing.DefaultPolicies()
	p.Rules = p.Rules[1:]
	if p.Validate() == nil {
		t.Error("policies missing a kind × urgency were accepted")
	}
}

func TestYear_Validate(t *testing.T) {
	y := ticketing.DefaultYear(2026)
	if err := y.Validate(); err != nil {
		t.Fatal(err)
	}
	y.Workdays = append(y.Workdays, ticketing.Date{Year: 2026, Month: 1, Day: 1})
	if y.Validate() == nil {
		t.Error("a day both holiday and workday was accepted")
	}
	if (ticketing.Year{Year: 2026, Holidays: []ticketing.Date{{Year: 2027, Month: 1, Day: 1}}}).Validate() == nil {
		t.Error("a date of another year was accepted")
	}
}
