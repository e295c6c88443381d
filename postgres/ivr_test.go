package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/telephony"
)

func mustMenu(t *testing.T, s *postgres.IVRStore) telephony.Menu {
	t.Helper()
	m, err := s.Menu(context.Background())
	if err != nil {
		t.Fatalf("menu: %v", err)
	}
	return m
}

// An empty install plays the menu the hotline had before it was data.
func TestIVRStore_SeedIsTheDefaultMenu(t *testing.T) {
	s := postgres.NewIVRStore(pgtest.NewDB(t))
	if got, want := mustMenu(t, s), telephony.DefaultMenu(); !reflect.DeepEqual(got, want) {
		t.Fatalf("seeded menu:\n got %+v\nwant %+v", got, want)
	}
}

func TestIVRStore_SaveReplacesTheWholeMenu(t *testing.T) {
	s := postgres.NewIVRStore(pgtest.NewDB(t))
	m := telephony.Menu{Choices: []telephony.MenuChoice{
		{Key: '#', Label: "人工服务", Queue: "general", Action: telephony.ActionQueue},
		{Key: '3', Label: "", Prompt: "hold", Queue: "suggestion", Action: telephony.ActionQueue},
		{Key: '*', Label: "投诉", Queue: "complaint", Action: telephony.ActionQueue},
		{Key: '5', Label: "查进度", Queue: "general", Action: telephony.ActionProgress},
	}, Fallback: "consultation"}
	if err := s.SaveMenu(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := mustMenu(t, s); !reflect.DeepEqual(got, m) {
		t.Fatalf("saved menu:\n got %+v\nwant %+v", got, m)
	}
}

// What the table refuses changes nothing: the save is one transaction.
func TestIVRStore_SaveRefusedKeepsTheMenu(t *testing.T) {
	s := postgres.NewIVRStore(pgtest.NewDB(t))
	ok := telephony.MenuChoice{Key: '1', Queue: "consultation"}
	for name, m := range map[string]telephony.Menu{
		"unknown queue":    {Choices: []telephony.MenuChoice{ok, {Key: '2', Queue: "nowhere"}}, Fallback: "general"},
		"unknown fallback": {Choices: []telephony.MenuChoice{ok}, Fallback: "nowhere"},
		"key 9":            {Choices: []telephony.MenuChoice{ok, {Key: '9', Queue: "general"}}, Fallback: "general"},
		"two keys":         {Choices: []telephony.MenuChoice{ok, {Key: 'a', Queue: "general"}}, Fallback: "general"},
		"same key twice":   {Choices: []telephony.MenuChoice{ok, ok}, Fallback: "general"},
		"bad prompt name":  {Choices: []telephony.MenuChoice{{Key: '1', Prompt: "../x", Queue: "general"}}, Fallback: "general"},
		"unknown action":   {Choices: []telephony.MenuChoice{{Key: '1', Queue: "general", Action: "dial"}}, Fallback: "general"},
	} {
		t.Run(name, func(t *testing.T) {
			err := s.SaveMenu(context.Background(), m)
			if code := errs.CodeOf(err); code != errs.Invalid && code != errs.Conflict {
				t.Fatalf("save: %v, want invalid or conflict", err)
			}
			if got := mustMenu(t, s); !reflect.DeepEqual(got, telephony.DefaultMenu()) {
				t.Fatalf("after a refused save the menu is %+v", got)
			}
		})
	}
}

// Concurrent saves wait for each other instead of failing, and the menu
// read afterwards is one of them, whole.
func TestIVRStore_ConcurrentSavesSerialise(t *testing.T) {
	s := postgres.NewIVRStore(pgtest.NewDB(t))
	menus := make([]telephony.Menu, 8)
	for i := range menus {
		menus[i] = telephony.Menu{Choices: []telephony.MenuChoice{
			{Key: '1', Label: fmt.Sprint("v", i), Queue: "consultation", Action: telephony.ActionQueue},
			{Key: rune('2' + i%6), Queue: "complaint", Action: telephony.ActionProgress},
		}, Fallback: "general"}
	}
	var wg sync.WaitGroup
	for _, m := range menus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.SaveMenu(context.Background(), m); err != nil {
				t.Errorf("save %s: %v", m.Choices[0].Label, err)
			}
		}()
	}
	wg.Wait()
	got := mustMenu(t, s)
	for _, m := range menus {
		if reflect.DeepEqual(got, m) {
			return
		}
	}
	t.Fatalf("menu after concurrent saves %+v is none of them", got)
}
