package ticketing_test

import (
	"testing"
	"time"

	"github.com/open12345/hotline/ticketing"
)

func TestServiceHours_OpenOnTheCalendar(t *testing.T) {
	cal := cal2026(t)
	loc := shanghai(t)
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, loc) }
	split, err := ticketing.ParseServiceHours("08:30-17:30,09:00-12:00")
	if err != nil {
		t.Fatal(err)
	}
	daily, err := ticketing.ParseServiceHours("08:00-20:00")
	if err != nil {
		t.Fatal(err)
	}
	weekdaysOnly, err := ticketing.ParseServiceHours("08:30-17:30,closed")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		hours ticketing.ServiceHours
		at    time.Time
		open  bool
	}{
		{"a Wednesday morning", split, at(time.December, 2, 9, 0), true},
		{"a Wednesday at the closing minute", split, at(time.December, 2, 17, 30), false},
		{"a Wednesday just before it opens", split, at(time.December, 2, 8, 29), false},
		{"a Saturday morning: rest-day hours", split, at(time.December, 5, 10, 0), true},
		{"a Saturday afternoon", split, at(time.December, 5, 14, 0), false},
		{"National Day, a Thursday: a holiday", split, at(time.October, 1, 14, 0), false},
		{"an adjusted working Saturday (10 October)", split, at(time.October, 10, 14, 0), true},
		{"the same hours every day, on a holiday", daily, at(time.October, 1, 19, 59), true},
		{"every day, at night", daily, at(time.October, 1, 20, 0), false},
		{"closed on rest days, Spring Festival", weekdaysOnly, at(time.February, 17, 10, 0), false},
		{"7×24 at three in the morning", ticketing.AlwaysOpen, at(time.February, 17, 3, 0), true},
		{"in UTC, 01:00 is 09:00 in Shanghai", split, time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC), true},
	} {
		if got := c.hours.Open(cal, c.at); got != c.open {
			t.Errorf("%s (%s): open %v, want %v", c.name, c.hours, got, c.open)
		}
	}
}

func TestParseServiceHours(t *testing.T) {
	for in, want := range map[string]string{
		"": "24x7", "24X7": "24x7", "08:00-20:00": "08:00-20:00", " 08:30-17:30 , 09:00-12:00 ": "08:30-17:30,09:00-12:00",
		"08:30-17:30,closed": "08:30-17:30,closed", "00:00-24:00": "00:00-24:00",
	} {
		h, err := ticketing.ParseServiceHours(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if h.String() != want {
			t.Errorf("%q reads as %q, want %q", in, h.String(), want)
		}
	}
	for _, bad := range []string{"8-20", "20:00-08:00", "08:00-08:00", "08:00-20:00,09:00-12:00,10:00-11:00", "25:00-26:00",
		"08:00", "always", "08:00-20:00;09:00-12:00", "08:60-09:00"} {
		if _, err := ticketing.ParseServiceHours(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if d := mustHours(t, "08:30-17:30,closed").Describe(); d != "人工服务时间：工作日 08:30—17:30，节假日及周末 休息" {
		t.Errorf("described as %q", d)
	}
	if d := mustHours(t, "08:00-20:00").Describe(); d != "人工服务时间：每天 08:00—20:00" {
		t.Errorf("described as %q", d)
	}
}

func mustHours(t *testing.T, s string) ticketing.ServiceHours {
	t.Helper()
	h, err := ticketing.ParseServiceHours(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
