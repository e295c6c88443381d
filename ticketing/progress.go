package ticketing

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/open12345/hotline/errs"
)

// Progress is what a citizen sees of their ticket (办件进度): where it
// stands, the public steps with the departments' names, the reply and the
// rating they gave. No internal notes, no staff names, and phone and ID
// numbers in texts masked, since a number and a phone prove less than a
// login.
type Progress struct {
	Number       string         `json:"number"`
	Kind         Kind           `json:"kind"`
	Title        string         `json:"title"`
	Status       Status         `json:"status"`
	CreatedAt    time.Time      `json:"created_at"`
	Department   string         `json:"department"` // the lead department's name while it has the ticket
	DueAt        *time.Time     `json:"due_at"`
	Reply        string         `json:"reply"`
	RepliedAt    *time.Time     `json:"replied_at"`
	ClosedAt     *time.Time     `json:"closed_at"`
	Satisfaction *int           `json:"satisfaction"`
	MergedInto   string         `json:"merged_into,omitempty"` // the number of the ticket it was merged into
	Timeline     []ProgressStep `json:"timeline"`
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
	t, err := s.store.TicketByNumber(ctx, number)
	if errs.Is(err, errs.NotFound) {
		return nil, errNoProgress
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(t.Citizen.Phone), []byte(p)) != 1 {
		return nil, errNoProgress
	}
	evs, err := s.store.Events(ctx, t.ID, 0, 2*MaxEventPage)
	if err != nil {
		return nil, err
	}
	depts, err := s.store.Departments(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(depts))
	for _, d := range depts {
		names[d.Code] = d.Name
	}
	return progressOf(t, evs, names, s.loc), nil
}

// progressOf builds the citizen's view from the ticket and its history.
func progressOf(t *Ticket, evs []Event, names map[string]string, loc *time.Location) *Progress {
	p := &Progress{Number: t.Number, Kind: t.Kind, Title: MaskText(t.Title), Status: t.Status,
		CreatedAt: t.CreatedAt.In(loc), DueAt: inZone(t.DueAt, loc), Reply: MaskText(t.Reply),
		RepliedAt: inZone(t.RepliedAt, loc), ClosedAt: inZone(t.ClosedAt, loc), Satisfaction: t.Satisfaction,
		Department: names[t.Department], Timeline: []ProgressStep{}}
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
