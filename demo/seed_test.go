package demo_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

const password = "demo-password-1"

// shanghai is Asia/Shanghai without depending on the zone database: China
// keeps UTC+8 all year.
var shanghai = time.FixedZone("CST", 8*60*60)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	store := postgres.NewTicketStore(db)
	logger := slog.New(slog.DiscardHandler)
	users, err := auth.NewService(postgres.NewUserStore(db), postgres.NewQuotaStore(db), clock.System{}, auth.FastHasher(), logger)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 18, 10, 30, 0, 0, shanghai)
	opt := demo.Options{Password: password, Tickets: 240, Now: now}
	guides := knowledge.NewService(postgres.NewGuideStore(db), nil, knowledge.NewAnalyzer(nil), clock.NewFake(now), shanghai, logger, nil)

	outbox := postgres.NewDispatchStore(db)
	first, err := demo.Seed(ctx, store, outbox, users, guides, shanghai, logger, opt)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if first.Departments < 20 || first.Tickets != 240 || first.Users != 7+first.Departments || first.Guides < 200 {
		t.Errorf("first Seed = %+v, want ≥20 departments, 240 tickets, 7 users + one per department, ≥200 guides", first)
	}
	depts := checkDepartments(t, store)
	checkCatalogue(t, store, depts)
	checkUsers(t, users, depts)
	counts := checkTickets(t, store, now, 200)
	checkNotifications(t, db, store)

	second, err := demo.Seed(ctx, store, outbox, users, guides, shanghai, logger, opt)
	if err != nil {
		t.Fatalf("second Seed: %v", err)
	}
	if second.Users != 0 || second.Tickets != 0 || second.Guides != 0 || second.Departments != first.Departments {
		t.Errorf("second Seed = %+v, want no users, tickets or guides saved and the same departments", second)
	}
	if again := checkDepartments(t, store); len(again) != len(depts) {
		t.Errorf("departments after a second Seed: %d, want %d", len(again), len(depts))
	}
	checkUsers(t, users, depts)
	if again, err := store.CountByStatus(ctx); err != nil || !equalCounts(again, counts) {
		t.Errorf("tickets after a second Seed: %v (err %v), want %v", again, err, counts)
	}

	_, u, err := users.Login(ctx, "dept-rsj", password, "127.0.0.1")
	if err != nil {
		t.Fatalf("login as dept-rsj: %v", err)
	}
	if u.Role != auth.RoleDepartment || u.Department != "rsj" {
		t.Errorf("dept-rsj is %s of %q, want a department user of rsj", u.Role, u.Department)
	}
}

func checkDepartments(t *testing.T, store *postgres.TicketStore) []ticketing.Department {
	t.Helper()
	depts, err := store.Departments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(depts) < 20 || len(depts) != len(demo.Departments()) {
		t.Errorf("%d departments stored, want %d (at least 20)", len(depts), len(demo.Departments()))
	}
	return depts
}

func checkCatalogue(t *testing.T, store *postgres.TicketStore, depts []ticketing.Department) {
	t.Helper()
	c, err := store.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	known := func(code string) bool {
		return slices.ContainsFunc(depts, func(d ticketing.Department) bool { return d.Code == code })
	}
	if err := c.Validate(known); err != nil {
		t.Errorf("stored catalogue: %v", err)
	}
	if len(c.Categories) != len(demo.Catalogue().Categories) {
		t.Errorf("stored catalogue has %d categories, want %d", len(c.Categories), len(demo.Catalogue().Categories))
	}
}

func checkUsers(t *testing.T, users *auth.Service, depts []ticketing.Department) {
	t.Helper()
	all, err := users.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, u := range all {
		names[u.Username] = true
	}
	want := []string{"admin", "supervisor", "agent1", "agent2", "agent3", "agent4", "agent5", "dept-rsj"}
	for _, d := range depts {
		want = append(want, "dept-"+d.Code)
	}
	for _, w := range want {
		if !names[w] {
			t.Errorf("user %s is missing", w)
		}
	}
	if len(all) != 7+len(depts) {
		t.Errorf("%d users, want %d", len(all), 7+len(depts))
	}
}

// checkTickets checks that at least atLeast tickets exist in every status and
// that each one's history is real: in time order, never after now, and
// ending in the ticket's status.
func checkTickets(t *testing.T, store *postgres.TicketStore, now time.Time, atLeast int) map[ticketing.Status]int {
	t.Helper()
	ctx := context.Background()
	counts, err := store.CountByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range ticketing.Statuses {
		t.Logf("%-12s %d", s, counts[s])
		total += counts[s]
		if counts[s] == 0 {
			t.Errorf("no ticket is %s", s)
		}
	}
	if total < atLeast {
		t.Errorf("%d tickets, want at least %d", total, atLeast)
	}
	tickets, err := store.Tickets(ctx, ticketing.TicketFilter{Limit: total + 1})
	if err != nil {
		t.Fatal(err)
	}
	direct := 0
	for _, tk := range tickets {
		events, err := store.Events(ctx, tk.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 || events[0].Action != "create" || events[len(events)-1].To != tk.Status {
			t.Errorf("ticket %s (%s): history does not lead from create to its status", tk.Number, tk.Status)
			continue
		}
		for i, ev := range events {
			if ev.At.After(now) || (i > 0 && ev.At.Before(events[i-1].At)) {
				t.Errorf("ticket %s: event %d (%s) at %s is out of order", tk.Number, i, ev.Action, ev.At)
			}
			if ev.Action == string(ticketing.ActionCloseDirectly) {
				direct++
			}
		}
	}
	if share := float64(direct) / float64(total); share < 0.3 || share > 0.6 {
		t.Errorf("%.0f%% of tickets closed directly, want about 45%%", share*100)
	}
	if newest := tickets[0].CreatedAt; newest.After(now) || now.Sub(newest) > time.Hour {
		t.Errorf("newest ticket created at %s, want shortly before %s", newest, now)
	}
	return counts
}

func equalCounts(a, b map[ticketing.Status]int) bool {
	for _, s := range ticketing.Statuses {
		if a[s] != b[s] {
			return false
		}
	}
	return true
}

// checkNotifications checks that the sample tickets left nothing to send,
// and that each recorded ticket with a phone has its receipt SMS right
// after the recording, at the same time, recorded as not sent because the
// ticket is demo data; and that no SMS of theirs claims to have been sent.
func checkNotifications(t *testing.T, db *postgres.DB, store *postgres.TicketStore) {
	t.Helper()
	ctx := context.Background()
	var waiting int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE done_at IS NULL`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	if waiting != 0 {
		t.Errorf("%d outbox messages of the sample tickets wait to be sent; want none (they are history)", waiting)
	}
	tickets, err := store.Tickets(ctx, ticketing.TicketFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	receipts := 0
	for _, tk := range tickets {
		events, err := store.Events(ctx, tk.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range events {
			if ev.Action != "notify" {
				continue
			}
			if ev.Payload["state"] != "not_sent" || ev.Payload["reason"] != demo.ReasonDemo {
				t.Errorf("ticket %s: SMS %v, want not_sent for %q", tk.Number, ev.Payload, demo.ReasonDemo)
			}
			if ev.Payload["template"] == ticketing.TemplateAccepted {
				receipts++
				if i != 1 || !ev.At.Equal(events[0].At) {
					t.Errorf("ticket %s: receipt SMS is event %d at %s, want event 1 at %s (the recording)", tk.Number, i, ev.At, events[0].At)
				}
			}
		}
		if tk.Citizen.Phone != "" && (len(events) < 2 || events[1].Action != "notify") {
			t.Errorf("ticket %s has a phone but no receipt SMS after its recording", tk.Number)
		}
	}
	if receipts == 0 {
		t.Error("no sample ticket has a receipt SMS")
	}
}
