package reports

import (
	"fmt"
	"slices"
)

// Mismatch is a grouping key whose stored aggregates differ from a
// recount of the facts.
type Mismatch struct {
	Dim    GroupBy
	Key    string
	Stored Counters
	Facts  Counters
}

func (m Mismatch) String() string {
	var diffs []string
	s, f := m.Stored.Fields(), m.Facts.Fields()
	for i, n := range CounterNames {
		if *s[i] != *f[i] {
			diffs = append(diffs, fmt.Sprintf("%s stored %d, facts %d", n, *s[i], *f[i]))
		}
	}
	return fmt.Sprintf("%s %q: %v", dimName(m.Dim), m.Key, diffs)
}

func dimName(d GroupBy) string {
	if d == ByTotal {
		return "total"
	}
	return string(d)
}

// Compare lists every key of every stored grouping (Dims) whose stored
// sums differ from the facts' count; a key missing on one side counts
// as all zero there.
func Compare(stored, facts map[GroupBy]map[string]Counters) []Mismatch {
	var out []Mismatch
	for _, d := range Dims {
		keys := map[string]bool{}
		for k := range stored[d] {
			keys[k] = true
		}
		for k := range facts[d] {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			if s, f := stored[d][k], facts[d][k]; s != f {
				out = append(out, Mismatch{Dim: d, Key: k, Stored: s, Facts: f})
			}
		}
	}
	return out
}
