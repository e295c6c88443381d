package ticketing

import "time"

// View is the JSON form of a ticket, as the API and webhooks show it;
// times are in the hotline's zone. Build it from ViewFor's result, so that
// department users get the masked citizen.
type View struct {
	ID               int64      `json:"id"`
	Number           string     `json:"number"`
	Kind             Kind       `json:"kind"`
	Channel          Channel    `json:"channel"`
	Status           Status     `json:"status"`
	Urgency          Urgency    `json:"urgency"`
	Title            string     `json:"title"`
	Content          string     `json:"content"`
	Citizen          Citizen    `json:"citizen"`
	Confidential     bool       `json:"confidential"`
	Category         string     `json:"category"`
	Region           string     `json:"region"`
	CallID           string     `json:"call_id"`
	ChatID           string     `json:"chat_id"`
	Department       string     `json:"department"`
	CoDepartments    []string   `json:"co_departments"`
	DispatchedAt     *time.Time `json:"dispatched_at"`
	SignDueAt        *time.Time `json:"sign_due_at"`
	SignedAt         *time.Time `json:"signed_at"`
	DueAt            *time.Time `json:"due_at"`
	RepliedAt        *time.Time `json:"replied_at"`
	ClosedAt         *time.Time `json:"closed_at"`
	Reply            string     `json:"reply"`
	GuideCode        string     `json:"guide_code,omitempty"`
	DispatchCount    int        `json:"dispatch_count"`
	ReturnCount      int        `json:"return_count"`
	ReopenCount      int        `json:"reopen_count"`
	UrgeCount        int        `json:"urge_count"`
	PendingExtension *Extension `json:"pending_extension"`
	Satisfaction     *int       `json:"satisfaction"`
	Satisfied        *bool      `json:"satisfied"`
	WarnAt           *time.Time `json:"warn_at"`
	WarnedAt         *time.Time `json:"warned_at"`
	OverdueAt        *time.Time `json:"overdue_at"`
	SignOverdueAt    *time.Time `json:"sign_overdue_at"`
	CallbackDueAt    *time.Time `json:"callback_due_at"`
	CallbackAt       *time.Time `json:"callback_at"`
	MergedInto       *int64     `json:"merged_into"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	Version          int        `json:"version"`
}

func inZone(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	l := t.In(loc)
	return &l
}

// NewView returns the JSON form of t with times in loc.
func NewView(t *Ticket, loc *time.Location) View {
	co := t.CoDepartments
	if co == nil {
		co = []string{}
	}
	return View{
		ID: t.ID, Number: t.Number, Kind: t.Kind, Channel: t.Channel, Status: t.Status, Urgency: t.Urgency,
		Title: t.Title, Content: t.Content, Citizen: t.Citizen, Confidential: t.Confidential,
		Category: t.Category, Region: t.Region, CallID: t.CallID, ChatID: t.ChatID,
		Department: t.Department, CoDepartments: co,
		DispatchedAt: inZone(t.DispatchedAt, loc), SignDueAt: inZone(t.SignDueAt, loc), SignedAt: inZone(t.SignedAt, loc),
		DueAt: inZone(t.DueAt, loc), RepliedAt: inZone(t.RepliedAt, loc), ClosedAt: inZone(t.ClosedAt, loc),
		Reply: t.Reply, GuideCode: t.GuideCode, DispatchCount: t.DispatchCount, ReturnCount: t.ReturnCount, ReopenCount: t.ReopenCount,
		UrgeCount: t.UrgeCount, PendingExtension: t.Extension, Satisfaction: t.Satisfaction, Satisfied: t.Satisfied,
		WarnAt: inZone(t.WarnAt, loc), WarnedAt: inZone(t.WarnedAt, loc), OverdueAt: inZone(t.OverdueAt, loc),
		SignOverdueAt: inZone(t.SignOverdueAt, loc), CallbackDueAt: inZone(t.CallbackDueAt, loc),
		CallbackAt: inZone(t.CallbackAt, loc), MergedInto: t.MergedInto,
		CreatedAt: t.CreatedAt.In(loc), UpdatedAt: t.UpdatedAt.In(loc), Version: t.Version,
	}
}
