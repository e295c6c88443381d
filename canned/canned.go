// Package canned keeps the canned replies (常用语) agents insert into a
// chat's reply box: short texts an admin writes once, each with a title,
// an optional category and shortcut, and an order. Agents, supervisors
// and admins read the active ones; only admins change them.
package canned

import (
	"context"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// Limits of a canned reply. A reply's text is inserted into a chat
// message, so it is held to a chat message's rules (webchat.CheckText):
// at most 2,000 characters, no control characters.
const (
	MaxTitleRunes    = 60
	MaxTextRunes     = 2000
	MaxCategoryRunes = 40
	MaxShortcutRunes = 32
	MaxSortOrder     = 9999
	// MaxReplies bounds the list agents load into the console at once.
	MaxReplies = 1000
)

// Reply is one canned reply.
type Reply struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Text      string    `json:"text"`
	Category  string    `json:"category"`
	Shortcut  string    `json:"shortcut"` // typed after "/" in the reply box; "" for none
	SortOrder int       `json:"sort_order"`
	Active    bool      `json:"active"`
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Update holds the fields to change; nil leaves a field as it is.
type Update struct {
	Title     *string `json:"title"`
	Text      *string `json:"text"`
	Category  *string `json:"category"`
	Shortcut  *string `json:"shortcut"`
	SortOrder *int    `json:"sort_order"`
	Active    *bool   `json:"active"`
}

// Store keeps canned replies; postgres.CannedStore is one.
type Store interface {
	// List returns the replies by sort order, then title; inactive ones
	// only when asked.
	List(ctx context.Context, includeInactive bool) ([]Reply, error)
	// Get returns one reply. Errors: not_found.
	Get(ctx context.Context, id int64) (Reply, error)
	// Create stores a new reply and returns it with its id. Errors:
	// conflict (the shortcut is taken, or MaxReplies are stored).
	Create(ctx context.Context, r Reply) (Reply, error)
	// Save replaces a stored reply. Errors: not_found, conflict (shortcut).
	Save(ctx context.Context, r Reply) (Reply, error)
	// Delete removes a reply. Errors: not_found.
	Delete(ctx context.Context, id int64) error
}

// Service checks who may do what with canned replies and what they hold.
type Service struct {
	store Store
	clock clock.Clock
}

// NewService returns a Service on store.
func NewService(store Store, clk clock.Clock) *Service {
	return &Service{store: store, clock: clk}
}

var (
	readers = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor, auth.RoleAgent}
	editors = []auth.Role{auth.RoleAdmin}
)

func allow(actor auth.Actor, roles []auth.Role, doing string) error {
	if !actor.Is(roles...) {
		return errs.E(errs.Forbidden, "the %s role may not %s canned replies", actor.Role, doing)
	}
	return nil
}

// List returns the active replies, and with includeInactive (admins
// only) the inactive ones too. Errors: forbidden.
func (s *Service) List(ctx context.Context, actor auth.Actor, includeInactive bool) ([]Reply, error) {
	if err := allow(actor, readers, "read"); err != nil {
		return nil, err
	}
	if includeInactive {
		if err := allow(actor, editors, "list inactive"); err != nil {
			return nil, err
		}
	}
	rs, err := s.store.List(ctx, includeInactive)
	if err != nil {
		return nil, fmt.Errorf("list canned replies: %w", err)
	}
	return rs, nil
}

// Get returns one reply; an inactive one only to admins. Errors:
// forbidden, not_found.
func (s *Service) Get(ctx context.Context, actor auth.Actor, id int64) (Reply, error) {
	if err := allow(actor, readers, "read"); err != nil {
		return Reply{}, err
	}
	r, err := s.store.Get(ctx, id)
	if err == nil && !r.Active && !actor.Is(editors...) {
		err = errs.E(errs.NotFound, "no canned reply %d", id)
	}
	if err != nil {
		return Reply{}, fmt.Errorf("canned reply %d: %w", id, err)
	}
	return r, nil
}

// Create checks and stores a new reply. Errors: forbidden, invalid,
// conflict (shortcut taken, too many replies).
func (s *Service) Create(ctx context.Context, actor auth.Actor, r Reply) (Reply, error) {
	if err := allow(actor, editors, "add"); err != nil {
		return Reply{}, err
	}
	r.ID, r.UpdatedBy, r.UpdatedAt = 0, actor.Username, s.clock.Now()
	if err := r.Check(); err != nil {
		return Reply{}, err
	}
	out, err := s.store.Create(ctx, r)
	if err != nil {
		return Reply{}, fmt.Errorf("add canned reply %q: %w", r.Title, err)
	}
	return out, nil
}

// Update changes the fields u names. Errors: forbidden, invalid,
// not_found, conflict (shortcut taken).
func (s *Service) Update(ctx context.Context, actor auth.Actor, id int64, u Update) (Reply, error) {
	if err := allow(actor, editors, "change"); err != nil {
		return Reply{}, err
	}
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Reply{}, fmt.Errorf("canned reply %d: %w", id, err)
	}
	set(&r.Title, u.Title)
	set(&r.Text, u.Text)
	set(&r.Category, u.Category)
	set(&r.Shortcut, u.Shortcut)
	set(&r.SortOrder, u.SortOrder)
	set(&r.Active, u.Active)
	r.UpdatedBy, r.UpdatedAt = actor.Username, s.clock.Now()
	if err := r.Check(); err != nil {
		return Reply{}, err
	}
	if r, err = s.store.Save(ctx, r); err != nil {
		return Reply{}, fmt.Errorf("save canned reply %d: %w", id, err)
	}
	return r, nil
}

// Delete removes a reply for good (deactivating keeps it). Errors:
// forbidden, not_found.
func (s *Service) Delete(ctx context.Context, actor auth.Actor, id int64) error {
	if err := allow(actor, editors, "delete"); err != nil {
		return err
	}
	if err := s.store.Delete(ctx, id); err != nil {
		return fmt.Errorf("delete canned reply %d: %w", id, err)
	}
	return nil
}

func set[T any](field *T, v *T) {
	if v != nil {
		*field = *v
	}
}

// Check validates a reply's fields. Errors: invalid.
func (r Reply) Check() error {
	for _, f := range []struct {
		name, value string
		max         int
		required    bool
	}{
		{"title", r.Title, MaxTitleRunes, true},
		{"category", r.Category, MaxCategoryRunes, false},
		{"shortcut", r.Shortcut, MaxShortcutRunes, false},
	} {
		if err := textguard.Check(f.name, f.value, true); err != nil {
			return err
		}
		n := utf8.RuneCountInString(f.value)
		switch {
		case f.required && n == 0:
			return errs.E(errs.Invalid, "%s is empty", f.name)
		case n > f.max:
			return errs.E(errs.Invalid, "%s is %d characters long; at most %d", f.name, n, f.max)
		}
	}
	if err := textguard.Check("text", r.Text, false); err != nil {
		return err
	}
	switch n := utf8.RuneCountInString(r.Text); {
	case n == 0:
		return errs.E(errs.Invalid, "text is empty")
	case n > MaxTextRunes:
		return errs.E(errs.Invalid, "text is %d characters long; at most %d", n, MaxTextRunes)
	}
	if i := slices.IndexFunc([]rune(r.Shortcut), func(c rune) bool {
		return !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '-' && c != '_'
	}); i >= 0 {
		return errs.E(errs.Invalid, "shortcut holds only letters, digits, - and _")
	}
	if r.SortOrder < 0 || r.SortOrder > MaxSortOrder {
		return errs.E(errs.Invalid, "sort_order must be 0-%d", MaxSortOrder)
	}
	return nil
}
