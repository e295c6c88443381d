package agentui

import (
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/ticketing"
)

// ticketView is the JSON form of a ticket; times are in the hotline's zone.
type ticketView struct {
	ID               int64                `json:"id"`
	Number           string               `json:"number"`
	Kind             ticketing.Kind       `json:"kind"`
	Channel          ticketing.Channel    `json:"channel"`
	Status           ticketing.Status     `json:"status"`
	Urgency          ticketing.Urgency    `json:"urgency"`
	Title            string               `json:"title"`
	Content          string               `json:"content"`
	Citizen          ticketing.Citizen    `json:"citizen"`
	Confidential     bool                 `json:"confidential"`
	Category         string               `json:"category"`
	Region           string               `json:"region"`
	CallID           string               `json:"call_id"`
	ChatID           string               `json:"chat_id"`
	Department       string               `json:"department"`
	CoDepartments    []string             `json:"co_departments"`
	DispatchedAt     *time.Time           `json:"dispatched_at"`
	SignDueAt        *time.Time           `json:"sign_due_at"`
	SignedAt         *time.Time           `json:"signed_at"`
	DueAt            *time.Time           `json:"due_at"`
	RepliedAt        *time.Time           `json:"replied_at"`
	ClosedAt         *time.Time           `json:"closed_at"`
	Reply            string               `json:"reply"`
	DispatchCount    int                  `json:"dispatch_count"`
	ReturnCount      int                  `json:"return_count"`
	ReopenCount      int                  `json:"reopen_count"`
	UrgeCount        int                  `json:"urge_count"`
	PendingExtension *ticketing.Extension `json:"pending_extension"`
	Satisfaction     *int                 `json:"satisfaction"`
	Satisfied        *bool                `json:"satisfied"`
	CallbackAt       *time.Time           `json:"callback_at"`
	MergedInto       *int64               `json:"merged_into"`
	CreatedAt        time.Time            `json:"created_at"`
	UpdatedAt        time.Time            `json:"updated_at"`
	Version          int                  `json:"version"`
}

func inZone(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	l := t.In(loc)
	return &l
}

func viewTicket(t *ticketing.Ticket, loc *time.Location) ticketView {
	co := t.CoDepartments
	if co == nil {
		co = []string{}
	}
	return ticketView{
		ID: t.ID, Number: t.Number, Kind: t.Kind, Channel: t.Channel, Status: t.Status, Urgency: t.Urgency,
		Title: t.Title, Content: t.Content, Citizen: t.Citizen, Confidential: t.Confidential,
		Category: t.Category, Region: t.Region, CallID: t.CallID, ChatID: t.ChatID,
		Department: t.Department, CoDepartments: co,
		DispatchedAt: inZone(t.DispatchedAt, loc), SignDueAt: inZone(t.SignDueAt, loc), SignedAt: inZone(t.SignedAt, loc),
		DueAt: inZone(t.DueAt, loc), RepliedAt: inZone(t.RepliedAt, loc), ClosedAt: inZone(t.ClosedAt, loc),
		Reply: t.Reply, DispatchCount: t.DispatchCount, ReturnCount: t.ReturnCount, ReopenCount: t.ReopenCount,
		UrgeCount: t.UrgeCount, PendingExtension: t.Extension, Satisfaction: t.Satisfaction, Satisfied: t.Satisfied,
		CallbackAt: inZone(t.CallbackAt, loc), MergedInto: t.MergedInto,
		CreatedAt: t.CreatedAt.In(loc), UpdatedAt: t.UpdatedAt.In(loc), Version: t.Version,
	}
}

type actorView struct {
	ID         int64  `json:"id,omitempty"`
	Username   string `json:"username"`
	Role       string `json:"role,omitempty"`
	Department string `json:"department,omitempty"`
}

type eventView struct {
	ID       int64            `json:"id"`
	TicketID int64            `json:"ticket_id"`
	At       time.Time        `json:"at"`
	Actor    actorView        `json:"actor"`
	Action   string           `json:"action"`
	From     ticketing.Status `json:"from"`
	To       ticketing.Status `json:"to"`
	Payload  map[string]any   `json:"payload"`
}

func viewEvent(e ticketing.Event, loc *time.Location) eventView {
	return eventView{ID: e.ID, TicketID: e.TicketID, At: e.At.In(loc),
		Actor:  actorView{ID: e.ActorID, Username: e.ActorName, Role: e.ActorRole, Department: e.Department},
		Action: e.Action, From: e.From, To: e.To, Payload: e.Payload}
}

type userView struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        auth.Role `json:"role"`
	Department  string    `json:"department,omitempty"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

func viewUser(u *auth.User, loc *time.Location) userView {
	return userView{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role,
		Department: u.Department, Disabled: u.Disabled, CreatedAt: u.CreatedAt.In(loc)}
}

// page is one page of a list and the cursor of the next ("" at the end).
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
