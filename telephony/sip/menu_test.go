package sip_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
	hsip "github.com/open12345/hotline/telephony/sip"
)

// memMenus is a telephony.MenuStore in memory.
type memMenus struct {
	mu sync.Mutex
	m  telephony.Menu
}

func (s *memMenus) Menu(context.Context) (telephony.Menu, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m, nil
}

func (s *memMenus) SaveMenu(_ context.Context, m telephony.Menu) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = m
	return nil
}

// queueOfKey places a call, presses key by SIP INFO, and returns the
// queue the call waits in; the caller then hangs up.
func queueOfKey(t *testing.T, e *callEdge, c *caller, key string) string {
	t.Helper()
	d, err := c.dial(t, e, "12345")
	if err != nil {
		t.Fatal(err)
	}
	call := e.oneCall(t)
	if res := info(t, d, "Signal="+key+"\r\nDuration=160\r\n"); res.StatusCode != 200 {
		t.Fatalf("INFO: %d", res.StatusCode)
	}
	queue := e.waiting(t, call).Queue
	hangUp(t, d)
	if ab := e.event(t, routing.EventAbandoned); ab.Contact.Ref != call.ID {
		t.Fatalf("abandoned %+v, want the call %s", ab.Contact, call.ID)
	}
	testenv.Eventually(t, "no call in progress", func() bool { return len(e.calls.Active()) == 0 })
	return queue
}

// The menu is data: an admin's change applies to the next call, without
// restarting the call flow.
func TestCalls_MenuChangeAppliesToTheNextCall(t *testing.T) {
	queues := []string{"consultation", "complaint", "suggestion", "general"}
	menus, err := telephony.LoadMenus(context.Background(), &memMenus{m: telephony.DefaultMenu()},
		func(q string) bool { return slices.Contains(queues, q) }, prompts.Known)
	if err != nil {
		t.Fatal(err)
	}
	e := startCalls(t, hsip.CallConfig{Menus: menus}, clock.System{})
	c := newCaller(t, "13900139000")
	if q := queueOfKey(t, e, c, "2"); q != "complaint" {
		t.Fatalf("key 2 of the default menu waits in %s, want complaint", q)
	}

	changed := telephony.Menu{Choices: []telephony.MenuChoice{
		{Key: '2', Label: "建议", Queue: "suggestion"},
		{Key: '0', Label: "人工服务", Queue: "general"},
	}, Fallback: "general"}
	if _, err := menus.Save(context.Background(), auth.Actor{Username: "admin", Role: auth.RoleAdmin}, changed); err != nil {
		t.Fatal(err)
	}
	if q := queueOfKey(t, e, c, "2"); q != "suggestion" {
		t.Fatalf("key 2 after the change waits in %s, want suggestion", q)
	}
}
