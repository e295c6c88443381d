package telephony

import (
	"context"
	"fmt"
)

// TicketRatings takes a caller's rating to the ticket made during the
// call (ticketing.Service.RecordCallRating).
type TicketRatings interface {
	// RecordCallRating adds call callID's rating, 1 to 5, to the history
	// of ticket ticketID; a repeat for the same call is a no-op.
	RecordCallRating(ctx context.Context, ticketID, callID int64, score int) error
}

// CallsOption configures Calls.
type CallsOption func(*Calls)

// WithTicketRatings gives each call's rating to the ticket made during
// the call, whether the ticket is linked before the rating (during the
// call) or after it (in wrap-up).
func WithTicketRatings(r TicketRatings) CallsOption { return func(s *Calls) { s.ratings = r } }

// rateTicket gives c's rating to c's ticket once c has both. The rating
// and the link are each written under the call's row lock, so whichever
// comes second sees the first; a retry of either gives it again, which
// TicketRatings takes once.
func (s *Calls) rateTicket(ctx context.Context, c Call) error {
	if s.ratings == nil || c.TicketID == 0 || c.Satisfaction == 0 {
		return nil
	}
	if err := s.ratings.RecordCallRating(ctx, c.TicketID, c.ID, c.Satisfaction); err != nil {
		return fmt.Errorf("give the rating to ticket %d: %w", c.TicketID, err)
	}
	return nil
}
