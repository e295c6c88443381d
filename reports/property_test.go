package reports_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/reports"
	"github.com/open12345/hotline/ticketing"
)

// After any sequence of changes to the facts — tickets through their
// workflow, re-categorised tickets, calls and chats written late, reports
// read in between so that days become final — the stored aggregates
// equal a recount of the facts for every grouping and key.
func TestAggregates_EqualARecountAfterRandomChanges(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			f := newFixture(t)
			rng := rand.New(rand.NewPCG(seed, 12345))
			f.at(3, 2, 8, 0)
			start := f.clk.Now()
			w := &walk{f: f, rng: rng}
			for range 160 {
				w.step()
			}
			p := reports.Period{From: reports.Midnight(start), To: reports.Midnight(f.clk.Now())}
			bad, err := f.store.Check(f.ctx, p, f.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range bad {
				t.Errorf("after %d changes and %d reads: %v", w.changes, w.reads, m)
			}
			if w.reads == 0 || w.acted == 0 {
				t.Fatalf("the walk read %d reports and took %d actions: it tests nothing", w.reads, w.acted)
			}
		})
	}
}

// walk makes random changes on the fixture's facts.
type walk struct {
	f                     *fixture
	rng                   *rand.Rand
	tickets               []int64
	changes, reads, acted int
}

var categories = []string{"", "噪音扰民", "劳动保障", "市容环境"}

func (w *walk) step() {
	f, rng := w.f, w.rng
	f.clk.Advance(time.Duration(rng.IntN(20*60)) * time.Minute)
	switch n := rng.IntN(20); {
	case n < 4 || len(w.tickets) == 0:
		kinds := []ticketing.Kind{ticketing.KindConsultation, ticketing.KindComplaint, ticketing.KindHelp}
		w.tickets = append(w.tickets, f.create([]string{"agent1", "agent2"}[rng.IntN(2)], ticketing.NewTicket{
			Kind: kinds[rng.IntN(len(kinds))], Category: categories[rng.IntN(len(categories))],
			Citizen: ticketing.Citizen{Phone: "13800000000"}}))
	case n < 13:
		w.act(w.tickets[rng.IntN(len(w.tickets))])
	case n < 14: // re-categorised: every day its facts count on changes
		id := w.tickets[rng.IntN(len(w.tickets))]
		if _, err := f.db.Pool.Exec(f.ctx, `UPDATE tickets SET category = $2, region = $3 WHERE id = $1`,
			id, categories[rng.IntN(len(categories))], []string{"", "天河区", "越秀区"}[rng.IntN(3)]); err != nil {
			f.t.Fatal(err)
		}
	case n < 16: // a call, possibly of an earlier day (written when it ended)
		outcomes := []string{"answered", "answered", "abandoned", "ivr", "failed", "callback_requested"}
		o := outcomes[rng.IntN(len(outcomes))]
		wait := rng.IntN(60)
		if o == "ivr" {
			wait = -1
		}
		id := f.call(call{direction: "inbound", queue: []string{"consultation", "complaint"}[rng.IntN(2)],
			agent: map[bool]string{true: "agent1"}[o == "answered"], outcome: o,
			started: f.clk.Now().Add(-time.Duration(rng.IntN(3*24*60)) * time.Minute), wait: wait, talk: rng.IntN(300)})
		if o == "abandoned" && rng.IntN(2) == 0 {
			f.callback(id, f.clk.Now(), time.Duration(rng.IntN(3))*time.Hour)
		}
	case n < 17:
		agent := rng.IntN(2) == 0
		c := chat{started: f.clk.Now().Add(-2 * time.Hour), citizenSpoke: true, queuedAfter: -1, agentReply: -1,
			length: 60 + rng.IntN(600), outcome: "bot_only", satisfaction: rng.IntN(6)}
		if agent {
			c.queuedAfter, c.agentReply, c.agent, c.outcome = 20, 30+rng.IntN(60), "agent2", "answered"
		}
		f.chat(c)
	default: // a supervisor reads: the days so far are counted, most final
		_, err := f.reports.Summary(f.ctx, f.users["sup1"], reports.Period{From: reports.Midnight(f.clk.Now().AddDate(0, 0, -10)),
			To: reports.Midnight(f.clk.Now())}, reports.ByDepartment)
		if err != nil {
			f.t.Fatal(err)
		}
		w.reads++
		return
	}
	w.changes++
}

// act tries a random action of the workflow on ticket id as whoever may
// take it; an action its state refuses changes nothing and is skipped.
func (w *walk) act(id int64) {
	f, rng := w.f, w.rng
	tk, err := f.tickets.Get(f.ctx, f.users["sup1"], id)
	if err != nil {
		f.t.Fatal(err)
	}
	dept := "dept-" + tk.Department
	yes := rng.IntN(3) > 0
	options := []struct {
		by  string
		a   ticketing.Action
		req ticketing.Request
	}{
		{"agent1", ticketing.ActionDispatch, ticketing.Request{Department: []string{"rsj", "cgj"}[rng.IntN(2)]}},
		{"agent1", ticketing.ActionCloseDirectly, ticketing.Request{Reply: "已解答"}},
		{dept, ticketing.ActionSign, ticketing.Request{}},
		{dept, ticketing.ActionReply, ticketing.Request{Reply: "已处理"}},
		{dept, ticketing.ActionReturn, ticketing.Request{Reason: "非本部门职责"}},
		{dept, ticketing.ActionRequestExtension, ticketing.Request{Days: 1 + rng.IntN(5), Reason: "需现场核查"}},
		{"sup1", ticketing.ActionApproveExtension, ticketing.Request{}},
		{"agent2", ticketing.ActionCallback, ticketing.Request{Satisfaction: 1 + rng.IntN(5), Satisfied: &yes}},
		{"agent1", ticketing.ActionReopen, ticketing.Request{Reason: "市民不满意"}},
		{"agent1", ticketing.ActionClose, ticketing.Request{}},
		{"agent1", ticketing.ActionReject, ticketing.Request{Reason: "无效诉求"}},
	}
	o := options[rng.IntN(len(options))]
	actor, ok := f.users[o.by]
	if !ok { // no department yet
		return
	}
	if _, err := f.tickets.Act(f.ctx, actor, id, o.a, o.req); err != nil {
		if c := errs.CodeOf(err); c == errs.Conflict || c == errs.Invalid || c == errs.Forbidden || c == errs.NotFound {
			return
		}
		f.t.Fatalf("%s %s on ticket %d: %v", o.by, o.a, id, err)
	}
	w.acted++
}

// A zone PostgreSQL would read differently (a fixed zone named CST is
// America/Chicago's to it) is refused: facts would be dated on the
// wrong days.
func TestReportStore_RefusesAZoneThePostgreSQLNameDiffers(t *testing.T) {
	f := newFixture(t)
	_, err := postgres.NewReportStore(f.ctx, f.db, time.FixedZone("CST", 8*3600))
	if errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("fixed CST zone: %v, want invalid", err)
	}
	if _, err := postgres.NewReportStore(f.ctx, f.db, time.UTC); err != nil {
		t.Fatalf("UTC: %v", err)
	}
}
