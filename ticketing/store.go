package ticketing

import (
	"context"
	"time"
)

// TicketFilter selects tickets for a list, newest first.
type TicketFilter struct {
	Statuses               []Status
	Kinds                  []Kind
	Department             string // lead department
	Involving              string // lead or supporting department (department users see only these)
	Number                 string // exact ticket number
	Phone                  string // exact normalised citizen phone
	Text                   string // substring of title or content
	CreatedFrom, CreatedTo *time.Time
	CallbackDueBy          *time.Time // replied tickets whose callback is due by then
	Before                 int64      // cursor: only tickets with a smaller ID
	Limit                  int
}

// Store persists tickets and the reference data of ticketing. Every method
// returns not_found for a missing item and unavailable when the database
// cannot be reached.
type Store interface {
	// CreateTicket inserts t and its first event atomically, and sets the
	// ticket's new ID and its number, FormatNumber(t.CreatedAt, ID).
	CreateTicket(ctx context.Context, t *Ticket, ev Event) error
	// CreateTicketOnce is CreateTicket under an idempotency key: if the key
	// of idem's scope already names a ticket created after since, nothing
	// is inserted and the first ticket's ID is returned (0 when t was
	// created); conflict if that key was used for another request.
	CreateTicketOnce(ctx context.Context, t *Ticket, ev Event, idem Idempotency, since time.Time) (int64, error)
	// IdempotentTicket returns the ID of the ticket idem's key names if it
	// was created after since (0 if none); conflict if the key was used
	// for another request.
	IdempotentTicket(ctx context.Context, idem Idempotency, since time.Time) (int64, error)
	// Ticket returns one ticket.
	Ticket(ctx context.Context, id int64) (*Ticket, error)
	// TicketByNumber returns the ticket with the number.
	TicketByNumber(ctx context.Context, number string) (*Ticket, error)
	// Tickets lists tickets matching f, newest first, at most f.Limit.
	Tickets(ctx context.Context, f TicketFilter) ([]*Ticket, error)
	// CountByStatus counts tickets in each of statuses (every status if
	// none is given).
	CountByStatus(ctx context.Context, statuses ...Status) (map[Status]int, error)
	// Events returns up to limit events of a ticket's history with IDs
	// above after, oldest first.
	Events(ctx context.Context, ticketID, after int64, limit int) ([]Event, error)
	// UpdateTickets locks the tickets with ids (in ID order, so concurrent
	// updates cannot deadlock), passes them to fn in the order of ids, and
	// saves them and the events fn returns in one transaction. An error from
	// fn rolls everything back and is returned as is.
	UpdateTickets(ctx context.Context, ids []int64, fn func(ts []*Ticket) ([]Event, error)) ([]*Ticket, error)
	// AppendEventOnce appends ev to the history of ticket ev.TicketID
	// without changing the ticket, with the ticket's status as ev's From
	// and To, unless the history already holds an event of ev.Action whose
	// payload contains once; the ticket's row lock orders concurrent calls.
	AppendEventOnce(ctx context.Context, ev Event, once map[string]any) error
	// SupervisionDue returns up to limit IDs of tickets with a supervision
	// step due at now and not yet recorded (see Supervise), oldest first.
	SupervisionDue(ctx context.Context, now time.Time, limit int) ([]int64, error)

	// Departments lists every department ordered by code.
	Departments(ctx context.Context) ([]Department, error)
	// GuideExists reports whether a published matter guide has code.
	GuideExists(ctx context.Context, code string) (bool, error)
	// Department returns one department.
	Department(ctx context.Context, code string) (Department, error)
	// CreateDepartment inserts a department; conflict if the code is taken,
	// invalid if its parent is unknown.
	CreateDepartment(ctx context.Context, d Department) error
	// SaveDepartment inserts or updates a department; invalid if its parent is unknown.
	SaveDepartment(ctx context.Context, d Department) error

	// CalendarYears returns the stored calendars of the years in [from, to].
	CalendarYears(ctx context.Context, from, to int) ([]Year, error)
	// SaveCalendarYear replaces the stored calendar of a year.
	SaveCalendarYear(ctx context.Context, y Year) error

	// Policies returns the stored deadline policies; ok is false if none are stored.
	Policies(ctx context.Context) (p Policies, ok bool, err error)
	// SavePolicies replaces the deadline policies.
	SavePolicies(ctx context.Context, p Policies) error

	// Catalogue returns the dispatch catalogue (empty if none is stored).
	Catalogue(ctx context.Context) (Catalogue, error)
	// SaveCatalogue replaces the dispatch catalogue.
	SaveCatalogue(ctx context.Context, c Catalogue) error

	// AddAttachment records a.TicketID's attachment a and sets a.ID, in one
	// transaction that locks the ticket: after the insert it passes the
	// ticket, a and what the ticket held before to fn, which checks the
	// rules, may change the ticket and returns the event to append; the
	// ticket is saved with the event. An error from fn rolls everything
	// back and is returned as is.
	AddAttachment(ctx context.Context, a *Attachment, fn func(t *Ticket, a *Attachment, held AttachmentTotals) (Event, error)) error
	// Attachments lists a ticket's attachments, oldest first.
	Attachments(ctx context.Context, ticketID int64) ([]Attachment, error)
	// Attachment returns one attachment.
	Attachment(ctx context.Context, id int64) (Attachment, error)
}
