package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/reports"
)

// reportRange is the --from and --to of the reports commands.
type reportRange struct{ from, to string }

func (r *reportRange) bind(fs *flag.FlagSet) {
	fs.StringVar(&r.from, "from", "", "first local day YYYY-MM-DD (default: the first of to's month)")
	fs.StringVar(&r.to, "to", "", "last local day YYYY-MM-DD (default: today)")
}

// withReports opens the reports' store and reads the period.
func (c *command) withReports(ctx context.Context, fn func(*postgres.ReportStore, reports.Period, time.Time) error) error {
	now := time.Now().In(c.cfg.TZ)
	p, err := reports.ParsePeriod(c.reports.from, c.reports.to, now)
	if err != nil {
		return err
	}
	db, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	store, err := postgres.NewReportStore(ctx, db, c.cfg.TZ)
	if err != nil {
		return err
	}
	return fn(store, p, now)
}

// rebuildReports recounts every day of the period from the facts.
func (c *command) rebuildReports(ctx context.Context) error {
	return c.withReports(ctx, func(store *postgres.ReportStore, p reports.Period, now time.Time) error {
		start := time.Now()
		if err := store.Rebuild(ctx, p, now); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "reports: recounted %d days %s–%s in %s\n", p.Days(), reports.Day(p.From), reports.Day(p.To),
			time.Since(start).Round(time.Millisecond))
		return nil
	})
}

// checkReports compares the stored aggregates with a recount of the
// facts; any difference is an error listing them.
func (c *command) checkReports(ctx context.Context) error {
	return c.withReports(ctx, func(store *postgres.ReportStore, p reports.Period, now time.Time) error {
		bad, err := store.Check(ctx, p, now)
		if err != nil {
			return err
		}
		for _, m := range bad {
			fmt.Fprintln(c.stdout, "mismatch:", m)
		}
		if len(bad) > 0 {
			return fmt.Errorf("reports: %d grouping keys differ from the facts %s–%s: run hotline reports rebuild",
				len(bad), reports.Day(p.From), reports.Day(p.To))
		}
		fmt.Fprintf(c.stdout, "reports: the aggregates of %s–%s equal a recount of the facts\n", reports.Day(p.From), reports.Day(p.To))
		return nil
	})
}
