package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// ReasonDemo is why the sample tickets' SMS were not sent, as their
// history shows it.
const ReasonDemo = "演示数据"

// The fixed seed of the sample tickets: the same options give the same data.
const (
	ticketSeed   = 12345
	residentSeed = 20260101
)

// outcome is where the story of a sample ticket ends.
type outcome int

const (
	outAccepted     outcome = iota // recorded, not yet dispatched
	outDirect                      // answered and closed by the agent
	outRejected                    // not accepted
	outMerged                      // a duplicate of an earlier ticket
	outDispatched                  // waiting for the department to sign
	outReturned                    // sent back by the department
	outSigned                      // being handled
	outUrged                       // being handled, urged by the supervisor
	outExtPending                  // being handled, an extension requested
	outExtApproved                 // being handled, an extension granted
	outReplied                     // answered, waiting for the callback
	outClosed                      // called back satisfied and closed
	outReopened                    // called back unsatisfied and reopened
	outReopenClosed                // reopened, handled again, then closed
)

// sim drives the sample tickets through the workflow on a simulated clock.
// Each ticket is a play: a list of steps, each run when the clock reaches
// its time. The next step of a play is scheduled when the previous one is
// done, since its time may depend on the ticket's deadlines; the clock
// always moves forward, and nothing is done after now.
type sim struct {
	svc        *ticketing.Service
	store      ticketing.Store
	outbox     dispatch.Store
	clk        *clock.Fake
	rng        *rand.Rand
	cal        *ticketing.Calendar
	now        time.Time
	catalogue  ticketing.Catalogue
	depts      map[string]ticketing.Department
	deptList   []ticketing.Department
	agents     []auth.Actor
	supervisor auth.Actor
	deptActors map[string]auth.Actor
	plays      []*play
	created    int // tickets created so far
}

// play is one sample ticket and what is still to happen to it.
type play struct {
	tpl          Template
	res          Resident
	out          outcome
	agent        auth.Actor // records and dispatches the ticket
	caller       auth.Actor // calls the citizen back
	created      time.Time
	into         *play    // the ticket a duplicate is merged into
	suggest      []string // departments ranked by the catalogue
	redirect     string   // where the ticket goes after a return
	returnReason string
	retry        bool // returned once, then dispatched elsewhere
	urge         bool // urged while being handled
	extension    bool // an extension is requested while being handled
	deny         bool // and denied
	channel      ticketing.Channel
	confident    bool

	t     *ticketing.Ticket // the ticket as last seen; nil before creation
	at    time.Time         // when the next step runs
	steps []step
}

// step is one action of a play: when computes its time from the play's
// state after the previous step; do takes the action.
type step struct {
	when func(p *play) time.Time
	do   func(ctx context.Context, p *play) error
}

// newSim prepares a simulation ending at opt.Now on the seeded store.
func newSim(ctx context.Context, store ticketing.Store, outbox dispatch.Store, users *auth.Service, loc *time.Location, log *slog.Logger, opt Options) (*sim, error) {
	clk := clock.NewFake(opt.Now)
	s := &sim{
		svc:   ticketing.NewService(store, clk, loc, slog.New(quiet{log.Handler()})),
		store: store, outbox: outbox,
		clk: clk, rng: rand.New(rand.NewPCG(ticketSeed, 1)), now: opt.Now,
		catalogue: Catalogue(), depts: map[string]ticketing.Department{}, deptActors: map[string]auth.Actor{},
	}
	var years []ticketing.Year
	for y := opt.Now.Year() - 1; y <= opt.Now.Year()+1; y++ {
		cy, err := s.svc.CalendarYear(ctx, y)
		if err != nil {
			return nil, fmt.Errorf("seed tickets: calendar %d: %w", y, err)
		}
		years = append(years, cy)
	}
	s.cal = ticketing.NewCalendar(loc, years...)
	depts, err := store.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed tickets: %w", err)
	}
	if err := s.loadActors(ctx, users); err != nil {
		return nil, err
	}
	for _, d := range depts {
		s.depts[d.Code] = d
		if _, ok := s.deptActors[d.Code]; ok { // only departments with a demo account act
			s.deptList = append(s.deptList, d)
		}
	}
	return s, nil
}

// loadActors finds the demo accounts that act on the sample tickets.
func (s *sim) loadActors(ctx context.Context, users *auth.Service) error {
	all, err := users.Users(ctx)
	if err != nil {
		return fmt.Errorf("seed tickets: list users: %w", err)
	}
	byName := map[string]*auth.User{}
	for _, u := range all {
		byName[u.Username] = u
		if u.Role == auth.RoleDepartment && u.Username == deptUsername(u.Department) && !u.Disabled {
			s.deptActors[u.Department] = u.Actor()
		}
	}
	for i := range agentNames {
		name := fmt.Sprintf("agent%d", i+1)
		u, ok := byName[name]
		if !ok || u.Role != auth.RoleAgent {
			return fmt.Errorf("seed tickets: the demo agent %s is missing", name)
		}
		s.agents = append(s.agents, u.Actor())
	}
	u, ok := byName["supervisor"]
	if !ok || !u.Actor().Is(auth.RoleSupervisor, auth.RoleAdmin) {
		return errors.New("seed tickets: the demo supervisor is missing")
	}
	s.supervisor = u.Actor()
	return nil
}

// seedTickets creates and handles the sample tickets, unless the store
// already has tickets, and returns how many it created.
func seedTickets(ctx context.Context, store ticketing.Store, outbox dispatch.Store, users *auth.Service, loc *time.Location, log *slog.Logger, opt Options) (int, error) {
	if opt.Tickets < 0 {
		return 0, nil
	}
	existing, err := store.Tickets(ctx, ticketing.TicketFilter{Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("seed tickets: look for tickets: %w", err)
	}
	if len(existing) > 0 {
		return 0, nil
	}
	s, err := newSim(ctx, store, outbox, users, loc, log, opt)
	if err != nil {
		return 0, err
	}
	if err := s.plan(opt.Tickets); err != nil {
		return 0, err
	}
	return s.run(ctx)
}

// run plays every step in time order and returns how many tickets it
// created. What the steps send is settled (dispatch.Settle) before the
// next step of a ticket they touched, so that in each history an SMS
// follows the step that sent it, at its time.
func (s *sim) run(ctx context.Context) (int, error) {
	unsettled := map[*play]bool{}
	for {
		p := s.next()
		if p == nil || unsettled[p] || (p.into != nil && unsettled[p.into]) {
			if _, err := dispatch.Settle(ctx, s.outbox, s.store, s.clk.Now(), ReasonDemo); err != nil {
				return s.created, fmt.Errorf("seed tickets: %w", err)
			}
			clear(unsettled)
		}
		if p == nil {
			return s.created, nil
		}
		st := p.steps[0]
		p.steps = p.steps[1:]
		s.clk.Set(p.at)
		if err := st.do(ctx, p); err != nil {
			return s.created, err
		}
		unsettled[p] = true
		if len(p.steps) == 0 {
			continue
		}
		next := p.steps[0].when(p)
		if next.After(s.now) {
			p.steps = nil // the story continues after now
			continue
		}
		p.at = next.Truncate(time.Second)
	}
}

// next returns the play whose next step comes first; nil when all are done.
func (s *sim) next() *play {
	var first *play
	for _, p := range s.plays {
		if len(p.steps) > 0 && (first == nil || p.at.Before(first.at)) {
			first = p
		}
	}
	return first
}

// act takes an action on the play's ticket at the current simulated time.
func (s *sim) act(ctx context.Context, p *play, actor auth.Actor, a ticketing.Action, req ticketing.Request) error {
	t, err := s.svc.Act(ctx, actor, p.t.ID, a, req)
	if err != nil {
		return fmt.Errorf("seed ticket %s: %s by %s: %w", p.t.Number, a, actor.Username, err)
	}
	p.t = t
	return nil
}

// deptActor returns the account of the department leading the ticket.
func (s *sim) deptActor(p *play) (auth.Actor, error) {
	a, ok := s.deptActors[p.t.Department]
	if !ok {
		return auth.Actor{}, fmt.Errorf("seed ticket %s: no demo account for department %q", p.t.Number, p.t.Department)
	}
	return a, nil
}

// root returns the city-level department a unit belongs to.
func (s *sim) root(code string) string {
	if d, ok := s.depts[code]; ok && d.Parent != "" {
		return d.Parent
	}
	return code
}

// coDepartments picks, now and then, a supporting department responsible
// for the category besides the lead.
func (s *sim) coDepartments(p *play, lead string) []string {
	if s.rng.IntN(100) >= 25 {
		return nil
	}
	for _, code := range p.suggest {
		if s.root(code) != s.root(lead) {
			return []string{code}
		}
	}
	return nil
}

// between returns a random duration in [lo, hi).
func (s *sim) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

// office moves t into the departments' office hours (8:30-17:30 on working days).
func (s *sim) office(t time.Time) time.Time {
	t = t.In(s.cal.Location())
	for range 40 {
		d := ticketing.DateOf(t)
		open := d.In(t.Location()).Add(8*time.Hour + 30*time.Minute)
		shut := open.Add(9 * time.Hour)
		if s.cal.IsWorkingDay(d) && t.Before(shut) {
			if t.Before(open) {
				return open.Add(s.between(0, 90*time.Minute))
			}
			return t
		}
		t = d.AddDays(1).In(t.Location())
	}
	return t
}

// daytime moves t into the hours citizens are called back (9:00-20:00).
func (s *sim) daytime(t time.Time) time.Time {
	t = t.In(s.cal.Location())
	d := ticketing.DateOf(t)
	nine := d.In(t.Location()).Add(9 * time.Hour)
	switch {
	case t.Before(nine):
		return nine.Add(s.between(0, 2*time.Hour))
	case t.Hour() >= 20:
		return d.AddDays(1).In(t.Location()).Add(9*time.Hour + s.between(0, 2*time.Hour))
	}
	return t
}

// officeHours reports whether the department works office hours on the ticket:
// utility and urgent tickets are handled around the clock.
func officeHours(p *play) bool { return p.tpl.Urgency == ticketing.UrgencyNormal }

// byDept applies office hours to a department's step when they apply.
func (s *sim) byDept(p *play, t time.Time) time.Time {
	if officeHours(p) {
		return s.office(t)
	}
	return t
}

// weighted picks an index with probability proportional to its weight.
func weighted(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}
