package routing_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/routing"
)

// started is a new engine with the configuration loaded from store, as
// the server starts.
func started(t *testing.T, store routing.Store) (*routing.Engine, *routing.ConfigService) {
	t.Helper()
	e := routing.New(clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), routing.Config{Location: time.UTC})
	cfg := routing.NewConfigService(store, e)
	if _, err := cfg.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, cfg
}

func queueNamed(e *routing.Engine, name string) (routing.QueueConfig, bool) {
	qs := e.Queues()
	i := slices.IndexFunc(qs, func(q routing.QueueConfig) bool { return q.Name == name })
	if i < 0 {
		return routing.QueueConfig{}, false
	}
	return qs[i], true
}

func TestConfigService_SavedConfigIsAppliedAndSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	users := postgres.NewUserStore(db)
	for _, name := range []string{"agent1", "agent2"} {
		u := &auth.User{Username: name, Role: auth.RoleAgent, PasswordHash: "x", CreatedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
		if err := users.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	store := postgres.NewRoutingStore(db)
	engine, cfg := started(t, store)

	night, err := cfg.SaveQueue(ctx, routing.QueueConfig{Name: "night", Title: "夜间", Strategy: routing.RoundRobin, WrapUpSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	if night.RingSeconds != routing.DefaultRingSeconds {
		t.Fatalf("saved queue %+v: defaults not filled", night)
	}
	if q, ok := queueNamed(engine, "night"); !ok || q != night {
		t.Fatalf("engine has %+v, %v; want %+v", q, ok, night)
	}
	if _, err := cfg.SaveQueue(ctx, routing.QueueConfig{Name: "bad name!"}); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("invalid queue: %v, want invalid", err)
	}

	if _, err := cfg.Login(ctx, "agent1"); err != nil {
		t.Fatal(err)
	}
	skills := map[string]int{"night": 5, "complaint": 2}
	saved, err := cfg.SaveProfile(ctx, routing.Profile{ID: "agent1", Skills: skills, ChatCapacity: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(saved.Skills, skills) || saved.ChatCapacity != 2 {
		t.Fatalf("saved profile %+v", saved)
	}
	if v, ok := engine.Agent("agent1"); !ok || !maps.Equal(v.Skills, skills) || v.ChatLimit != 2 {
		t.Fatalf("online agent has %+v, want the saved skills at once", v)
	}
	if _, err := cfg.SaveProfile(ctx, routing.Profile{ID: "nobody", Skills: skills}); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("profile of no user: %v, want not_found", err)
	}

	// A restart: a new engine loading from the same database.
	engine2, cfg2 := started(t, store)
	if q, ok := queueNamed(engine2, "night"); !ok || q != night {
		t.Fatalf("after restart the engine has %+v, %v; want %+v", q, ok, night)
	}
	if _, ok := queueNamed(engine2, "bad name!"); ok {
		t.Fatal("the refused queue was kept")
	}
	v, err := cfg2.Login(ctx, "agent1")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(v.Skills, skills) || v.ChatLimit != 2 {
		t.Fatalf("after restart agent1 logs in with %+v, want the saved skills", v)
	}
	// An agent with no saved profile takes every queue at level 1.
	v, err = cfg2.Login(ctx, "agent2")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Skills) != len(engine2.Queues()) || v.Skills["night"] != 1 {
		t.Fatalf("agent2 logs in with %+v, want every queue", v.Skills)
	}
}
