package ticketing

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
)

// Service runs the ticket workflow: it checks who may see and change what,
// computes deadlines, and records every change with its event.
type Service struct {
	store Store
	clock clock.Clock
	loc   *time.Location
	log   *slog.Logger
}

// NewService returns a Service working in the time zone loc.
func NewService(store Store, clk clock.Clock, loc *time.Location, log *slog.Logger) *Service {
	return &Service{store: store, clock: clk, loc: loc, log: log}
}

// Location returns the hotline's time zone.
func (s *Service) Location() *time.Location { return s.loc }

func (s *Service) now() time.Time { return s.clock.Now().In(s.loc) }

// NewTicket is the input for recording a ticket.
type NewTicket struct {
	Kind         Kind    `json:"kind"`
	Channel      Channel `json:"channel"`
	Urgency      Urgency `json:"urgency"`
	Title        string  `json:"title"`
	Content      string  `json:"content"`
	Citizen      Citizen `json:"citizen"`
	Confidential bool    `json:"confidential"`
	Category     string  `json:"category"`
	Region       string  `json:"region"`
	CallID       string  `json:"call_id"`
	ChatID       string  `json:"chat_id"`
}

// Check reports whether the input would be accepted, without recording
// anything. Errors: invalid.
func (n NewTicket) Check() error { return n.validate() }

// validate checks and normalises the input. Errors: invalid.
func (n *NewTicket) validate() error {
	var err error
	if n.Kind, err = ParseKind(string(n.Kind)); err != nil {
		return err
	}
	if n.Channel, err = ParseChannel(string(n.Channel)); err != nil {
		return err
	}
	if n.Urgency == "" {
		n.Urgency = UrgencyNormal
	}
	if n.Urgency, err = ParseUrgency(string(n.Urgency)); err != nil {
		return err
	}
	if n.Title, err = line("title", n.Title, true, 200); err != nil {
		return err
	}
	if n.Content, err = text("content", n.Content, true, 10000); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"category", &n.Category}, {"region", &n.Region}, {"call_id", &n.CallID}, {"chat_id", &n.ChatID}} {
		if *f.v, err = line(f.name, *f.v, false, 100); err != nil {
			return err
		}
	}
	n.Citizen, err = n.Citizen.Normalize()
	return err
}

// Create records a new ticket in status accepted.
// Errors: invalid, forbidden (department users cannot record tickets).
func (s *Service) Create(ctx context.Context, actor auth.Actor, n NewTicket) (*Ticket, error) {
	t, ev, err := s.prepare(actor, n)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateTicket(ctx, t, ev); err != nil {
		return nil, err
	}
	return t, nil
}

// prepare checks a new ticket and returns it with its first event, for the
// store to insert. Errors: invalid, forbidden.
func (s *Service) prepare(actor auth.Actor, n NewTicket) (*Ticket, Event, error) {
	if actor.Role == auth.RoleDepartment {
		return nil, Event{}, errs.E(errs.Forbidden, "departments do not record tickets")
	}
	if err := n.validate(); err != nil {
		return nil, Event{}, err
	}
	now := s.now()
	t := &Ticket{
		Kind: n.Kind, Channel: n.Channel, Status: StatusAccepted,
		Urgency: n.Urgency, Title: n.Title, Content: n.Content, Citizen: n.Citizen,
		Confidential: n.Confidential, Category: n.Category, Region: n.Region,
		CallID: n.CallID, ChatID: n.ChatID, CoDepartments: []string{},
		CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	ev := newEvent(now, actor, 0, "create", "", StatusAccepted, map[string]any{
		"kind": t.Kind, "channel": t.Channel, "urgency": t.Urgency, "title": t.Title, "confidential": t.Confidential})
	ev.Outbox = toCitizen(t, TemplateAccepted)
	return t, ev, nil
}

// visible returns not_found when the actor may not see t: department users
// see only tickets their department leads or supports.
func visible(actor auth.Actor, t *Ticket) error {
	if actor.Role == auth.RoleDepartment && !t.Involves(actor.Department) {
		return ticketNotFound(t.ID)
	}
	if actor.Role == "" {
		return errs.E(errs.Forbidden, "no role")
	}
	return nil
}

// ViewFor returns the ticket as the actor may see it. Department users get
// the citizen masked (Citizen.Masked) and every phone and ID number inside
// the free texts masked too (MaskText).
func ViewFor(actor auth.Actor, t *Ticket) *Ticket {
	if actor.IsStaff() {
		return t
	}
	v := t.Clone()
	v.Citizen = t.Citizen.Masked(t.Confidential)
	v.Title, v.Content, v.Reply = MaskText(t.Title), MaskText(t.Content), MaskText(t.Reply)
	if v.Extension != nil {
		v.Extension.Reason = MaskText(v.Extension.Reason)
	}
	return v
}

// ticketNotFound is the one answer for a ticket that does not exist and
// for one the actor may not see, so that neither message nor status tells
// them apart.
func ticketNotFound(ref any) error { return errs.E(errs.NotFound, "ticket %v not found", ref) }

// sameNotFound answers every not_found as ticketNotFound(ref).
func sameNotFound(err error, ref any) error {
	if errs.Is(err, errs.NotFound) {
		return ticketNotFound(ref)
	}
	return err
}

// Get returns a ticket as the actor may see it. Errors: not_found.
func (s *Service) Get(ctx context.Context, actor auth.Actor, id int64) (*Ticket, error) {
	t, err := s.store.Ticket(ctx, id)
	if err != nil {
		return nil, sameNotFound(err, id)
	}
	if err := visible(actor, t); err != nil {
		return nil, err
	}
	return ViewFor(actor, t), nil
}

// GetByNumber returns a ticket by its number, as the actor may see it.
// Errors: not_found.
func (s *Service) GetByNumber(ctx context.Context, actor auth.Actor, number string) (*Ticket, error) {
	t, err := s.store.TicketByNumber(ctx, number)
	if err != nil {
		return nil, sameNotFound(err, number)
	}
	if err := visible(actor, t); err != nil {
		return nil, sameNotFound(err, number)
	}
	return ViewFor(actor, t), nil
}

// GetRef returns a ticket by its ID or its number (FormatNumber: the
// 14-digit number citizens and departments quote), as the actor may see
// it. Errors: not_found, the same for a ticket the actor may not see as
// for none.
func (s *Service) GetRef(ctx context.Context, actor auth.Actor, ref string) (*Ticket, error) {
	if LooksLikeNumber(ref) {
		return s.GetByNumber(ctx, actor, ref)
	}
	id, err := parseID(ref)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, actor, id)
}

// TicketID returns the ID of the ticket ref names: its ID, or its number,
// which is looked up as the actor may see it. An ID is not looked up: the
// operation that takes it checks it the same way. Errors: not_found, the
// same for a number the actor may not see as for none.
func (s *Service) TicketID(ctx context.Context, actor auth.Actor, ref string) (int64, error) {
	if !LooksLikeNumber(ref) {
		return parseID(ref)
	}
	t, err := s.GetByNumber(ctx, actor, ref)
	if err != nil {
		return 0, err
	}
	return t.ID, nil
}

// parseID reads a ticket ID. Errors: not_found (nothing can have it).
func parseID(ref string) (int64, error) {
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "no ticket %q", ref)
	}
	return id, nil
}

// EventQuery selects a page of a ticket's history, oldest first: events
// after the one with ID After, at most Limit (default 200, at most
// MaxEventPage).
type EventQuery struct {
	After int64
	Limit int
}

// MaxEventPage bounds one page of a ticket's history.
const MaxEventPage = 500

// Events returns a page of a ticket's history and the cursor of the next
// page (0 at the end); department users get the phone and ID numbers in it
// masked and not the staff's own events (a call's rating), so their page
// may hold fewer than the limit. Errors: not_found, invalid (limit).
func (s *Service) Events(ctx context.Context, actor auth.Actor, id int64, q EventQuery) ([]Event, int64, error) {
	if q.Limit <= 0 {
		q.Limit = 200
	}
	if q.Limit > MaxEventPage {
		return nil, 0, errs.E(errs.Invalid, "limit must be at most %d", MaxEventPage)
	}
	if _, err := s.Get(ctx, actor, id); err != nil {
		return nil, 0, err
	}
	evs, err := s.store.Events(ctx, id, q.After, q.Limit+1)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(evs) > q.Limit {
		evs = evs[:q.Limit]
		next = evs[len(evs)-1].ID
	}
	if !actor.IsStaff() {
		evs = slices.DeleteFunc(evs, func(e Event) bool { return staffOnlyEvents[e.Action] })
		for i := range evs {
			evs[i].Payload = MaskPayload(evs[i].Payload)
		}
	}
	return evs, next, nil
}

// ListQuery is what a user asks a ticket list for.
type ListQuery struct {
	Statuses   []Status
	Kinds      []Kind
	Department string
	Query      string // a ticket number, a phone number, or words of the title or content
	// Phone, when not nil, selects one citizen's tickets: an exact match
	// on the phone number, normalised as stored (NormalizePhone). Staff only.
	Phone *string
	// CallbackDue selects the callback list: replied tickets whose
	// callback (回访) is due.
	CallbackDue bool
	Before      int64
	Limit       int
}

// MaxListLimit bounds one page of tickets.
const MaxListLimit = 200

// List returns a page of tickets visible to the actor, newest first, and
// the cursor of the next page (0 when there is none). Errors: invalid,
// forbidden (a department user filtering by phone).
func (s *Service) List(ctx context.Context, actor auth.Actor, q ListQuery) ([]*Ticket, int64, error) {
	f, none, err := s.filterFor(actor, q)
	if err != nil || none {
		return nil, 0, err
	}
	if !actor.IsStaff() && f.Text != "" {
		return s.listAsSeen(ctx, actor, f)
	}
	f.Limit++ // one more tells whether a next page exists
	ts, err := s.store.Tickets(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(ts) == f.Limit {
		ts = ts[:len(ts)-1]
		next = ts[len(ts)-1].ID
	}
	for i, t := range ts {
		ts[i] = ViewFor(actor, t)
	}
	return ts, next, nil
}

// filterFor turns a list query into the store's filter for the actor; none
// is true when nothing can match (q and phone name different phones).
// Errors: invalid, forbidden.
func (s *Service) filterFor(actor auth.Actor, q ListQuery) (f TicketFilter, none bool, err error) {
	f = TicketFilter{Statuses: q.Statuses, Kinds: q.Kinds, Department: q.Department, Before: q.Before, Limit: q.Limit}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxListLimit {
		return f, false, errs.E(errs.Invalid, "limit must be at most %d", MaxListLimit)
	}
	if actor.Role == auth.RoleDepartment {
		f.Involving = actor.Department
	}
	if q.Phone != nil {
		if !actor.IsStaff() {
			// Department users see masked phones; a filter by phone would unmask them.
			return f, false, errs.E(errs.Forbidden, "filtering by phone is for the hotline's staff: department users see citizens' phones masked and cannot search by them")
		}
		if f.Phone, err = NormalizePhone(*q.Phone); err != nil {
			return f, false, errs.E(errs.Invalid, "phone must be a mobile number or a landline with area code: %s", errs.Message(err))
		}
	}
	if q.CallbackDue {
		f.Statuses, f.CallbackDueBy = []Status{StatusReplied}, ptr(s.now())
	}
	query := strings.TrimSpace(q.Query)
	if query == "" {
		return f, false, nil
	}
	if err := maxRunes("q", query, 100); err != nil {
		return f, false, err
	}
	if LooksLikeNumber(query) {
		f.Number = query
	} else if p, err := NormalizePhone(query); err == nil && actor.IsStaff() {
		if f.Phone != "" && f.Phone != p {
			return f, true, nil
		}
		f.Phone = p
	} else {
		// Department users see masked phones, so for them a phone in q is
		// searched as text, in the texts as they see them (listAsSeen).
		f.Text = query
	}
	return f, false, nil
}

// maxSeenScan bounds the tickets one department text search reads.
const maxSeenScan = 2000

// listAsSeen is a department's text search: it matches the texts as the
// department sees them, masked. The database matches the texts as written,
// so a search for digits masked in the department's view (the middle of a
// phone number in the content) would otherwise tell them; such matches are
// dropped, and the cursor comes from what is shown, reading further pages
// until the page is full (up to maxSeenScan tickets), so that neither the
// tickets nor the cursor tell of a dropped match.
func (s *Service) listAsSeen(ctx context.Context, actor auth.Actor, f TicketFilter) ([]*Ticket, int64, error) {
	limit := f.Limit
	f.Limit = max(limit+1, 100)
	var out []*Ticket
	for scanned := 0; ; {
		ts, err := s.store.Tickets(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		for _, t := range ts {
			if v := ViewFor(actor, t); showsText(v, f.Text) {
				out = append(out, v)
			}
			if len(out) > limit {
				return out[:limit], out[limit-1].ID, nil
			}
		}
		scanned += len(ts)
		if len(ts) < f.Limit {
			return out, 0, nil
		}
		f.Before = ts[len(ts)-1].ID
		if scanned >= maxSeenScan {
			return out, f.Before, nil
		}
	}
}

// showsText reports whether a ticket as a department sees it holds the
// searched text (ILIKE's case folding).
func showsText(v *Ticket, text string) bool {
	return strings.Contains(strings.ToLower(v.Title+" "+v.Content), strings.ToLower(text))
}

// CountOpen counts the tickets in each open status, for metrics: a walk
// of the status index over the live backlog, never over the closed
// history, which grows without bound.
func (s *Service) CountOpen(ctx context.Context) (map[Status]int, error) {
	return s.store.CountByStatus(ctx, OpenStatuses...)
}
