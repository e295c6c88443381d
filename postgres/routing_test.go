package postgres_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/routing"
)

// routingFixture is a RoutingStore on a fresh database, with the database.
func routingFixture(t *testing.T) (*postgres.RoutingStore, *postgres.DB) {
	t.Helper()
	db := pgtest.NewDB(t)
	return postgres.NewRoutingStore(db), db
}

// addUser creates an agent account and returns its ID.
func addUser(t *testing.T, db *postgres.DB, username, displayName string) int64 {
	t.Helper()
	u := &auth.User{Username: username, DisplayName: displayName, Role: auth.RoleAgent,
		PasswordHash: "x", CreatedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	if err := postgres.NewUserStore(db).CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u.ID
}

func mustQueues(t *testing.T, s *postgres.RoutingStore) []routing.QueueConfig {
	t.Helper()
	qs, err := s.Queues(context.Background())
	if err != nil {
		t.Fatalf("queues: %v", err)
	}
	return qs
}

func mustProfile(t *testing.T, s *postgres.RoutingStore, username string) (routing.Profile, bool) {
	t.Helper()
	p, ok, err := s.Profile(context.Background(), username)
	if err != nil {
		t.Fatalf("profile %s: %v", username, err)
	}
	return p, ok
}

// defaultQueues is what migration 005 inserts, in name order.
var defaultQueues = []routing.QueueConfig{
	{Name: "complaint", Title: "投诉举报", Strategy: routing.LongestIdle, RingSeconds: 15, WrapUpSeconds: 20,
		MaxWaitSeconds: 300, OverflowAfterSeconds: 90, OverflowTo: "general"},
	{Name: "consultation", Title: "咨询", Strategy: routing.LongestIdle, RingSeconds: 15, WrapUpSeconds: 10,
		MaxWaitSeconds: 300, OverflowAfterSeconds: 60, OverflowTo: "general"},
	{Name: "general", Title: "人工服务", Strategy: routing.LongestIdle, RingSeconds: 15, WrapUpSeconds: 10,
		MaxWaitSeconds: 600},
	{Name: "suggestion", Title: "建议", Strategy: routing.RoundRobin, RingSeconds: 15, WrapUpSeconds: 10,
		MaxWaitSeconds: 300},
	{Name: "webchat", Title: "网上咨询", Strategy: routing.LongestIdle, RingSeconds: 20, WrapUpSeconds: 0,
		MaxWaitSeconds: 900},
}

func TestRoutingStore_DefaultQueues(t *testing.T) {
	s, _ := routingFixture(t)
	qs := mustQueues(t, s)
	if !reflect.DeepEqual(qs, defaultQueues) {
		t.Fatalf("default queues:\n got %+v\nwant %+v", qs, defaultQueues)
	}
	names := map[string]bool{}
	for _, q := range qs {
		names[q.Name] = true
	}
	for _, q := range qs {
		n := q
		if err := n.Normalize(); err != nil {
			t.Errorf("default queue %s does not normalize: %v", q.Name, err)
		}
		if !reflect.DeepEqual(n, q) {
			t.Errorf("default queue %s changes when normalized: %+v -> %+v", q.Name, q, n)
		}
		if q.OverflowTo != "" && !names[q.OverflowTo] {
			t.Errorf("default queue %s overflows to %s, which is not a queue", q.Name, q.OverflowTo)
		}
	}
}

func TestRoutingStore_SaveQueue(t *testing.T) {
	s, _ := routingFixture(t)
	ctx := context.Background()

	// A new queue gets Normalize's defaults.
	if err := s.SaveQueue(ctx, routing.QueueConfig{Name: "elderly", Title: "老年人专线", MaxWaitSeconds: 120}); err != nil {
		t.Fatal(err)
	}
	want := routing.QueueConfig{Name: "elderly", Title: "老年人专线", Strategy: routing.LongestIdle,
		RingSeconds: routing.DefaultRingSeconds, MaxWaitSeconds: 120}
	qs := mustQueues(t, s)
	if len(qs) != len(defaultQueues)+1 || !reflect.DeepEqual(qs[2], want) {
		t.Fatalf("after create: %+v, want elderly = %+v third of 6", qs, want)
	}

	// Saving again replaces the whole configuration.
	want = routing.QueueConfig{Name: "elderly", Title: "适老化服务", Strategy: routing.SkillLevel, RingSeconds: 30,
		WrapUpSeconds: 45, MaxWaitSeconds: 600, OverflowAfterSeconds: 30, OverflowTo: "general"}
	if err := s.SaveQueue(ctx, want); err != nil {
		t.Fatal(err)
	}
	// So does saving a default queue, and dropping its overflow.
	consultation := routing.QueueConfig{Name: "consultation", Title: "政策咨询", Strategy: routing.RingAll, RingSeconds: 10}
	if err := s.SaveQueue(ctx, consultation); err != nil {
		t.Fatal(err)
	}
	qs = mustQueues(t, s)
	if len(qs) != len(defaultQueues)+1 || !reflect.DeepEqual(qs[2], want) || !reflect.DeepEqual(qs[1], consultation) {
		t.Fatalf("after replace: %+v", qs)
	}
}

func TestRoutingStore_SaveQueueRefusesInvalid(t *testing.T) {
	s, _ := routingFixture(t)
	before := mustQueues(t, s)
	for name, q := range map[string]routing.QueueConfig{
		"empty name":          {Title: "无名"},
		"name with space":     {Name: "a b"},
		"name too long":       {Name: strings.Repeat("q", 33)},
		"unknown strategy":    {Name: "complaint", Strategy: "random"},
		"ring too long":       {Name: "complaint", RingSeconds: routing.MaxRingSeconds + 1},
		"negative wrap-up":    {Name: "complaint", WrapUpSeconds: -1},
		"wait too long":       {Name: "general", MaxWaitSeconds: routing.MaxWaitLimit + 1},
		"overflow to itself":  {Name: "general", OverflowAfterSeconds: 10, OverflowTo: "general"},
		"overflow half set":   {Name: "general", OverflowAfterSeconds: 10},
		"overflow bad target": {Name: "general", OverflowAfterSeconds: 10, OverflowTo: "x;y"},
		"title 41 characters": {Name: "webchat", Title: strings.Repeat("网", 41)},
	} {
		err := s.SaveQueue(context.Background(), q)
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: got %v, want invalid", name, err)
		}
	}
	if after := mustQueues(t, s); !reflect.DeepEqual(after, before) {
		t.Fatalf("refused saves changed the queues:\n got %+v\nwant %+v", after, before)
	}
}

// The table's checks hold even against SQL that bypasses the store.
func TestRoutingStore_TableChecks(t *testing.T) {
	_, db := routingFixture(t)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO routing_queues (name, config) VALUES ('x', '{"name": "y"}')`,
		`INSERT INTO routing_queues (name, config) VALUES ('x', '[]')`,
		`INSERT INTO routing_queues (name, config) VALUES ('x y', '{"name": "x y"}')`,
	} {
		if _, err := db.Pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s: accepted", sql)
		}
	}
	id := addUser(t, db, "agent1", "坐席一")
	for _, sql := range []string{
		`INSERT INTO routing_agents (user_id, skills) VALUES ($1, 'null')`,
		`INSERT INTO routing_agents (user_id, chat_capacity) VALUES ($1, -1)`,
	} {
		if _, err := db.Pool.Exec(ctx, sql, id); err == nil {
			t.Errorf("%s: accepted", sql)
		}
	}
}

func TestRoutingStore_ProfileOfUnknownUser(t *testing.T) {
	s, _ := routingFixture(t)
	ctx := context.Background()
	if _, _, err := s.Profile(ctx, "nobody"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("profile of nobody: got %v, want not_found", err)
	}
	err := s.SaveProfile(ctx, routing.Profile{ID: "nobody", Skills: map[string]int{"general": 1}})
	if !errs.Is(err, errs.NotFound) {
		t.Fatalf("save profile of nobody: got %v, want not_found", err)
	}
}

func TestRoutingStore_ProfileWithoutRow(t *testing.T) {
	s, db := routingFixture(t)
	addUser(t, db, "agent1", "张三")
	addUser(t, db, "agent2", "")
	p, ok := mustProfile(t, s, "agent1")
	if ok || !reflect.DeepEqual(p, routing.Profile{ID: "agent1", Name: "张三"}) {
		t.Fatalf("agent1: got %+v, %v; want the bare profile, false", p, ok)
	}
	// Without a display name, the name is the username.
	p, ok = mustProfile(t, s, "agent2")
	if ok || !reflect.DeepEqual(p, routing.Profile{ID: "agent2", Name: "agent2"}) {
		t.Fatalf("agent2: got %+v, %v; want the bare profile, false", p, ok)
	}
}

func TestRoutingStore_ProfileRoundTrip(t *testing.T) {
	s, db := routingFixture(t)
	ctx := context.Background()
	addUser(t, db, "agent1", "张三")
	addUser(t, db, "agent2", "李四")

	// The name saved is ignored: it is the user's display name.
	saved := routing.Profile{ID: "agent1", Name: "someone else",
		Skills: map[string]int{"consultation": 10, "complaint": 3, "webchat": 1}, ChatCapacity: 5}
	if err := s.SaveProfile(ctx, saved); err != nil {
		t.Fatal(err)
	}
	want := saved
	want.Name = "张三"
	if p, ok := mustProfile(t, s, "agent1"); !ok || !reflect.DeepEqual(p, want) {
		t.Fatalf("after save: got %+v, %v; want %+v, true", p, ok, want)
	}

	// Saving again replaces skills and capacity; no skills is a saved profile
	// too (the agent takes no queue), unlike no row.
	if err := s.SaveProfile(ctx, routing.Profile{ID: "agent1"}); err != nil {
		t.Fatal(err)
	}
	want = routing.Profile{ID: "agent1", Name: "张三", Skills: map[string]int{}}
	if p, ok := mustProfile(t, s, "agent1"); !ok || !reflect.DeepEqual(p, want) {
		t.Fatalf("after replace: got %+v, %v; want %+v, true", p, ok, want)
	}

	// Another agent is untouched.
	if p, ok := mustProfile(t, s, "agent2"); ok || p.Skills != nil {
		t.Fatalf("agent2: got %+v, %v; want no profile", p, ok)
	}
}

func TestRoutingStore_DeletingUserDeletesProfile(t *testing.T) {
	s, db := routingFixture(t)
	ctx := context.Background()
	id := addUser(t, db, "agent1", "张三")
	if err := s.SaveProfile(ctx, routing.Profile{ID: "agent1", Skills: map[string]int{"general": 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM routing_agents`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d routing rows left after the user was deleted", n)
	}
	if _, _, err := s.Profile(ctx, "agent1"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("profile of deleted user: got %v, want not_found", err)
	}
	// A new account with the same username starts without a profile.
	addUser(t, db, "agent1", "张三")
	if _, ok := mustProfile(t, s, "agent1"); ok {
		t.Fatal("a new account inherited the deleted account's profile")
	}
}

func TestRoutingStore_HostileInput(t *testing.T) {
	s, db := routingFixture(t)
	ctx := context.Background()
	hostile := `o'brien"; DROP TABLE routing_agents; --`
	addUser(t, db, "agent1", "张三")
	addUser(t, db, hostile, `'); DELETE FROM users; --`)
	queuesBefore := mustQueues(t, s)

	for name, p := range map[string]routing.Profile{
		"skill with SQL":    {ID: "agent1", Skills: map[string]int{`general'); DELETE FROM routing_agents; --`: 1}},
		"skill level 0":     {ID: "agent1", Skills: map[string]int{"general": 0}},
		"skill level 11":    {ID: "agent1", Skills: map[string]int{"general": routing.MaxSkillLevel + 1}},
		"capacity 11":       {ID: "agent1", ChatCapacity: routing.MaxChatCapacity + 1},
		"negative capacity": {ID: "agent1", ChatCapacity: -1},
		"id of 10,000":      {ID: strings.Repeat("a", 10000)},
	} {
		if err := s.SaveProfile(ctx, p); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: got %v, want invalid", name, err)
		}
	}
	if _, ok := mustProfile(t, s, "agent1"); ok {
		t.Fatal("a refused profile was saved")
	}

	for name, q := range map[string]routing.QueueConfig{
		"title of 10,000": {Name: "general", Title: strings.Repeat("标", 10000)},
		"name with SQL":   {Name: `general'; DROP TABLE routing_queues; --`},
	} {
		if err := s.SaveQueue(ctx, q); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: got %v, want invalid", name, err)
		}
	}
	if after := mustQueues(t, s); !reflect.DeepEqual(after, queuesBefore) {
		t.Fatalf("refused saves changed the queues: %+v", after)
	}

	// Quotes in a username are only data.
	if _, _, err := s.Profile(ctx, `agent1' OR '1'='1`); !errs.Is(err, errs.NotFound) {
		t.Fatalf("profile of an injected username: got %v, want not_found", err)
	}
	p := routing.Profile{ID: hostile, Skills: map[string]int{"complaint": 2}, ChatCapacity: 1}
	if err := s.SaveProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Name = `'); DELETE FROM users; --`
	if got, ok := mustProfile(t, s, hostile); !ok || !reflect.DeepEqual(got, p) {
		t.Fatalf("hostile username: got %+v, %v; want %+v, true", got, ok, p)
	}
	if _, ok := mustProfile(t, s, "agent1"); ok {
		t.Fatal("saving the hostile user's profile touched agent1")
	}
}
