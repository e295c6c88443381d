package agentui

import (
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/ticketing"
)

type actorView struct {
	ID          int64  `json:"id,omitempty"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name,omitempty"`
	Role        string `json:"role,omitempty"`
	Department  string `json:"department,omitempty"`
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
		Actor: actorView{ID: e.ActorID, Username: e.ActorName, DisplayName: e.ActorDisplayName,
			Role: e.ActorRole, Department: e.Department},
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
