// Package screenpop is what an agent sees of a caller before answering:
// the caller's past tickets, calls and web chats, found by phone number.
// It composes the ticket list and the call and chat histories behind
// small interfaces.
package screenpop

import (
	"context"
	"fmt"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/ticketing"
)

// Limit is how many past tickets, and how many past calls, a screen pop shows.
const Limit = 10

// Reader is the actor the screen pop reads tickets as: the system
// (auth.System, a reserved name no account can take) with an agent's
// view, since the screen pop is shown to the agents a contact rings for
// and holds what any agent may read. Reading appends no history.
var Reader = auth.Actor{Username: auth.System.Username, Role: auth.RoleAgent}

// History is a caller's screen pop. Phone is the caller as normalised, or
// as given when it is not a phone number (a chat name), which has no history.
type History struct {
	Phone   string   `json:"phone"`
	Tickets []Ticket `json:"tickets"`
	Calls   []Call   `json:"calls"`
	Chats   []Chat   `json:"chats"`
}

// Chat is a past web chat of the citizen, as the web chat recorded it.
type Chat struct {
	ID        int64     `json:"id"`
	StartedAt time.Time `json:"started_at"`
	// Outcome is how the chat ended: bot_only, answered, abandoned,
	// left_message; empty while it is open.
	Outcome string `json:"outcome,omitempty"`
	Agent   string `json:"agent,omitempty"`
	Ticket  string `json:"ticket,omitempty"` // the number of the ticket made from it
}

// ChatHistory returns a phone's latest web chats, newest first, at most
// limit. The web chat implements it.
type ChatHistory interface {
	Chats(ctx context.Context, phone string, limit int) ([]Chat, error)
}

// Ticket is a past ticket of the caller.
type Ticket struct {
	ID         int64            `json:"id"`
	Number     string           `json:"number"`
	Kind       ticketing.Kind   `json:"kind"`
	Status     ticketing.Status `json:"status"`
	Title      string           `json:"title"`
	Department string           `json:"department,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
}

// Call is a past call of the caller, as the telephony channel recorded it.
type Call struct {
	ID        string    `json:"id"`
	StartedAt time.Time `json:"started_at"`
	// Outcome is how the call ended: answered, abandoned, ivr (served by
	// the voice menu), voicemail, …
	Outcome     string `json:"outcome"`
	Queue       string `json:"queue,omitempty"`
	Agent       string `json:"agent,omitempty"`
	TalkSeconds int    `json:"talk_seconds"`
}

// Tickets lists tickets as an actor may see them (ticketing.Service).
type Tickets interface {
	List(ctx context.Context, actor auth.Actor, q ticketing.ListQuery) ([]*ticketing.Ticket, int64, error)
}

// CallHistory returns a phone number's latest calls, newest first, at most
// limit. The telephony channel implements it.
type CallHistory interface {
	Calls(ctx context.Context, phone string, limit int) ([]Call, error)
}

// NoCalls is the CallHistory of a hotline that records no calls: it
// returns none. It serves until the telephony channel keeps call records;
// it is not a stand-in for them, there are none.
type NoCalls struct{}

// Calls returns no calls.
func (NoCalls) Calls(context.Context, string, int) ([]Call, error) { return nil, nil }

// Finder builds screen pops.
type Finder struct {
	tickets Tickets
	calls   CallHistory
	chats   ChatHistory // nil: no web chat
	loc     *time.Location
}

// NewFinder returns a Finder over the ticket list and the call history;
// times are shown in loc.
func NewFinder(tickets Tickets, calls CallHistory, loc *time.Location) *Finder {
	return &Finder{tickets: tickets, calls: calls, loc: loc}
}

// WithChats returns the finder listing past web chats from chats too.
func (f *Finder) WithChats(chats ChatHistory) *Finder {
	g := *f
	g.chats = chats
	return &g
}

// Find returns the latest tickets, calls and chats of the caller's phone; a
// caller that is not a phone number has empty lists. Errors: those of the
// ticket list and the call history.
func (f *Finder) Find(ctx context.Context, caller string) (History, error) {
	h := History{Phone: caller, Tickets: []Ticket{}, Calls: []Call{}, Chats: []Chat{}}
	phone, err := ticketing.NormalizePhone(caller)
	if err != nil || phone == "" {
		return h, nil
	}
	h.Phone = phone
	ts, _, err := f.tickets.List(ctx, Reader, ticketing.ListQuery{Phone: &phone, Limit: Limit})
	if err != nil {
		return h, fmt.Errorf("screen pop tickets: %w", err)
	}
	for _, t := range ts {
		h.Tickets = append(h.Tickets, Ticket{ID: t.ID, Number: t.Number, Kind: t.Kind, Status: t.Status,
			Title: t.Title, Department: t.Department, CreatedAt: t.CreatedAt.In(f.loc)})
	}
	calls, err := f.calls.Calls(ctx, phone, Limit)
	if err != nil {
		return h, fmt.Errorf("screen pop calls: %w", err)
	}
	for _, c := range calls {
		c.StartedAt = c.StartedAt.In(f.loc)
		h.Calls = append(h.Calls, c)
	}
	if f.chats == nil {
		return h, nil
	}
	chats, err := f.chats.Chats(ctx, phone, Limit)
	if err != nil {
		return h, fmt.Errorf("screen pop chats: %w", err)
	}
	for _, c := range chats {
		c.StartedAt = c.StartedAt.In(f.loc)
		h.Chats = append(h.Chats, c)
	}
	return h, nil
}
