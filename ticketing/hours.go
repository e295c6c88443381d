package ticketing

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ServiceHours are when people answer (人工服务时间): one daily window on
// working days and one on rest days (weekends and holidays, as the
// calendar has them, adjusted working days included). The zero value is
// always open: a 7×24 line.
type ServiceHours struct {
	Working, Rest Window
	limited       bool // false: always open
}

// Window is a daily span of local time [From, To), as offsets from
// midnight; the zero Window is closed all day.
type Window struct {
	From, To time.Duration
}

func (w Window) closed() bool { return w.From >= w.To }

func (w Window) has(t time.Time) bool {
	y, m, d := t.Date()
	since := t.Sub(time.Date(y, m, d, 0, 0, 0, 0, t.Location()))
	return since >= w.From && since < w.To
}

func (w Window) String() string {
	if w.closed() {
		return "closed"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", int(w.From.Hours()), int(w.From.Minutes())%60, int(w.To.Hours()), int(w.To.Minutes())%60)
}

// AlwaysOpen is a 7×24 line.
var AlwaysOpen = ServiceHours{}

// ParseServiceHours reads service hours: "24x7" (or empty), one window
// for every day ("08:00-20:00"), or one for working days and one for
// rest days ("08:30-17:30,09:00-12:00"; "closed" for none).
func ParseServiceHours(s string) (ServiceHours, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "24x7") {
		return AlwaysOpen, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return ServiceHours{}, fmt.Errorf("service hours %q: at most two windows (working days, rest days)", s)
	}
	var ws []Window
	for _, p := range parts {
		w, err := parseWindow(strings.TrimSpace(p))
		if err != nil {
			return ServiceHours{}, fmt.Errorf("service hours %q: %w", s, err)
		}
		ws = append(ws, w)
	}
	h := ServiceHours{Working: ws[0], Rest: ws[0], limited: true}
	if len(ws) == 2 {
		h.Rest = ws[1]
	}
	return h, nil
}

func parseWindow(s string) (Window, error) {
	if strings.EqualFold(s, "closed") {
		return Window{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, fmt.Errorf("%q is not a window such as 08:30-17:30 or closed", s)
	}
	f, err := clockTime(from)
	if err != nil {
		return Window{}, err
	}
	t, err := clockTime(to)
	if err != nil {
		return Window{}, err
	}
	if f >= t {
		return Window{}, fmt.Errorf("window %q ends before it starts", s)
	}
	return Window{From: f, To: t}, nil
}

// clockTime reads "HH:MM" (00:00 to 24:00) as the offset from midnight.
func clockTime(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err == nil {
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
	}
	if strings.TrimSpace(s) == "24:00" {
		return 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("%q is not a time of day such as 08:30", s)
}

// String gives the hours in the form ParseServiceHours reads.
func (h ServiceHours) String() string {
	switch {
	case !h.limited:
		return "24x7"
	case h.Working == h.Rest:
		return h.Working.String()
	}
	return h.Working.String() + "," + h.Rest.String()
}

// Open reports whether t falls in the service hours, the calendar saying
// which days are working days.
func (h ServiceHours) Open(cal *Calendar, t time.Time) bool {
	if !h.limited {
		return true
	}
	t = t.In(cal.Location())
	if cal.IsWorkingDay(DateOf(t)) {
		return h.Working.has(t)
	}
	return h.Rest.has(t)
}

// Describe says the hours to citizens, in Chinese.
func (h ServiceHours) Describe() string {
	say := func(w Window) string {
		if w.closed() {
			return "休息"
		}
		return strings.Replace(w.String(), "-", "—", 1)
	}
	switch {
	case !h.limited:
		return "人工服务时间：7×24 小时"
	case h.Working.closed() && h.Rest.closed():
		return "人工服务暂停"
	case h.Working == h.Rest:
		return "人工服务时间：每天 " + say(h.Working)
	}
	return "人工服务时间：工作日 " + say(h.Working) + "，节假日及周末 " + say(h.Rest)
}

// Schedule is service hours on the hotline's calendar, as the stored
// calendar years (adjusted working days included) have it.
type Schedule struct {
	svc   *Service
	hours ServiceHours
}

// Schedule returns the hours h on the service's calendar.
func (s *Service) Schedule(h ServiceHours) Schedule { return Schedule{svc: s, hours: h} }

// OpenAt reports whether t falls in the hours.
func (sc Schedule) OpenAt(ctx context.Context, t time.Time) (bool, error) {
	if !sc.hours.limited {
		return true, nil
	}
	cal, err := sc.svc.calendarAround(ctx, t.In(sc.svc.loc).Year())
	if err != nil {
		return false, err
	}
	return sc.hours.Open(cal, t), nil
}

// Describe says the hours to citizens.
func (sc Schedule) Describe() string { return sc.hours.Describe() }
