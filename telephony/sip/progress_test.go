package sip_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/diago"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
	hsip "github.com/open12345/hotline/telephony/sip"
	"github.com/open12345/hotline/ticketing"
)

// ticketLookup is the progress lookup on a real ticket service, as
// cmd/hotline wires it; it counts the lookups.
type ticketLookup struct {
	tickets *ticketing.Service
	calls   atomic.Int64
}

func (l *ticketLookup) Progress(ctx context.Context, number, callerPhone, last4 string) (telephony.TicketProgress, error) {
	l.calls.Add(1)
	p, err := l.tickets.PhoneProgress(ctx, number, callerPhone, last4)
	if err != nil {
		return telephony.TicketProgress{}, err
	}
	return telephony.TicketProgress{Status: string(p.Status), Department: p.Department,
		DepartmentCode: p.DepartmentCode, DueAt: p.Deadline()}, nil
}

// playedLog keeps the prompts the calls played, in order.
type playedLog struct {
	mu    sync.Mutex
	names []string
}

func (l *playedLog) add(_, name string) {
	if name == prompts.HoldMusic {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = append(l.names, name)
}

// from returns the prompts played from the first progress_number on
// (the welcome and the menu may or may not play before key 4 arrives).
func (l *playedLog) from() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := slices.Index(l.names, prompts.ProgressNumber)
	if i < 0 {
		return nil
	}
	return slices.Clone(l.names[i:])
}

// progressEdge is the call flow with the progress lookup on a real ticket
// service: one consultation from 13812345678, dispatched to cgj (whose
// name an operator recorded) on 2026-12-01, due 2026-12-03.
type progressEdge struct {
	*callEdge
	lookup *ticketLookup
	played *playedLog
	cdr    *cdrLog
	number string // the ticket's number
}

func startProgress(t *testing.T, clk clock.Clock) *progressEdge {
	t.Helper()
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.NewTicketStore(pgtest.NewDB(t))
	ticketClock := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, loc))
	if err := store.SaveDepartment(ctx, ticketing.Department{Code: "cgj", Name: "市城管局", CreatedAt: ticketClock.Now()}); err != nil {
		t.Fatal(err)
	}
	tickets := ticketing.NewService(store, ticketClock, loc, slog.Default())
	agent := auth.Actor{Username: "agent1", Role: auth.RoleAgent}
	tk, err := tickets.Create(ctx, agent, ticketing.NewTicket{Kind: ticketing.KindConsultation, Channel: ticketing.ChannelPhone,
		Title: "占道经营", Content: "路口夜市占道", Citizen: ticketing.Citizen{Name: "张三", Phone: "13812345678"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tickets.Act(ctx, agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "cgj"}); err != nil {
		t.Fatal(err)
	}

	// Every prompt is an operator's recording of 60 ms, so that a call
	// takes a moment whatever the built-in prompts' lengths.
	dataDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dataDir, "prompts"), 0o750); err != nil {
		t.Fatal(err)
	}
	short := testenv.WAV(1, 1, 8000, 16, testenv.Sine(480, 440, 8000, 8000))
	for _, name := range append(prompts.Names(), prompts.Department("cgj")) {
		if err := os.WriteFile(filepath.Join(dataDir, "prompts", name+".wav"), short, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	e := &progressEdge{lookup: &ticketLookup{tickets: tickets}, played: &playedLog{}, cdr: &cdrLog{}, number: tk.Number}
	engine := routing.New(clk, routing.Config{})
	if err := engine.SetQueue(routing.QueueConfig{Name: "general"}); err != nil {
		t.Fatal(err)
	}
	ce := &callEdge{engine: engine, sub: engine.Subscribe()}
	ce.calls = hsip.NewCalls(hsip.CallConfig{Progress: e.lookup, Played: e.played.add}, engine,
		prompts.New(dataDir, slog.Default()), e.cdr, nil, clk, slog.Default())
	registrar := telephony.NewRegistrar(nil, clk, nil, slog.Default())
	t.Cleanup(func() { // after the server has stopped
		ce.sub.Close()
		registrar.Close()
	})
	ce.srv, ce.stop = startServer(t, hsip.Config{Addr: "127.0.0.1:0", Realm: realm, Calls: ce.calls, Open: true}, registrar, nil, clk)
	e.callEdge = ce
	return e
}

// waitPlayed waits until prompt name has started n times in all.
func (e *progressEdge) waitPlayed(t *testing.T, name string, n int) {
	t.Helper()
	testenv.Eventually(t, "prompt "+name, func() bool {
		e.played.mu.Lock()
		defer e.played.mu.Unlock()
		count := 0
		for _, p := range e.played.names {
			if p == name {
				count++
			}
		}
		return count >= n
	})
}

// keys presses each key of s by SIP INFO.
func keys(t *testing.T, d *diago.DialogClientSession, s string) {
	t.Helper()
	for _, k := range s {
		if res := info(t, d, "Signal="+string(k)+"\r\nDuration=160\r\n"); res.StatusCode != 200 {
			t.Fatalf("INFO %c: %d", k, res.StatusCode)
		}
	}
}

// callForProgress calls from number and chooses 4 in the menu.
func (e *progressEdge) callForProgress(t *testing.T, from string) (*diago.DialogClientSession, hsip.CallInfo) {
	t.Helper()
	d, err := newCaller(t, from).dial(t, e.callEdge, "12345")
	if err != nil {
		t.Fatal(err)
	}
	call := e.oneCall(t)
	keys(t, d, "4")
	e.waitPlayed(t, prompts.ProgressNumber, 1)
	return d, call
}

// ended waits for the edge to hang up d and checks the call's record.
func (e *progressEdge) ended(t *testing.T, d *diago.DialogClientSession, want string) {
	t.Helper()
	select {
	case <-d.Context().Done():
	case <-time.After(testenv.EventuallyWithin):
		t.Fatal("the edge did not hang up")
	}
	testenv.Eventually(t, "the call ended", func() bool { return len(e.calls.Active()) == 0 })
	e.cdr.want(t, []string{want})
}

// The status, the department and the deadline, 2026年12月3日.
var readBack = []string{prompts.StatusPrefix, "status_dispatched", prompts.DepartmentPrefix, "department_cgj",
	prompts.DueBefore, "digit_2", "digit_0", "digit_2", "digit_6", prompts.Year,
	prompts.Ten, "digit_2", prompts.Month, "digit_3", prompts.Day}

// From the ticket's own phone, the number and # are enough: the status,
// the department and the deadline are read back; a key other than 0
// then ends the call, a voice-menu call.
func TestProgress_CallingNumberHearsTheProgress(t *testing.T) {
	e := startProgress(t, clock.System{})
	d, _ := e.callForProgress(t, "13812345678")
	keys(t, d, e.number+"#")
	e.waitPlayed(t, prompts.ProgressEnd, 1)
	keys(t, d, "1")
	e.ended(t, d, "ended ivr by system")
	want := append(append([]string{prompts.ProgressNumber}, readBack...), prompts.ProgressEnd, prompts.Goodbye)
	if got := e.played.from(); !slices.Equal(got, want) {
		t.Fatalf("prompts\n got %q\nwant %q", got, want)
	}
}

// From another phone the last four digits of the registered phone prove
// the caller; 0 afterwards waits for an agent in the choice's queue.
func TestProgress_OtherPhoneNeedsTheLastFour(t *testing.T) {
	e := startProgress(t, clock.System{})
	d, call := e.callForProgress(t, "13900139000")
	keys(t, d, e.number+"#")
	e.waitPlayed(t, prompts.ProgressLast4, 1)
	keys(t, d, "5678")
	e.waitPlayed(t, prompts.ProgressEnd, 1)
	keys(t, d, "0")
	if q := e.waiting(t, call).Queue; q != "general" {
		t.Fatalf("after the lookup 0 waits in %s, want general", q)
	}
	want := append(append([]string{prompts.ProgressNumber, prompts.ProgressLast4}, readBack...), prompts.ProgressEnd)
	if got := e.played.from(); !slices.Equal(got, want) {
		t.Fatalf("prompts\n got %q\nwant %q", got, want)
	}
	hangUp(t, d)
	testenv.Eventually(t, "the call ended", func() bool { return len(e.calls.Active()) == 0 })
	e.cdr.want(t, []string{"ended abandoned by caller"})
}

// Three wrong lookups end the lookup; a number that does not exist is
// told apart from a wrong phone in nothing the caller hears, and costs
// the same lookups.
func TestProgress_ThreeWrongTriesEndTheLookup(t *testing.T) {
	want := []string{
		prompts.ProgressNumber, prompts.ProgressLast4, prompts.ProgressMismatch,
		prompts.ProgressNumber, prompts.ProgressLast4, prompts.ProgressMismatch,
		prompts.ProgressNumber, prompts.ProgressLast4, prompts.ProgressFailed,
		prompts.ProgressEnd, prompts.Goodbye,
	}
	for _, tc := range []struct {
		name          string
		number, last4 func(e *progressEdge) string
	}{
		{"WrongLastFour", func(e *progressEdge) string { return e.number }, func(*progressEdge) string { return "5679" }},
		{"NoSuchNumber", func(*progressEdge) string { return "20261201999999" }, func(*progressEdge) string { return "5678" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startProgress(t, clock.System{})
			d, _ := e.callForProgress(t, "13900139000")
			for try := 1; try <= telephony.MaxProgressMisses; try++ {
				e.waitPlayed(t, prompts.ProgressNumber, try)
				keys(t, d, tc.number(e)+"#")
				e.waitPlayed(t, prompts.ProgressLast4, try)
				keys(t, d, tc.last4(e))
			}
			e.waitPlayed(t, prompts.ProgressEnd, 1)
			keys(t, d, "#")
			e.ended(t, d, "ended ivr by system")
			if got := e.played.from(); !slices.Equal(got, want) {
				t.Fatalf("prompts\n got %q\nwant %q", got, want)
			}
			if n := e.lookup.calls.Load(); n != 2*telephony.MaxProgressMisses {
				t.Fatalf("%d lookups, want %d (the calling number and the last four, three times)", n, 2*telephony.MaxProgressMisses)
			}
		})
	}
}

// A pause ends what was keyed, on the flow's clock: nothing within the
// menu timeout after the prompt is a miss, and the number ends a key
// timeout after its last digit (here the one digit 1, which finds
// nothing, so the last four are asked for).
func TestProgress_PausesEndTheEntry(t *testing.T) {
	clk := clock.NewFake(t0)
	e := startProgress(t, clk)
	d, _ := e.callForProgress(t, "13812345678")
	// waitTimer waits until the flow waits for a key for d.
	waitTimer := func(d time.Duration) {
		t.Helper()
		due := clk.Now().Add(d)
		testenv.Eventually(t, "the flow waiting "+d.String()+" for a key", func() bool { return slices.Contains(clk.Timers(), due) })
	}
	waitTimer(8 * time.Second) // MenuTimeout, the default
	clk.Advance(8 * time.Second)
	e.waitPlayed(t, prompts.ProgressNumber, 2)
	keys(t, d, "1")
	waitTimer(5 * time.Second) // KeyTimeout, the default
	if n := e.lookup.calls.Load(); n != 0 {
		t.Fatalf("%d lookups before the number ended", n)
	}
	clk.Advance(5 * time.Second)
	e.waitPlayed(t, prompts.ProgressLast4, 1)
	if n := e.lookup.calls.Load(); n != 1 {
		t.Fatalf("%d lookups, want the one of the number 1", n)
	}
	want := []string{prompts.ProgressNumber, prompts.ProgressMismatch, prompts.ProgressNumber, prompts.ProgressLast4}
	if got := e.played.from(); !slices.Equal(got, want) {
		t.Fatalf("prompts\n got %q\nwant %q", got, want)
	}
	hangUp(t, d)
	testenv.Eventually(t, "the call ended", func() bool { return len(e.calls.Active()) == 0 })
}
