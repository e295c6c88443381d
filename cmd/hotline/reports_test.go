package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/postgres/pgtest"
)

// The reports commands rebuild the aggregates and find a stored count
// that no longer matches the facts.
func TestRun_ReportsRebuildAndCheck(t *testing.T) {
	db := pgtest.NewDB(t)
	t.Setenv("HOTLINE_DATABASE_URL", db.Pool.Config().ConnString())
	t.Setenv("HOTLINE_LOG_LEVEL", "warn")
	ctx := context.Background()
	runCmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, strings.NewReader(""), &out, &out)
		return out.String(), err
	}
	if out, err := runCmd("seed", "--demo"); err != nil {
		t.Fatalf("seed: %v %s", err, out)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(loc)
	from, to := today.AddDate(-1, 0, 0).Format(time.DateOnly), today.Format(time.DateOnly)
	if out, err := runCmd("reports", "rebuild", "--from", from, "--to", to); err != nil || !strings.Contains(out, "recounted") {
		t.Fatalf("rebuild: %v %s", err, out)
	}
	if out, err := runCmd("reports", "check", "--from", from, "--to", to); err != nil || !strings.Contains(out, "equal a recount") {
		t.Fatalf("check after rebuild: %v %s", err, out)
	}

	// A stored past day (final: never recounted by itself) that drifted from the facts is found and repaired.
	tag, err := db.Pool.Exec(ctx, `UPDATE report_daily SET tickets_created = tickets_created + 1
		WHERE dim = '' AND day = (SELECT min(day) FROM report_daily WHERE dim = '' AND tickets_created > 0)`)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("tamper with a day: %v (%d rows); did the demo seed create no tickets?", err, tag.RowsAffected())
	}
	out, err := runCmd("reports", "check", "--from", from, "--to", to)
	if err == nil || !strings.Contains(out, `mismatch: total "": [tickets_created stored`) {
		t.Fatalf("check after tampering: %v %s", err, out)
	}
	if out, err := runCmd("reports", "rebuild", "--from", from, "--to", to); err != nil {
		t.Fatalf("rebuild: %v %s", err, out)
	}
	if out, err := runCmd("reports", "check", "--from", from, "--to", to); err != nil {
		t.Fatalf("check after the repair: %v %s", err, out)
	}

	for _, bad := range [][]string{{"reports"}, {"reports", "drop"}, {"reports", "check", "--from", to, "--to", from},
		{"reports", "rebuild", "--from", "2020-01-01", "--to", to}, {"reports", "check", "--to", "2026-13-01"}} {
		if out, err := runCmd(bad...); err == nil {
			t.Errorf("%v accepted: %s", bad, out)
		}
	}
}
