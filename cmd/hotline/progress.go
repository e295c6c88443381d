package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/open12345/hotline/citizenweb"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/quota"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/ticketing"
)

// Limits of the IVR's progress lookups that find nothing, across calls:
// per ticket number the web's rule, on the web's key, so that the two
// channels share one count; per calling number its own.
var (
	progressMissesPerNumber = citizenweb.DefaultPublicLimits.MissesPerNumber
	progressMissesPerCaller = quota.Rule{Max: 30, Window: time.Hour}
)

// ticketProgress is the IVR's progress lookup (menu key 4) on the
// tickets. Every lookup takes a place in the limits of its number and of
// the calling number first, and one that finds the ticket gives them
// back, as the web's lookup does: only misses count, so that calling
// again and again does not give a guesser of the last four digits more
// than a few tries an hour.
type ticketProgress struct {
	tickets *ticketing.Service
	quotas  quota.Store
	clock   clock.Clock
	log     *slog.Logger
}

// newTicketProgress returns the lookup on tickets, counting misses in
// quotas on clk.
func newTicketProgress(tickets *ticketing.Service, quotas quota.Store, clk clock.Clock, log *slog.Logger) *ticketProgress {
	return &ticketProgress{tickets: tickets, quotas: quotas, clock: clk, log: log}
}

// Progress returns what the IVR says of the ticket numbered number
// (ticketing.Service.PhoneProgress). A lookup beyond the limits finds
// nothing, like any miss, so that the caller learns nothing from it.
// Errors: not_found (no such ticket, the phone does not match, or too
// many misses), unavailable.
func (p *ticketProgress) Progress(ctx context.Context, number, callerPhone, last4 string) (telephony.TicketProgress, error) {
	caller := callerPhone // a SIP user, any length: the first 64 bytes count
	if len(caller) > 64 {
		caller = caller[:64]
	}
	claims := []quota.Claim{{Key: "progress-caller:" + caller, Rule: progressMissesPerCaller}}
	if ticketing.LooksLikeNumber(number) {
		claims = append(claims, quota.Claim{Key: "progress-number:" + number, Rule: progressMissesPerNumber})
	}
	err := quota.Take(ctx, p.quotas, p.clock.Now(), "too many progress lookups that found nothing", claims...)
	if errs.Is(err, errs.RateLimited) {
		p.log.InfoContext(ctx, "IVR progress lookup over its limits", "caller", callerPhone, "number", number)
		return telephony.TicketProgress{}, errs.E(errs.NotFound, "no ticket has this number and phone")
	}
	if err != nil {
		return telephony.TicketProgress{}, fmt.Errorf("ticket progress limits: %w", err)
	}
	pr, err := p.tickets.PhoneProgress(ctx, number, callerPhone, last4)
	if err != nil {
		return telephony.TicketProgress{}, fmt.Errorf("ticket progress by phone: %w", err)
	}
	keys := make([]string, len(claims))
	for i, c := range claims {
		keys[i] = c.Key
	}
	if err := p.quotas.Release(ctx, keys...); err != nil {
		p.log.WarnContext(ctx, "give back progress limits", "err", err) // the caller still hears the answer
	}
	return telephony.TicketProgress{Status: string(pr.Status), Department: pr.Department,
		DepartmentCode: pr.DepartmentCode, DueAt: pr.Deadline()}, nil
}
