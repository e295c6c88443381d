package telephony

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// MenuChoice is what one key of the IVR menu does: the prompt played
// first (empty for none), then its action: wait in the routing queue, or
// look up a ticket's progress, after which key 0 waits in the queue.
type MenuChoice struct {
	Key    rune       // '0'–'8', '*' or '#'
	Label  string     // what the console shows for the key, as 咨询; never spoken
	Prompt string     // a prompt name, as prompts.Hold
	Queue  string     // a routing queue name
	Action MenuAction // what the key does; "" is ActionQueue
}

// MenuAction is what a menu choice does.
type MenuAction string

// The actions of a menu choice.
const (
	// ActionQueue waits in the choice's queue for an agent.
	ActionQueue MenuAction = "queue"
	// ActionProgress reads a ticket's progress back to the caller
	// (ProgressLookup); key 0 afterwards waits in the choice's queue.
	ActionProgress MenuAction = "progress"
)

// Menu is the IVR menu: what each key does, in the order the console lists
// them. Keys it does not hold are invalid and replay the menu; RepeatKey
// replays it on purpose.
type Menu struct {
	Choices []MenuChoice
	// Fallback is the queue of a caller who presses nothing valid after
	// the menu has played its last time.
	Fallback string
}

// RepeatKey replays the menu.
const RepeatKey = '9'

// Bounds of a menu: a key may appear once, and a label is a few words.
const (
	MaxMenuChoices = 11 // 0–8, * and #
	MaxMenuLabel   = 40 // characters
	maxNameLen     = 64 // bytes of a queue or prompt name worth quoting back
)

// DefaultMenu is the hotline's menu of DESIGN.md: 1 consultation,
// 2 complaint or report, 3 suggestion, 4 ticket progress (then 0 the
// general queue), 0 an agent. Migrations 010 and 015 store the same menu;
// a call flow without a menu source plays this one.
func DefaultMenu() Menu {
	return Menu{
		Choices: []MenuChoice{
			{Key: '1', Label: "咨询", Queue: "consultation", Action: ActionQueue},
			{Key: '2', Label: "投诉举报", Queue: "complaint", Action: ActionQueue},
			{Key: '3', Label: "建议", Queue: "suggestion", Action: ActionQueue},
			{Key: '4', Label: "进度查询", Queue: "general", Action: ActionProgress},
			{Key: '0', Label: "人工服务", Queue: "general", Action: ActionQueue},
		},
		Fallback: "general",
	}
}

// Choice returns the choice of key and whether the key has one.
func (m Menu) Choice(key rune) (MenuChoice, bool) {
	for _, c := range m.Choices {
		if c.Key == key {
			return c, true
		}
	}
	return MenuChoice{}, false
}

func (m Menu) clone() Menu {
	m.Choices = slices.Clone(m.Choices)
	return m
}

// withActions returns m with ActionQueue in place of every empty action.
func (m Menu) withActions() Menu {
	m = m.clone()
	for i := range m.Choices {
		if m.Choices[i].Action == "" {
			m.Choices[i].Action = ActionQueue
		}
	}
	return m
}

// validMenuKey reports whether key may have a choice: 0–8, * or #.
func validMenuKey(key rune) bool {
	return key >= '0' && key <= '8' || key == '*' || key == '#'
}

// check returns invalid unless m has 1 to MaxMenuChoices choices on
// distinct valid keys, short single-line labels, known actions, and
// queues and prompts that queueKnown and promptKnown know.
func (m Menu) check(queueKnown, promptKnown func(name string) bool) error {
	if len(m.Choices) == 0 {
		return errs.E(errs.Invalid, "the menu needs at least one choice")
	}
	if len(m.Choices) > MaxMenuChoices {
		return errs.E(errs.Invalid, "the menu has at most %d choices", MaxMenuChoices)
	}
	seen := map[rune]bool{}
	for _, c := range m.Choices {
		switch {
		case c.Key == RepeatKey:
			return errs.E(errs.Invalid, "key 9 repeats the menu and cannot be a choice")
		case !validMenuKey(c.Key):
			return errs.E(errs.Invalid, "a menu key must be 0-8, * or #")
		case seen[c.Key]:
			return errs.E(errs.Invalid, "key %c has two choices", c.Key)
		}
		seen[c.Key] = true
		if c.Action != "" && c.Action != ActionQueue && c.Action != ActionProgress {
			return errs.E(errs.Invalid, "the action of key %c must be %s or %s", c.Key, ActionQueue, ActionProgress)
		}
		if utf8.RuneCountInString(c.Label) > MaxMenuLabel {
			return errs.E(errs.Invalid, "the label of key %c is longer than %d characters", c.Key, MaxMenuLabel)
		}
		if err := textguard.Check(fmt.Sprintf("the label of key %c", c.Key), c.Label, true); err != nil {
			return err
		}
		if err := checkName("the queue of key "+string(c.Key), "queue", c.Queue, queueKnown); err != nil {
			return err
		}
		if c.Prompt != "" {
			if err := checkName("the prompt of key "+string(c.Key), "prompt", c.Prompt, promptKnown); err != nil {
				return err
			}
		}
	}
	return checkName("the fallback", "queue", m.Fallback, queueKnown)
}

// checkName returns invalid unless name is one known knows.
func checkName(field, kind, name string, known func(string) bool) error {
	switch {
	case name == "":
		return errs.E(errs.Invalid, "%s needs a %s", field, kind)
	case len(name) > maxNameLen:
		return errs.E(errs.Invalid, "%s is no %s: the name is too long", field, kind)
	case !known(name):
		return errs.E(errs.Invalid, "%s: there is no %s %q", field, kind, name)
	}
	return nil
}

// MenuStore keeps the IVR menu.
type MenuStore interface {
	// Menu returns the stored menu, choices in their order.
	Menu(ctx context.Context) (Menu, error)
	// SaveMenu replaces the stored menu with m in one transaction.
	// Errors: invalid (a queue the store does not know), unavailable.
	SaveMenu(ctx context.Context, m Menu) error
}

// Menus is the IVR menu as data an admin changes: it checks a new menu,
// stores it and keeps the current one in memory, which every new call
// reads. A call keeps the menu it started with.
type Menus struct {
	store       MenuStore
	queueKnown  func(name string) bool
	promptKnown func(name string) bool

	saving  sync.Mutex // one save at a time, so memory ends as the store does
	current atomic.Pointer[Menu]
}

// LoadMenus returns the menu service with the stored menu; queueKnown
// says which routing queues exist and promptKnown which prompts. Errors:
// those of the store; invalid for a stored menu the checks refuse.
func LoadMenus(ctx context.Context, store MenuStore, queueKnown, promptKnown func(name string) bool) (*Menus, error) {
	m, err := store.Menu(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the IVR menu: %w", err)
	}
	if err := m.check(queueKnown, promptKnown); err != nil {
		return nil, fmt.Errorf("the stored IVR menu: %w", err)
	}
	s := &Menus{store: store, queueKnown: queueKnown, promptKnown: promptKnown}
	s.current.Store(&m)
	return s, nil
}

// Menu returns the current menu, for a call that starts now.
func (s *Menus) Menu() Menu { return s.current.Load().clone() }

// Get returns the current menu for staff. Errors: forbidden (departments).
func (s *Menus) Get(actor auth.Actor) (Menu, error) {
	if !actor.IsStaff() {
		return Menu{}, errs.E(errs.Forbidden, "the %s role may not read the IVR menu", actor.Role)
	}
	return s.Menu(), nil
}

// Save checks m, stores it in place of the whole menu and makes it the
// menu of the next call; it returns the menu saved. Errors: forbidden
// (not an admin), invalid, and those of the store.
func (s *Menus) Save(ctx context.Context, actor auth.Actor, m Menu) (Menu, error) {
	if !actor.Is(auth.RoleAdmin) {
		return Menu{}, errs.E(errs.Forbidden, "only an admin may change the IVR menu")
	}
	m = m.withActions()
	if err := m.check(s.queueKnown, s.promptKnown); err != nil {
		return Menu{}, err
	}
	s.saving.Lock()
	defer s.saving.Unlock()
	if err := s.store.SaveMenu(ctx, m); err != nil {
		return Menu{}, fmt.Errorf("save the IVR menu: %w", err)
	}
	s.current.Store(&m)
	return m.clone(), nil
}
