package reports_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/reports"
	"github.com/open12345/hotline/ticketing"
)

// cst is the hotline's zone: by name, as PostgreSQL knows it too.
var cst = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// fixture is a database with departments, staff, the ticket workflow on a
// fake clock, and the reports over them.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	db      *postgres.DB
	clk     *clock.Fake
	tickets *ticketing.Service
	store   *postgres.ReportStore
	reports *reports.Service
	users   map[string]auth.Actor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	clk := clock.NewFake(time.Date(2026, 2, 1, 9, 0, 0, 0, cst))
	ts := postgres.NewTicketStore(db)
	for code, name := range map[string]string{"rsj": "人社局", "cgj": "城管局"} {
		if err := ts.SaveDepartment(ctx, ticketing.Department{Code: code, Name: name, CreatedAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{t: t, ctx: ctx, db: db, clk: clk, users: map[string]auth.Actor{},
		tickets: ticketing.NewService(ts, clk, cst, slog.New(slog.DiscardHandler))}
	for _, u := range []struct {
		name, display string
		role          auth.Role
		dept          string
	}{{"agent1", "话务员一", auth.RoleAgent, ""}, {"agent2", "话务员二", auth.RoleAgent, ""},
		{"sup1", "班长", auth.RoleSupervisor, ""}, {"dept-rsj", "人社局", auth.RoleDepartment, "rsj"},
		{"dept-cgj", "城管局", auth.RoleDepartment, "cgj"}} {
		var dept *string
		if u.dept != "" {
			dept = &u.dept
		}
		var id int64
		err := db.Pool.QueryRow(ctx, `INSERT INTO users (username, display_name, role, department, password_hash, created_at)
			VALUES ($1, $2, $3, $4, 'x', now()) RETURNING id`, u.name, u.display, u.role, dept).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		f.users[u.name] = auth.Actor{UserID: id, Username: u.name, Role: u.role, Department: u.dept}
	}
	store, err := postgres.NewReportStore(ctx, db, cst)
	if err != nil {
		t.Fatal(err)
	}
	f.store = store
	f.reports = reports.NewService(store, store, clk)
	return f
}

// at sets the clock to a local time of 2026.
func (f *fixture) at(month time.Month, day, hour, minute int) {
	f.clk.Set(time.Date(2026, month, day, hour, minute, 0, 0, cst))
}

func (f *fixture) create(by string, n ticketing.NewTicket) int64 {
	f.t.Helper()
	if n.Title == "" {
		n.Title, n.Content = "诉求", "内容"
	}
	if n.Channel == "" {
		n.Channel = ticketing.ChannelPhone
	}
	tk, err := f.tickets.Create(f.ctx, f.users[by], n)
	if err != nil {
		f.t.Fatalf("create ticket: %v", err)
	}
	return tk.ID
}

func (f *fixture) act(by string, id int64, a ticketing.Action, req ticketing.Request) {
	f.t.Helper()
	if _, err := f.tickets.Act(f.ctx, f.users[by], id, a, req); err != nil {
		f.t.Fatalf("%s %s on ticket %d: %v", by, a, id, err)
	}
}

// call is a call record as the telephony layer leaves it.
type call struct {
	direction, queue, agent, outcome string
	started                          time.Time
	wait, talk                       int // seconds; wait < 0: never queued
}

func (f *fixture) call(c call) int64 {
	f.t.Helper()
	var queued, answered *time.Time
	if c.wait >= 0 {
		queued = new(c.started.Add(5 * time.Second))
		if c.outcome == "answered" {
			answered = new(queued.Add(time.Duration(c.wait) * time.Second))
		}
	}
	ended := c.started.Add(time.Duration(5+max(c.wait, 0)+c.talk) * time.Second)
	var id int64
	err := f.db.Pool.QueryRow(f.ctx, `INSERT INTO calls (direction, caller, callee, started_at, queued_at, answered_at,
		ended_at, queue, agent, outcome, wait_seconds, talk_seconds)
		VALUES ($1, '13800000000', '12345', $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		c.direction, c.started, queued, answered, ended, c.queue, c.agent, c.outcome, max(c.wait, 0), c.talk).Scan(&id)
	if err != nil {
		f.t.Fatalf("insert call: %v", err)
	}
	return id
}

func (f *fixture) callback(callID int64, created time.Time, reachedAfter time.Duration) {
	f.t.Helper()
	state, updated := "waiting", created
	if reachedAfter > 0 {
		state, updated = "reached", created.Add(reachedAfter)
	}
	_, err := f.db.Pool.Exec(f.ctx, `INSERT INTO callbacks (phone, reason, call_id, created_at, updated_at, due_at, state)
		VALUES ($1, 'abandoned', $2, $3, $4, $3, $5)`, fmt.Sprintf("139%08d", callID), callID, created, updated, state)
	if err != nil {
		f.t.Fatalf("insert callback: %v", err)
	}
}

// chat is a chat as webchat leaves it; the offsets are seconds from its
// start (negative: never).
type chat struct {
	started                         time.Time
	citizenSpoke                    bool
	queuedAfter, agentReply, length int
	agent, outcome                  string
	satisfaction                    int
}

func (f *fixture) chat(c chat) int64 {
	f.t.Helper()
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		f.t.Fatal(err)
	}
	sec := func(n int) *time.Time {
		if n < 0 {
			return nil
		}
		return new(c.started.Add(time.Duration(n) * time.Second))
	}
	var sat *int
	if c.satisfaction > 0 {
		sat = &c.satisfaction
	}
	queue := ""
	if c.queuedAfter >= 0 {
		queue = "webchat"
	}
	var id int64
	err := f.db.Pool.QueryRow(f.ctx, `INSERT INTO chats (token_hash, started_at, ended_at, state, queue, agent, outcome,
		satisfaction, queued_at) VALUES ($1, $2, $3, 'closed', $4, $5, $6, $7, $8) RETURNING id`,
		token, c.started, sec(c.length), queue, c.agent, c.outcome, sat, sec(c.queuedAfter)).Scan(&id)
	if err != nil {
		f.t.Fatalf("insert chat: %v", err)
	}
	seq := 0
	say := func(sender string, at *time.Time) {
		seq++
		if _, err := f.db.Pool.Exec(f.ctx, `INSERT INTO chat_messages (chat_id, seq, sender, body, at) VALUES ($1, $2, $3, '你好', $4)`,
			id, seq, sender, at); err != nil {
			f.t.Fatalf("insert chat message: %v", err)
		}
	}
	say("bot", sec(0))
	if c.citizenSpoke {
		say("citizen", sec(1))
	}
	if c.agentReply >= 0 {
		say("agent", sec(c.agentReply))
		say("agent", sec(c.agentReply+5))
	}
	return id
}
