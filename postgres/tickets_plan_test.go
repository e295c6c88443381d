package postgres_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

// A list by phone walks the phone index even in a generic plan: the one
// PostgreSQL may choose for a statement pgx keeps prepared, planned
// without the phone's value, which alone cannot tell that the phone is
// not empty, the condition of the partial index.
func TestTicketStore_PhoneFilterUsesItsIndexInGenericPlans(t *testing.T) {
	ctx := t.Context()
	db := pgtest.NewDB(t)
	_, err := db.Pool.Exec(ctx, `INSERT INTO tickets (id, number, kind, channel, status, urgency, title, content,
			citizen_phone, created_at, updated_at, version)
		SELECT g, '20260930' || lpad(g::text, 6, '0'), 'help', 'phone', 'accepted', 'normal', 't', 'c',
			CASE WHEN g % 5 = 0 THEN '' ELSE '138' || lpad((g % 5000)::text, 8, '0') END, now(), now(), 1
		FROM generate_series(1, 20000) g`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `ANALYZE tickets`); err != nil {
		t.Fatal(err)
	}
	// One connection, so that the statement the store prepares is there to explain.
	u, err := url.Parse(db.Pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "1")
	u.RawQuery = q.Encode()
	one, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	ts, err := postgres.NewTicketStore(one).Tickets(ctx, ticketing.TicketFilter{Phone: "13800000001", Limit: 51})
	if err != nil || len(ts) != 4 {
		t.Fatalf("tickets of 13800000001: %d, %v; want 4", len(ts), err)
	}
	var name string
	err = one.Pool.QueryRow(ctx, `SELECT name FROM pg_prepared_statements
		WHERE statement LIKE 'SELECT id, number%' AND statement LIKE '%citizen_phone%'`).Scan(&name)
	if err != nil {
		t.Fatalf("the list's prepared statement: %v", err)
	}
	if _, err := one.Pool.Exec(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	rows, err := one.Pool.Query(ctx, `EXPLAIN (COSTS OFF) EXECUTE `+pgx.Identifier{name}.Sanitize()+`('13800000001', 51)`)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if plan := strings.Join(lines, "\n"); !strings.Contains(plan, "tickets_citizen_phone") {
		t.Fatalf("the generic plan of a list by phone does not use tickets_citizen_phone:\n%s", plan)
	}
}
