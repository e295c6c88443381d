package ticketing

import (
	"context"
	"fmt"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// ActionCallRated is the system's event of the caller's rating (话务评价)
// of the call a ticket was made during.
const ActionCallRated = "call_rated"

// staffOnlyEvents are the events of a ticket's history department users
// are not shown: a call's rating judges the hotline's agent, and
// departments see no call records.
var staffOnlyEvents = map[string]bool{ActionCallRated: true}

// RecordCallRating adds the caller's rating, 1 to 5, of call callID to
// the history of ticket ticketID, made during that call: an event of the
// system that changes nothing and notifies no one. It is recorded once
// per call: a repeat is a no-op. Errors: invalid, not_found.
func (s *Service) RecordCallRating(ctx context.Context, ticketID, callID int64, score int) error {
	if score < 1 || score > 5 {
		return errs.E(errs.Invalid, "the call's rating must be 1 to 5")
	}
	if ticketID <= 0 || callID <= 0 {
		return errs.E(errs.Invalid, "a call's rating needs the ticket and the call")
	}
	ev := newEvent(s.now(), auth.System, ticketID, ActionCallRated, "", "",
		map[string]any{"call_id": callID, "score": score})
	if err := s.store.AppendEventOnce(ctx, ev, map[string]any{"call_id": callID}); err != nil {
		return fmt.Errorf("rating of call %d on ticket %d: %w", callID, ticketID, err)
	}
	return nil
}
