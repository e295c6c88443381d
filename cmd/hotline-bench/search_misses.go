package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/open12345/hotline/demo"
)

// printMisses runs the quality suite through search and lists to w the
// cases that fall short: "miss" when none of the wanted guides is among
// the first three matters, "partial" when some of the first wanted three
// are not, with what came instead.
func printMisses(ctx context.Context, w io.Writer, what string, search searchFunc) error {
	var lines []string
	misses, partial := 0, 0
	cases := demo.QualityCases()
	for _, qc := range cases {
		codes, err := search(ctx, qc)
		if err != nil {
			return fmt.Errorf("query %q: %w", qc.Query, err)
		}
		got := matters(codes)
		got = got[:min(3, len(got))]
		found := 0
		for _, c := range got {
			if slices.Contains(qc.Want, c) {
				found++
			}
		}
		if found == min(3, len(qc.Want)) {
			continue
		}
		kind := "partial"
		if found == 0 {
			kind, misses = "miss", misses+1
		} else {
			partial++
		}
		query := fmt.Sprintf("%q", qc.Query)
		if qc.Department != "" {
			query += " in " + qc.Department
		}
		lines = append(lines, fmt.Sprintf("  %-7s %-12s %s → %s (want %s)", kind, qc.Kind, query,
			strings.Join(got, ","), strings.Join(qc.Want[:min(3, len(qc.Want))], ",")))
	}
	fmt.Fprintf(w, "search quality, %s: %d misses, %d partial of %d queries\n", what, misses, partial, len(cases))
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return nil
}
