// Package demo loads realistic demo data for `hotline seed --demo`: the
// departments of a large city and their district units, the 2026 working-day
// calendar, a dispatch catalogue, demo accounts, and a month of sample
// tickets driven through the real workflow so that their histories are real.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// DefaultTickets is how many sample tickets Seed creates unless told otherwise.
const DefaultTickets = 300

// Options of Seed.
type Options struct {
	Password string    // password of every demo account (8-256 characters)
	Tickets  int       // sample tickets to create when none exist (0: DefaultTickets; negative: none)
	Now      time.Time // the newest sample ticket is created shortly before Now (zero: the current time)
}

// Summary tells what Seed did.
type Summary struct {
	Departments int // departments saved (created or updated)
	Users       int // demo accounts created; existing ones are left alone
	Tickets     int // sample tickets created; 0 when the store already had tickets
	Guides      int // matter guides created or updated; unchanged ones are left alone
}

// Seed loads the demo data; it is idempotent: departments and calendar are
// upserted, the catalogue replaced, users created only if missing, sample
// tickets only when the store has none. Sample tickets are created and
// handled through ticketing.Service on a simulated clock, so every status
// change has its history event; the messages the steps write to the
// outbox are settled without sending anything (dispatch.Settle), each at
// the time of its step: SMS are recorded as not sent, for ReasonDemo.
// Errors: invalid (options), and whatever the stores return.
func Seed(ctx context.Context, store ticketing.Store, outbox dispatch.Store, users *auth.Service, guides *knowledge.Service, loc *time.Location, log *slog.Logger, opt Options) (Summary, error) {
	var sum Summary
	if loc == nil {
		return sum, errs.E(errs.Invalid, "seed: no time zone")
	}
	if len(opt.Password) < 8 || len(opt.Password) > 256 {
		return sum, errs.E(errs.Invalid, "seed: the demo password must be 8-256 characters")
	}
	if opt.Tickets == 0 {
		opt.Tickets = DefaultTickets
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	opt.Now = opt.Now.In(loc)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	depts := Departments()
	if err := seedDepartments(ctx, store, depts, opt.Now.AddDate(0, 0, -90)); err != nil {
		return sum, err
	}
	sum.Departments = len(depts)
	if err := store.SaveCalendarYear(ctx, ticketing.DefaultYear(2026)); err != nil {
		return sum, fmt.Errorf("seed calendar 2026: %w", err)
	}
	err := seedCatalogue(ctx, store)
	if err != nil {
		return sum, err
	}
	if sum.Guides, err = seedGuides(ctx, guides); err != nil {
		return sum, err
	}
	n, err := seedUsers(ctx, users, depts, opt.Password)
	sum.Users = n
	if err != nil {
		return sum, err
	}
	if sum.Tickets, err = seedTickets(ctx, store, outbox, users, loc, log, opt); err != nil {
		return sum, err
	}
	log.DebugContext(ctx, "demo data loaded", "departments", sum.Departments, "users_created", sum.Users,
		"tickets_created", sum.Tickets, "guides_saved", sum.Guides)
	return sum, nil
}

// seedGuides loads the demo matter guides; guides already as in the
// files are left alone, so a second seed changes nothing.
func seedGuides(ctx context.Context, svc *knowledge.Service) (int, error) {
	gs, err := Guides()
	if err != nil {
		return 0, err
	}
	res, err := svc.Load(ctx, "seed", gs)
	if err != nil {
		return 0, fmt.Errorf("seed guides: %w", err)
	}
	return res.Created + res.Updated, nil
}

// seedDepartments upserts the demo departments, parents first. A webhook
// an administrator has configured is kept.
func seedDepartments(ctx context.Context, store ticketing.Store, depts []ticketing.Department, created time.Time) error {
	existing, err := store.Departments(ctx)
	if err != nil {
		return fmt.Errorf("seed departments: %w", err)
	}
	webhooks := map[string]string{}
	for _, d := range existing {
		webhooks[d.Code] = d.WebhookURL
	}
	for _, d := range depts {
		d.CreatedAt = created
		d.WebhookURL = webhooks[d.Code] // an empty secret keeps the stored one
		if d, err = d.Normalize(); err != nil {
			return fmt.Errorf("seed department %s: %w", d.Code, err)
		}
		if err := store.SaveDepartment(ctx, d); err != nil {
			return fmt.Errorf("seed department %s: %w", d.Code, err)
		}
	}
	return nil
}

// seedCatalogue replaces the dispatch catalogue with the demo one, after
// checking it against the stored departments.
func seedCatalogue(ctx context.Context, store ticketing.Store) error {
	depts, err := store.Departments(ctx)
	if err != nil {
		return fmt.Errorf("seed catalogue: %w", err)
	}
	known := map[string]bool{}
	for _, d := range depts {
		known[d.Code] = true
	}
	c := Catalogue()
	if err := c.Validate(func(code string) bool { return known[code] }); err != nil {
		return fmt.Errorf("seed catalogue: %w", err)
	}
	if err := store.SaveCatalogue(ctx, c); err != nil {
		return fmt.Errorf("seed catalogue: %w", err)
	}
	return nil
}

// agentNames are the display names of agent1…agent5.
var agentNames = [...]string{"话务员一号", "话务员二号", "话务员三号", "话务员四号", "话务员五号"}

// Accounts returns the demo accounts, without passwords: admin,
// supervisor, agent1…agent5, and dept-<code> for each department.
func Accounts(depts []ticketing.Department) []auth.NewUser {
	out := []auth.NewUser{
		{Username: "admin", DisplayName: "系统管理员", Role: auth.RoleAdmin},
		{Username: "supervisor", DisplayName: "值班长", Role: auth.RoleSupervisor},
	}
	for i, name := range agentNames {
		out = append(out, auth.NewUser{Username: fmt.Sprintf("agent%d", i+1), DisplayName: name, Role: auth.RoleAgent})
	}
	for _, d := range depts {
		out = append(out, auth.NewUser{Username: deptUsername(d.Code), DisplayName: d.Name,
			Role: auth.RoleDepartment, Department: d.Code})
	}
	return out
}

func deptUsername(code string) string { return "dept-" + code }

// seedUsers creates the demo accounts that do not exist yet and returns
// how many it created.
func seedUsers(ctx context.Context, users *auth.Service, depts []ticketing.Department, password string) (int, error) {
	created := 0
	for _, n := range Accounts(depts) {
		n.Password = password
		_, err := users.AddUser(ctx, n)
		switch {
		case errs.Is(err, errs.Conflict):
			// The account exists: leave it, and its password, alone.
		case err != nil:
			return created, fmt.Errorf("seed user %s: %w", n.Username, err)
		default:
			created++
		}
	}
	return created, nil
}

// quiet passes on warnings and errors only, so that the thousands of
// simulated ticket actions do not flood the log.
type quiet struct{ slog.Handler }

// Enabled reports whether the level is at least a warning and the wrapped handler takes it.
func (q quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}

// WithAttrs returns a quiet handler with the attributes added.
func (q quiet) WithAttrs(as []slog.Attr) slog.Handler { return quiet{q.Handler.WithAttrs(as)} }

// WithGroup returns a quiet handler opening the group.
func (q quiet) WithGroup(name string) slog.Handler { return quiet{q.Handler.WithGroup(name)} }
