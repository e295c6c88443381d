package ticketing

import "strings"

// MaskText masks the phone and resident ID numbers written inside free
// text (a reply, a note, the citizen's own words) the way MaskPhone and
// MaskIDNumber mask the citizen's fields: 13812341234 → 138****1234,
// 020-87654321 → 020-****4321, an ID number → 4401**********1234. Numbers
// may be spelled in groups (spaces, dashes, dots, parentheses between
// them), with full-width digits, and with +86 or 0086 in front. Other
// numbers (dates, amounts, ticket numbers) are left alone: digits are
// masked only when some consecutive groups of them, with no digit on
// either side, spell one of those numbers.
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

// digitRun is the rune positions of one run of digits (and a final X, the
// check character an ID number may end with).
type digitRun []int

func isDigit(c rune) bool { return c >= '0' && c <= '9' || c >= '０' && c <= '９' }

// isJoiner reports whether c may stand between the groups of one number:
// 138 1234 5678, 138-1234-5678, 138.1234.5678, (020)8765 4321.
func isJoiner(c rune) bool {
	switch c {
	case ' ', '　', '-', '－', '—', '–', '.', '．', '·', '(', ')', '（', '）':
		return true
	}
	return false
}

// maxJoiner bounds the characters between two groups (" - ").
const maxJoiner = 3

// numberGroup reads the runs of digits from i that are joined by short
// runs of joiners, and returns them and the position after the group.
func numberGroup(r []rune, i int) ([]digitRun, int) {
	var runs []digitRun
	for {
		var run digitRun
		for i < len(r) && isDigit(r[i]) {
			run = append(run, i)
			i++
		}
		if i < len(r) && (r[i] == 'X' || r[i] == 'x') && (i+1 == len(r) || !isLetter(r[i+1])) {
			run = append(run, i)
			i++
		}
		runs = append(runs, run)
		j := i
		for j < len(r) && j-i < maxJoiner && isJoiner(r[j]) {
			j++
		}
		if j == i || j >= len(r) || !isDigit(r[j]) || run[len(run)-1] != i-1 || !isDigit(r[i-1]) {
			return runs, i
		}
		i = j
	}
}

func isLetter(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// maxRunsInNumber bounds how many groups one number is spelled in (a
// mobile read out digit by digit has eleven).
const maxRunsInNumber = 11

// maskGroup masks, from left to right, the longest consecutive runs of the
// group that spell a number, and reports whether it masked anything.
func maskGroup(r []rune, runs []digitRun) bool {
	changed := false
	for i := 0; i < len(runs); {
		matched := false
		for j := min(len(runs), i+maxRunsInNumber); j > i; j-- {
			var pos digitRun
			for _, run := range runs[i:j] {
				pos = append(pos, run...)
			}
			if len(pos) <= 19 && maskNumber(r, pos) {
				changed, matched, i = true, true, j
				break
			}
		}
		if !matched {
			i++
		}
	}
	return changed
}

// maskNumber masks the digits at positions pos if they spell a mobile,
// a landline with its area code, or an ID number, with or without the
// country code.
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
	if x := strings.IndexByte(string(d), 'X'); x >= 0 && (x != len(d)-1 || len(d) != 18) {
		return false // an X ends an ID number and nothing else
	}
	mask := func(from, to int) bool {
		for _, p := range pos[from:to] {
			r[p] = '*'
		}
		return true
	}
	if len(d) == 18 && d[0] != '0' {
		return mask(4, 14)
	}
	for _, cc := range []string{"", "86", "0086"} {
		if !strings.HasPrefix(string(d), cc) {
			continue
		}
		rest := d[len(cc):]
		if isMobile(rest) {
			return mask(len(cc)+3, len(cc)+7)
		}
		if cc != "" && len(rest) > 0 && rest[0] != '0' {
			rest = append([]byte{'0'}, rest...) // +86 20 …: the trunk 0 is dropped after the country code
		}
		if area, ok := landline(rest); ok {
			off := len(d) - len(rest)
			return mask(off+area, len(d)-4)
		}
	}
	return false
}

func isMobile(d []byte) bool { return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' }

// landline reports whether d is an area code and a 7- or 8-digit number,
// and the area code's length: 010 and 02x have three digits, the others
// (03xx … 09xx) four.
func landline(d []byte) (int, bool) {
	if len(d) < 10 || len(d) > 12 || d[0] != '0' {
		return 0, false
	}
	area := 4
	switch {
	case d[1] == '1' && d[2] == '0', d[1] == '2':
		area = 3
	case d[1] < '3':
		return 0, false
	}
	local := len(d) - area
	return area, local == 7 || local == 8
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
