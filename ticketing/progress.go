package ticketing

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/open12345/hotline/errs"
)

// Progress is what a citizen sees of their ticket (办件进度): where it
// stands, the public steps with the departments' names, the reply and the
// rating they gave. No internal notes, no staff names, and phone and ID
// numbers in texts masked, since a number and a phone prove less than a
// login.
type Progress struct {
	Number     string    `json:"number"`
	Kind       Kind      `json:"kind"`
	Title      string    `json:"title"`
	Status     Status    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	Department string    `json:"department"` // the lead department's name while it has the ticket
	// DepartmentCode is the lead department's code, for the IVR's
	// recording of its name; not shown on the web.
	DepartmentCode string         `json:"-"`
	DueAt          *time.Time     `json:"due_at"`
	Reply          string         `json:"reply"`
	RepliedAt      *time.Time     `json:"replied_at"`
	ClosedAt       *time.Time     `json:"closed_at"`
	Satisfaction   *int           `json:"satisfaction"`
	MergedInto     string         `json:"merged_into,omitempty"` // the number of the ticket it was merged into
	Timeline       []ProgressStep `json:"timeline"`
}

// ProgressStep is one public step of a ticket.
type ProgressStep struct {
	At         time.Time `json:"at"`
	Step       string    `json:"step"`                 // accepted, dispatched, signed, extended, replied, rated, reopened, closed, rejected, merged
	Department string    `json:"department,omitempty"` // its name, for dispatched, signed and replied
	Text       string    `json:"text,omitempty"`       // the reason of a rejection
}

// publicSteps names the history's actions a citizen is shown.
var publicSteps = map[string]string{
	"create": "accepted", string(ActionDispatch): "dispatched", string(ActionSign): "signed",
	string(ActionApproveExtension): "extended", string(ActionReply): "replied", string(ActionCallback): "rated",
	string(ActionReopen): "reopened", string(ActionCloseDirectly): "closed", string(ActionClose): "closed",
	string(ActionReject): "rejected", string(ActionMerge): "merged",
}

// errNoProgress is the one answer for a number that does not exist and
// for a phone that does not match it.
var errNoProgress = errs.E(errs.NotFound, "no ticket has this number and phone")

// Progress returns the progress of the ticket numbered number to the
// citizen with phone (any spelling NormalizePhone accepts). A missing
// number and a wrong phone take the same work (one lookup by primary key)
// and give the same answer. Errors: not_found, invalid (a malformed phone).
func (s *Service) Progress(ctx context.Context, number, phone string) (*Progress, error) {
	p, err := NormalizePhone(phone)
	if err != nil {
		return nil, err
	}
	return s.progress(ctx, number, func(t *Ticket) bool { return samePhone(t.Citizen.Phone, p) })
}

// PhoneProgress returns the progress of the ticket numbered number to a
// caller of the hotline (IVR key 4): with last4 empty when the calling
// number callerPhone is the ticket's citizen phone, else when last4 is
// the last four digits of that phone. A missing number, a wrong or
// anonymous calling number and wrong last four digits take the same work
// and give the same answer. Errors: not_found, unavailable.
func (s *Service) PhoneProgress(ctx context.Context, number, callerPhone, last4 string) (*Progress, error) {
	match := func(t *Ticket) bool {
		p, err := NormalizePhone(callerPhone)
		return err == nil && samePhone(t.Citizen.Phone, p)
	}
	if last4 != "" {
		match = func(t *Ticket) bool {
			phone := t.Citizen.Phone
			return len(last4) == 4 && len(phone) >= 4 && samePhone(phone[len(phone)-4:], last4)
		}
	}
	return s.progress(ctx, number, match)
}

// samePhone compares two phones (or parts) in constant time.
func samePhone(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// progress returns the progress of the ticket numbered number if match
// accepts it; errNoProgress for no ticket and for one match refuses.
func (s *Service) progress(ctx context.Context, number string, match func(*Ticket) bool) (*Progress, error) {
	t, err := s.store.TicketByNumber(ctx, number)
	if errs.Is(err, errs.NotFound) {
		return nil, errNoProgress
	}
	if err != nil {
		return nil, fmt.Errorf("progress of %s: %w", number, err)
	}
	if !match(t) {
		return nil, errNoProgress
	}
	evs, err := s.store.Events(ctx, t.ID, 0, 2*MaxEventPage)
	if err != nil {
		return nil, fmt.Errorf("progress of %s: %w", number, err)
	}
	depts, err := s.store.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("progress of %s: %w", number, err)
	}
	names := make(map[string]string, len(depts))
	for _, d := range depts {
		names[d.Code] = d.Name
	}
	return progressOf(t, evs, names, s.loc), nil
}

// Deadline is the deadline a citizen is told: the handling deadline
// while a department has the ticket (dispatched or in progress); nil
// before dispatch, after the reply and for a ticket with none.
func (p *Progress) Deadline() *time.Time {
	if p.Status != StatusDispatched && p.Status != StatusInProgress {
		return nil
	}
	return p.DueAt
}

// progressOf builds the citizen's view from the ticket and its history.
func progressOf(t *Ticket, evs []Event, names map[string]string, loc *time.Location) *Progress {
	p := &Progress{Number: t.Number, Kind: t.Kind, Title: MaskText(t.Title), Status: t.Status,
		CreatedAt: t.CreatedAt.In(loc), DueAt: inZone(t.DueAt, loc), Reply: MaskText(t.Reply),
		RepliedAt: inZone(t.RepliedAt, loc), ClosedAt: inZone(t.ClosedAt, loc), Satisfaction: t.Satisfaction,
		Department: names[t.Department], DepartmentCode: t.Department, Timeline: []ProgressStep{}}
	for _, e := range evs {
		step, ok := publicSteps[e.Action]
		if !ok {
			continue
		}
		ps := ProgressStep{At: e.At.In(loc), Step: step}
		switch step {
		case "dispatched":
			code, _ := e.Payload["department"].(string)
			ps.Department = names[code]
		case "signed", "replied":
			ps.Department = names[e.Department]
		case "rejected":
			reason, _ := e.Payload["reason"].(string)
			ps.Text = MaskText(reason)
		case "merged":
			p.MergedInto, _ = e.Payload["into_number"].(string)
		}
		p.Timeline = append(p.Timeline, ps)
	}
	return p
}
