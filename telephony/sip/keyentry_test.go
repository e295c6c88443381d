package sip

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// enter feeds keys to an entry of at most maxDigits digits and returns
// the digits and the keys left when it completed (complete false when
// the keys ran out first).
func enter(maxDigits int, keys string) (digits, rest string, complete bool) {
	e := keyEntry{max: maxDigits}
	for i, k := range keys {
		if e.add(k) {
			return e.String(), keys[i+len(string(k)):], true
		}
	}
	return e.String(), "", false
}

func TestKeyEntry(t *testing.T) {
	for _, tc := range []struct {
		max          int
		keys         string
		digits, rest string
		complete     bool
	}{
		{20, "20261201000042#", "20261201000042", "", true},
		{20, "#", "", "", true},
		{20, "123", "123", "", false},  // a pause ends it: keyIn's timeout
		{20, "12*34#", "34", "", true}, // * starts again
		{20, "1A2B#", "12", "", true},  // A–D are no digits
		{20, strings.Repeat("1", 25), strings.Repeat("1", 20), "11111", true},
		{4, "56789", "5678", "9", true}, // the fourth digit ends the last four
		{4, "56#78", "56", "78", true},
		{4, "**5678", "5678", "", true},
	} {
		digits, rest, complete := enter(tc.max, tc.keys)
		if digits != tc.digits || rest != tc.rest || complete != tc.complete {
			t.Errorf("%d keys %q: %q, rest %q, complete %v; want %q, %q, %v",
				tc.max, tc.keys, digits, rest, complete, tc.digits, tc.rest, tc.complete)
		}
	}
}

// Whatever is keyed, an entry holds digits only and never more than its
// maximum, and # always completes it.
func FuzzKeyEntry(f *testing.F) {
	for _, s := range []string{"20261201000042#", "12*34#", "1A2B#", strings.Repeat("9", 30), "#", "*"} {
		f.Add(uint8(20), s)
	}
	f.Fuzz(func(t *testing.T, maxDigits uint8, keys string) {
		limit := int(maxDigits%24) + 1
		e := keyEntry{max: limit}
		for _, k := range keys {
			done := e.add(k)
			if got := e.String(); len(got) > limit || strings.Trim(got, "0123456789") != "" {
				t.Fatalf("entry %q of at most %d digits after %q", got, limit, keys)
			}
			if k == '#' && !done {
				t.Fatalf("# did not complete the entry after %q", keys)
			}
			if done {
				return
			}
		}
	})
}

func TestDateNames(t *testing.T) {
	for _, tc := range []struct {
		date time.Time
		want []string
	}{
		{time.Date(2026, 12, 3, 23, 59, 59, 0, time.UTC), []string{"digit_2", "digit_0", "digit_2", "digit_6", "date_year",
			"number_ten", "digit_2", "date_month", "digit_3", "date_day"}},
		{time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC), []string{"digit_2", "digit_0", "digit_2", "digit_7", "date_year",
			"digit_1", "date_month", "digit_2", "number_ten", "date_day"}},
		{time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), []string{"digit_2", "digit_0", "digit_2", "digit_6", "date_year",
			"number_ten", "date_month", "digit_3", "number_ten", "digit_1", "date_day"}},
	} {
		if got := dateNames(tc.date); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.date.Format(time.DateOnly), got, tc.want)
		}
	}
}
