package telephony_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/telephony"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// events records the reachability changes a registrar reports.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) record(agent string, reachable bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, fmt.Sprintf("%s:%v", agent, reachable))
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

// newStore returns a SIP store on a fresh database with the agents as users.
func newStore(t *testing.T, agents ...string) *postgres.SIPStore {
	t.Helper()
	db := pgtest.NewDB(t)
	users := postgres.NewUserStore(db)
	for _, a := range agents {
		u := &auth.User{Username: a, DisplayName: a, Role: auth.RoleAgent, PasswordHash: "x", CreatedAt: t0}
		if err := users.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	return postgres.NewSIPStore(db)
}

func reg(agent, contact string, at time.Time, ttl time.Duration) telephony.Registration {
	return telephony.Registration{Agent: agent, Contact: contact, Source: "127.0.0.1:5070", Transport: "udp",
		Expires: at.Add(ttl), Updated: at}
}

func TestRegistrar_SeveralPhonesOneReachability(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, "agent1")
	clk := clock.NewFake(t0)
	var ev events
	r := telephony.NewRegistrar(store, clk, ev.record, slog.Default())
	defer r.Close()

	if err := r.Register(ctx, reg("agent1", "sip:agent1@10.0.0.1:5060", t0, time.Hour)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if err := r.Register(ctx, reg("agent1", "sip:agent1@10.0.0.2:5060", clk.Now(), time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, ok := r.Lookup("agent1"); !ok || got.Contact != "sip:agent1@10.0.0.2:5060" {
		t.Fatalf("Lookup = %+v, %v; want the softphone registered last", got, ok)
	}
	if err := r.Unregister(ctx, "agent1", "sip:agent1@10.0.0.2:5060"); err != nil {
		t.Fatal(err)
	}
	if got, ok := r.Lookup("agent1"); !ok || got.Contact != "sip:agent1@10.0.0.1:5060" {
		t.Fatalf("Lookup after unregistering one = %+v, %v; want the desk phone", got, ok)
	}
	if err := r.UnregisterAll(ctx, "agent1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Lookup("agent1"); ok {
		t.Fatal("Lookup found a phone after UnregisterAll")
	}
	if got, want := ev.list(), []string{"agent1:true", "agent1:false"}; !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
}

func TestRegistrar_ExpiresOnTheClock(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, "agent1")
	clk := clock.NewFake(t0)
	var ev events
	r := telephony.NewRegistrar(store, clk, ev.record, slog.Default())
	defer r.Close()
	if err := r.Register(ctx, reg("agent1", "sip:agent1@10.0.0.1", t0, time.Minute)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second) // refreshed halfway: the first timer must not drop it
	if err := r.Register(ctx, reg("agent1", "sip:agent1@10.0.0.1", clk.Now(), time.Minute)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(45 * time.Second)
	if _, ok := r.Lookup("agent1"); !ok {
		t.Fatal("the refreshed binding expired at the first binding's time")
	}
	clk.Advance(15 * time.Second)
	testenv.Eventually(t, "the binding to expire", func() bool { return len(ev.list()) == 2 })
	if got, want := ev.list(), []string{"agent1:true", "agent1:false"}; !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	testenv.Eventually(t, "the stored binding to go", func() bool {
		regs, err := store.Registrations(ctx)
		return err == nil && len(regs) == 0
	})
}

func TestRegistrar_LoadAfterRestart(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, "agent1", "agent2")
	clk := clock.NewFake(t0)
	first := telephony.NewRegistrar(store, clk, nil, slog.Default())
	for _, g := range []telephony.Registration{
		reg("agent1", "sip:agent1@10.0.0.1", t0, time.Hour),
		reg("agent2", "sip:agent2@10.0.0.2", t0, time.Minute),
	} {
		if err := first.Register(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	first.Close()

	clk.Advance(2 * time.Minute) // agent2's binding lapsed while the node was down
	var ev events
	r := telephony.NewRegistrar(store, clk, ev.record, slog.Default())
	defer r.Close()
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got, ok := r.Lookup("agent1"); !ok || got.Contact != "sip:agent1@10.0.0.1" || !got.Expires.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Lookup(agent1) after Load = %+v, %v", got, ok)
	}
	if _, ok := r.Lookup("agent2"); ok {
		t.Fatal("an expired binding survived the restart")
	}
	if got, want := ev.list(), []string{"agent1:true"}; !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	regs, err := store.Registrations(ctx)
	if err != nil || len(regs) != 1 {
		t.Fatalf("stored after Load = %v, %v; want agent1's only", regs, err)
	}
}

func TestCredentials_SetPassword(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, "agent1")
	c := telephony.NewCredentials(store, "hotline")
	if err := c.SetPassword(ctx, "agent1", "correct horse"); err != nil {
		t.Fatal(err)
	}
	got, err := store.SIPCredential(ctx, "agent1")
	if err != nil || got.HA1 != telephony.HA1("agent1", "hotline", "correct horse") || got.Realm != "hotline" {
		t.Fatalf("stored %+v, %v", got, err)
	}
	if err := c.SetPassword(ctx, "nobody", "correct horse"); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("unknown user: %v, want not_found", err)
	}
	if err := c.SetPassword(ctx, "agent1", "short"); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("short password: %v, want invalid", err)
	}
	if err := c.SetPassword(ctx, "agent1", "line\nbreak!"); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("control character: %v, want invalid", err)
	}
}

func TestHA1(t *testing.T) {
	// RFC 2617 section 3.5's example: Mufasa, testrealm@host.com, Circle Of Life.
	if got := telephony.HA1("Mufasa", "testrealm@host.com", "Circle Of Life"); got != "939e7578ed9e3c518a452acee763bce9" {
		t.Fatalf("HA1 = %s", got)
	}
}
