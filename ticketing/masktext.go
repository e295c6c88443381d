package ticketing

import "strings"

// MaskText masks the phone and resident ID numbers written inside free
// text (a reply, a note, the citizen's own words) the way MaskPhone and
// MaskIDNumber mask the citizen's fields: 13812341234 → 138****1234,
// 020-87654321 → 020-****4321, an ID number → 4401**********1234. Numbers
// may be spelled with spaces or dashes between their groups, full-width
// digits, and +86 or 0086 in front. Other numbers (dates, amounts, ticket
// numbers) are left alone: a number is masked only when its digits, with
// nothing but separators between them and no digit on either side, form
// one of those.
func MaskText(s string) string {
	if !strings.ContainsAny(s, "0123456789０１２３４５６７８９") {
		return s
	}
	r := []rune(s)
	changed := false
	for i := 0; i < len(r); {
		if !isDigit(r[i]) {
			i++
			continue
		}
		runs, end := numberGroup(r, i)
		if maskGroup(r, runs) {
			changed = true
		}
		i = end
	}
	if !changed {
		return s
	}
	return string(r)
}

// digitRun is the rune positions of one run of digits (and a final X).
type digitRun []int

func isDigit(c rune) bool { return c >= '0' && c <= '9' || c >= '０' && c <= '９' }

func isSeparator(c rune) bool { return c == ' ' || c == '-' || c == '　' || c == '－' }

// numberGroup reads the runs of digits from i that are joined by single
// separators, and returns them and the position after the group.
func numberGroup(r []rune, i int) ([]digitRun, int) {
	var runs []digitRun
	for {
		var run digitRun
		for i < len(r) && isDigit(r[i]) {
			run = append(run, i)
			i++
		}
		if len(run) == 17 && i < len(r) && (r[i] == 'X' || r[i] == 'x') {
			run = append(run, i) // the check character of an ID number
			i++
		}
		runs = append(runs, run)
		if i+1 < len(r) && isSeparator(r[i]) && isDigit(r[i+1]) {
			i++
			continue
		}
		return runs, i
	}
}

// maskGroup masks the group as one number if it is one, else each run
// that is one on its own.
func maskGroup(r []rune, runs []digitRun) bool {
	var all digitRun
	for _, run := range runs {
		all = append(all, run...)
	}
	if maskNumber(r, all) {
		return true
	}
	changed := false
	if len(runs) > 1 {
		for _, run := range runs {
			changed = maskNumber(r, run) || changed
		}
	}
	return changed
}

// maskNumber masks the digits at positions pos if they spell a mobile,
// a landline with its area code, or an ID number.
func maskNumber(r []rune, pos digitRun) bool {
	d := make([]byte, len(pos))
	for i, p := range pos {
		c := r[p]
		switch {
		case c >= '０' && c <= '９':
			c = c - '０' + '0'
		case c == 'x':
			c = 'X'
		}
		d[i] = byte(c)
	}
	n := len(d)
	mask := func(from, to int) bool {
		for _, p := range pos[from:to] {
			r[p] = '*'
		}
		return true
	}
	mobile := func(d []byte) bool { return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' }
	switch {
	case d[n-1] == 'X' || n == 18 && d[0] != '0':
		return n == 18 && mask(4, 14)
	case mobile(d):
		return mask(3, 7)
	case n == 13 && string(d[:2]) == "86" && mobile(d[2:]):
		return mask(5, 9)
	case n == 15 && string(d[:4]) == "0086" && mobile(d[4:]):
		return mask(7, 11)
	case n >= 10 && n <= 12 && d[0] == '0' && d[1] != '0':
		area := 4
		if d[1] == '1' || d[1] == '2' {
			area = 3
		}
		if local := n - area; local == 7 || local == 8 {
			return mask(area, n-4)
		}
	}
	return false
}

// MaskPayload returns a copy of an event's payload or a message's detail
// with MaskText applied to every text in it, for departments.
func MaskPayload(p map[string]any) map[string]any {
	if p == nil {
		return nil
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		out[k] = maskValue(v)
	}
	return out
}

func maskValue(v any) any {
	switch v := v.(type) {
	case string:
		return MaskText(v)
	case []string:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = MaskText(s)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = maskValue(x)
		}
		return out
	case map[string]any:
		return MaskPayload(v)
	}
	return v
}
