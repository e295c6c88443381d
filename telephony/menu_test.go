package telephony_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/telephony"
)

// menuStore is a telephony.MenuStore in memory that can be made to fail.
type menuStore struct {
	m    telephony.Menu
	fail error
}

func (s *menuStore) Menu(context.Context) (telephony.Menu, error) { return s.m, s.fail }

func (s *menuStore) SaveMenu(_ context.Context, m telephony.Menu) error {
	if s.fail != nil {
		return s.fail
	}
	s.m = m
	return nil
}

var (
	admin      = auth.Actor{Username: "admin", Role: auth.RoleAdmin}
	supervisor = auth.Actor{Username: "sup", Role: auth.RoleSupervisor}
	agent      = auth.Actor{Username: "agent1", Role: auth.RoleAgent}
	department = auth.Actor{Username: "dept", Role: auth.RoleDepartment, Department: "rsj"}
)

var queues = []string{"consultation", "complaint", "general"}

func knownQueue(q string) bool  { return slices.Contains(queues, q) }
func knownPrompt(p string) bool { return p == "hold" || p == "busy" }

func loadMenus(t *testing.T, store *menuStore) *telephony.Menus {
	t.Helper()
	s, err := telephony.LoadMenus(context.Background(), store, knownQueue, knownPrompt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func twoChoices() telephony.Menu {
	return telephony.Menu{Choices: []telephony.MenuChoice{
		{Key: '1', Label: "咨询", Queue: "consultation"},
		{Key: '#', Label: "忙", Prompt: "busy", Queue: "general"},
	}, Fallback: "general"}
}

func TestMenus_SaveAppliesToTheNextRead(t *testing.T) {
	store := &menuStore{m: twoChoices()}
	s := loadMenus(t, store)
	next := telephony.Menu{Choices: []telephony.MenuChoice{{Key: '0', Label: "人工服务", Queue: "complaint"},
		{Key: '4', Label: "进度查询", Queue: "general", Action: telephony.ActionProgress}}, Fallback: "consultation"}
	saved, err := s.Save(context.Background(), admin, next)
	if err != nil {
		t.Fatal(err)
	}
	next.Choices[0].Action = telephony.ActionQueue // a choice without an action waits in its queue
	if !reflect.DeepEqual(saved, next) || !reflect.DeepEqual(s.Menu(), next) || !reflect.DeepEqual(store.m, next) {
		t.Fatalf("after Save: returned %+v, current %+v, stored %+v; want %+v", saved, s.Menu(), store.m, next)
	}
	if c, ok := s.Menu().Choice('0'); !ok || c.Queue != "complaint" {
		t.Errorf("key 0: %+v %v, want complaint", c, ok)
	}
	if _, ok := s.Menu().Choice('1'); ok {
		t.Error("key 1 kept its choice after a save without it")
	}
	// What a caller does with the menu it got does not change the service's.
	got := s.Menu()
	got.Choices[0].Queue = "elsewhere"
	next.Choices[0].Queue = "elsewhere"
	if c, _ := s.Menu().Choice('0'); c.Queue != "complaint" {
		t.Errorf("the current menu changed through a copy: %+v", c)
	}
}

func TestMenus_Roles(t *testing.T) {
	s := loadMenus(t, &menuStore{m: twoChoices()})
	for _, a := range []auth.Actor{admin, supervisor, agent} {
		if _, err := s.Get(a); err != nil {
			t.Errorf("%s reads the menu: %v", a.Role, err)
		}
	}
	if _, err := s.Get(department); errs.CodeOf(err) != errs.Forbidden {
		t.Errorf("department reads the menu: %v, want forbidden", err)
	}
	for _, a := range []auth.Actor{supervisor, agent, department} {
		if _, err := s.Save(context.Background(), a, twoChoices()); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("%s saves the menu: %v, want forbidden", a.Role, err)
		}
	}
}

func TestMenus_Save_RefusesBadMenus(t *testing.T) {
	choice := func(key rune, queue string) telephony.MenuChoice { return telephony.MenuChoice{Key: key, Queue: queue} }
	with := func(change func(*telephony.Menu)) telephony.Menu {
		m := twoChoices()
		change(&m)
		return m
	}
	many := telephony.Menu{Fallback: "general"}
	for _, k := range "012345678*#" {
		many.Choices = append(many.Choices, choice(k, "general"))
	}
	tests := map[string]struct {
		menu telephony.Menu
		want string
	}{
		"no choices":        {telephony.Menu{Fallback: "general"}, "at least one choice"},
		"too many":          {with(func(m *telephony.Menu) { m.Choices = append(many.Choices, choice('1', "general")) }), "at most 11"},
		"key 9":             {with(func(m *telephony.Menu) { m.Choices[0].Key = '9' }), "key 9"},
		"unknown action":    {with(func(m *telephony.Menu) { m.Choices[0].Action = "voicemail" }), "the action of key 1"},
		"letter key":        {with(func(m *telephony.Menu) { m.Choices[0].Key = 'a' }), "0-8, * or #"},
		"no key":            {with(func(m *telephony.Menu) { m.Choices[0].Key = 0 }), "0-8, * or #"},
		"full-width digit":  {with(func(m *telephony.Menu) { m.Choices[0].Key = '１' }), "0-8, * or #"},
		"key twice":         {with(func(m *telephony.Menu) { m.Choices[1].Key = '1' }), "two choices"},
		"no queue":          {with(func(m *telephony.Menu) { m.Choices[0].Queue = "" }), "needs a queue"},
		"unknown queue":     {with(func(m *telephony.Menu) { m.Choices[0].Queue = "suggestion" }), `no queue "suggestion"`},
		"long queue":        {with(func(m *telephony.Menu) { m.Choices[0].Queue = strings.Repeat("q", 65) }), "too long"},
		"unknown prompt":    {with(func(m *telephony.Menu) { m.Choices[0].Prompt = "../welcome" }), `no prompt "../welcome"`},
		"no fallback":       {with(func(m *telephony.Menu) { m.Fallback = "" }), "fallback needs a queue"},
		"unknown fallback":  {with(func(m *telephony.Menu) { m.Fallback = "webchat" }), `no queue "webchat"`},
		"long label":        {with(func(m *telephony.Menu) { m.Choices[0].Label = strings.Repeat("咨", 41) }), "longer than 40"},
		"label line break":  {with(func(m *telephony.Menu) { m.Choices[0].Label = "咨\n询" }), "control character"},
		"label bidi":        {with(func(m *telephony.Menu) { m.Choices[0].Label = "\u202e询咨" }), "control character"},
		"label not UTF-8":   {with(func(m *telephony.Menu) { m.Choices[0].Label = "\xff" }), "UTF-8"},
		"last choice wrong": {with(func(m *telephony.Menu) { m.Choices[1].Queue = "nowhere" }), `no queue "nowhere"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			store := &menuStore{m: twoChoices()}
			s := loadMenus(t, store)
			_, err := s.Save(context.Background(), admin, tt.menu)
			if errs.CodeOf(err) != errs.Invalid || !strings.Contains(errs.Message(err), tt.want) {
				t.Fatalf("Save: %v, want invalid saying %q", err, tt.want)
			}
			if !reflect.DeepEqual(s.Menu(), twoChoices()) || !reflect.DeepEqual(store.m, twoChoices()) {
				t.Errorf("a refused menu changed the menu: current %+v, stored %+v", s.Menu(), store.m)
			}
		})
	}
	if _, err := loadMenus(t, &menuStore{m: twoChoices()}).Save(context.Background(), admin, many); err != nil {
		t.Errorf("a menu on every key but 9: %v", err)
	}
}

// A store that fails keeps the menu calls get as it was.
func TestMenus_Save_StoreFailureKeepsTheMenu(t *testing.T) {
	store := &menuStore{m: twoChoices()}
	s := loadMenus(t, store)
	down := errs.E(errs.Unavailable, "database down")
	store.fail = down
	next := telephony.Menu{Choices: []telephony.MenuChoice{{Key: '0', Queue: "general"}}, Fallback: "general"}
	if _, err := s.Save(context.Background(), admin, next); !errors.Is(err, down) {
		t.Fatalf("Save: %v, want the store's error", err)
	}
	if !reflect.DeepEqual(s.Menu(), twoChoices()) {
		t.Errorf("menu %+v after a failed save", s.Menu())
	}
}

func TestLoadMenus_RefusesABrokenStoredMenu(t *testing.T) {
	broken := twoChoices()
	broken.Choices[0].Queue = "gone"
	if _, err := telephony.LoadMenus(context.Background(), &menuStore{m: broken}, knownQueue, knownPrompt); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("load a menu with an unknown queue: %v, want invalid", err)
	}
	down := errs.E(errs.Unavailable, "database down")
	if _, err := telephony.LoadMenus(context.Background(), &menuStore{fail: down}, knownQueue, knownPrompt); !errors.Is(err, down) {
		t.Errorf("load from a failing store: %v, want its error", err)
	}
}
