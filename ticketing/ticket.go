// Package ticketing owns the unified ticket (工单): its kinds and statuses,
// the workflow rules of who may do what when, citizen data and its masking,
// the working-day calendar, statutory deadlines, departments and the
// dispatch catalogue. It is pure Go: persistence is behind Store.
package ticketing

import (
	"slices"
	"time"

	"github.com/open12345/hotline/errs"
)

// Kind is the type of request (诉求类型).
type Kind string

// The request kinds.
const (
	KindConsultation Kind = "consultation" // 咨询
	KindHelp         Kind = "help"         // 求助
	KindComplaint    Kind = "complaint"    // 投诉
	KindReport       Kind = "report"       // 举报
	KindSuggestion   Kind = "suggestion"   // 建议
	KindPraise       Kind = "praise"       // 表扬
)

// Kinds lists every kind.
var Kinds = []Kind{KindConsultation, KindHelp, KindComplaint, KindReport, KindSuggestion, KindPraise}

// Channel is how the request reached the hotline.
type Channel string

// The channels.
const (
	ChannelPhone   Channel = "phone"
	ChannelWebchat Channel = "webchat"
	ChannelWeb     Channel = "web"
	ChannelAPI     Channel = "api"
)

// Channels lists every channel.
var Channels = []Channel{ChannelPhone, ChannelWebchat, ChannelWeb, ChannelAPI}

// Urgency selects the signing and completion limits.
type Urgency string

// The urgencies.
const (
	UrgencyNormal  Urgency = "normal"
	UrgencyUtility Urgency = "utility" // water, power, gas, heating
	UrgencyUrgent  Urgency = "urgent"  // threat to life or property
)

// Urgencies lists every urgency.
var Urgencies = []Urgency{UrgencyNormal, UrgencyUtility, UrgencyUrgent}

// Status is where a ticket stands in the closed loop.
type Status string

// The statuses.
const (
	StatusAccepted   Status = "accepted"    // 受理: recorded, not yet with a department
	StatusDispatched Status = "dispatched"  // 派单: waiting for the department to sign
	StatusInProgress Status = "in_progress" // 签收/办理: the department is handling it
	StatusReturned   Status = "returned"    // 退单: the department sent it back
	StatusReplied    Status = "replied"     // 答复: the department answered; waiting for callback
	StatusClosed     Status = "closed"      // 办结
	StatusMerged     Status = "merged"      // 并单: a duplicate of another ticket
	StatusRejected   Status = "rejected"    // 不予受理: not a valid request
)

// Statuses lists every status.
var Statuses = []Status{StatusAccepted, StatusDispatched, StatusInProgress, StatusReturned,
	StatusReplied, StatusClosed, StatusMerged, StatusRejected}

// OpenStatuses are the statuses a ticket waits in for someone's work; the
// rest (closed, merged, rejected) are final.
var OpenStatuses = []Status{StatusAccepted, StatusDispatched, StatusInProgress, StatusReturned, StatusReplied}

// ParseKind returns the kind named s; invalid if unknown.
func ParseKind(s string) (Kind, error) { return parseEnum(Kinds, s, "kind") }

// ParseChannel returns the channel named s; invalid if unknown.
func ParseChannel(s string) (Channel, error) { return parseEnum(Channels, s, "channel") }

// ParseUrgency returns the urgency named s; invalid if unknown.
func ParseUrgency(s string) (Urgency, error) { return parseEnum(Urgencies, s, "urgency") }

// ParseStatus returns the status named s; invalid if unknown.
func ParseStatus(s string) (Status, error) { return parseEnum(Statuses, s, "status") }

func parseEnum[T ~string](all []T, s, what string) (T, error) {
	if slices.Contains(all, T(s)) {
		return T(s), nil
	}
	return "", errs.E(errs.Invalid, "unknown %s %q (want one of %v)", what, s, all)
}

// Ticket is the unified ticket: one citizen request and its handling.
type Ticket struct {
	ID            int64
	Number        string // human-readable, unique, sortable by date
	Kind          Kind
	Channel       Channel
	Status        Status
	Urgency       Urgency
	Title         string
	Content       string
	Citizen       Citizen
	Confidential  bool
	Category      string
	Region        string
	CallID        string
	ChatID        string
	Department    string   // lead department (主办), while dispatched
	CoDepartments []string // supporting departments (协办)

	DispatchedAt *time.Time
	SignDueAt    *time.Time
	SignedAt     *time.Time
	DueAt        *time.Time
	RepliedAt    *time.Time
	ClosedAt     *time.Time
	Reply        string
	GuideCode    string // the matter guide a consultation was answered with

	DispatchCount int
	ReturnCount   int
	ReopenCount   int
	UrgeCount     int
	Extension     *Extension // a pending extension request

	// Supervision (督办): when the warning is due, and when the sweep
	// recorded the warning, the overdue completion and the overdue signing.
	WarnAt        *time.Time
	WarnedAt      *time.Time
	OverdueAt     *time.Time
	SignOverdueAt *time.Time
	// Callback (回访): due the working day after the reply; notified once.
	CallbackDueAt      *time.Time
	CallbackNotifiedAt *time.Time

	Satisfaction *int  // 1..5 from the callback
	Satisfied    *bool // the citizen's verdict at callback
	CallbackAt   *time.Time
	MergedInto   *int64

	CreatedBy int64 // user ID; 0 for citizens and the system
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int // incremented by every change
}

// Extension is a department's pending request for more time (延期).
type Extension struct {
	Days        int       `json:"days"`
	Reason      string    `json:"reason"`
	RequestedAt time.Time `json:"requested_at"`
	RequestedBy string    `json:"requested_by"`
}

// Terminal reports whether nothing more can happen to the ticket but notes.
func (t *Ticket) Terminal() bool {
	return t.Status == StatusClosed || t.Status == StatusMerged || t.Status == StatusRejected
}

// Involves reports whether a department is the lead or a supporting
// department of the ticket.
func (t *Ticket) Involves(department string) bool {
	return department != "" && (t.Department == department || slices.Contains(t.CoDepartments, department))
}

// Clone returns a deep copy, so a rejected change leaves the original intact.
func (t *Ticket) Clone() *Ticket {
	c := *t
	c.CoDepartments = slices.Clone(t.CoDepartments)
	if t.Extension != nil {
		e := *t.Extension
		c.Extension = &e
	}
	return &c
}

// Event is one entry of a ticket's append-only history.
type Event struct {
	ID        int64
	TicketID  int64
	At        time.Time
	ActorID   int64 // 0 for the system and citizens
	ActorName string
	// ActorDisplayName is the account's display name (话务员一号), read with
	// the history; "" for the system and citizens.
	ActorDisplayName string
	ActorRole        string
	Department       string // the actor's department, for department users
	Action           string
	From             Status // status before ("" on creation)
	To               Status // status after
	Payload          map[string]any
	// Outbox lists the messages the event sends to departments, staff and
	// the citizen. The store writes them to the outbox in the same
	// transaction as the event, so none is lost and none is sent for a
	// change that did not commit. They are not part of the history.
	Outbox []Message
}
