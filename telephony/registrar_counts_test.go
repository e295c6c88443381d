package telephony_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/telephony"
)

func TestRegistrar_CountsBindingsAndReachableAgents(t *testing.T) {
	ctx := context.Background()
	store := newStore(t, "agent1", "agent2")
	clk := clock.NewFake(t0)
	r := telephony.NewRegistrar(store, clk, nil, slog.Default())
	defer r.Close()
	check := func(wantBindings, wantAgents int) {
		t.Helper()
		if b, a := r.Counts(); b != wantBindings || a != wantAgents {
			t.Fatalf("Counts = %d bindings, %d agents; want %d, %d", b, a, wantBindings, wantAgents)
		}
	}
	expired := func(wantBindings, wantAgents int) { // expiry runs on the timers' goroutines
		t.Helper()
		testenv.Eventually(t, fmt.Sprintf("%d bindings of %d agents", wantBindings, wantAgents), func() bool {
			b, a := r.Counts()
			return b == wantBindings && a == wantAgents
		})
	}
	check(0, 0)
	for _, g := range []telephony.Registration{
		reg("agent1", "sip:agent1@10.0.0.1:5060", t0, time.Hour),
		reg("agent1", "sip:agent1@10.0.0.2:5060", t0, 2*time.Hour),
		reg("agent2", "sip:agent2@10.0.0.3:5060", t0, time.Hour),
		reg("agent2", "sip:agent2@10.0.0.3:5060", t0, time.Hour), // a refresh
	} {
		if err := r.Register(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	check(3, 2)
	if err := r.Unregister(ctx, "agent2", "sip:agent2@10.0.0.3:5060"); err != nil {
		t.Fatal(err)
	}
	check(2, 1)
	clk.Advance(time.Hour)
	expired(1, 1)
	clk.Advance(time.Hour)
	expired(0, 0)
}
