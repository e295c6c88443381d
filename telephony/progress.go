package telephony

import (
	"context"
	"time"
)

// TicketProgress is what the IVR reads back of a ticket (menu action
// progress).
type TicketProgress struct {
	// Status is the ticket's status as the ticketing package names it
	// (accepted, dispatched, in_progress, …); its prompt is status_<status>.
	Status string
	// Department is the lead department's name and DepartmentCode its
	// code ("" for none); the IVR says the name from the recording
	// department_<code> when there is one.
	Department     string
	DepartmentCode string
	// DueAt is the handling deadline the caller is told, in the hotline's
	// time zone; nil when there is none to tell.
	DueAt *time.Time
}

// ProgressLookup finds a ticket's progress for a caller of the hotline.
type ProgressLookup interface {
	// Progress returns the progress of the ticket numbered number if its
	// citizen's phone is callerPhone (the calling number) when last4 is
	// empty, or ends in last4 otherwise. Errors: not_found, the same for
	// a number that does not exist and for a phone that does not match;
	// unavailable.
	Progress(ctx context.Context, number, callerPhone, last4 string) (TicketProgress, error)
}

// Bounds of a progress lookup by phone: the keys of a ticket number, and
// the lookups a call may get wrong (wrong number or wrong last four
// digits, counted together) before the lookup ends.
const (
	MaxTicketNumberKeys = 20
	MaxProgressMisses   = 3
)
