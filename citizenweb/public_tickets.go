package citizenweb

import (
	"net/http"
	"time"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/quota"
	"github.com/open12345/hotline/ticketing"
)

// PublicLimits bound what citizens do through the public ticket endpoints,
// on top of the per-address token bucket every public endpoint has; they
// are counted in PostgreSQL, so they hold across instances.
type PublicLimits struct {
	TicketsPerClient quota.Rule // web-form tickets from one address
	TicketsPerPhone  quota.Rule // web-form tickets for one phone
	MissesPerNumber  quota.Rule // progress lookups of one number with a wrong phone
	MissesPerClient  quota.Rule // progress lookups from one address that found nothing
}

// DefaultPublicLimits: 5 tickets an hour per address and 10 a day per
// phone; 10 wrong phones an hour per number (then even the right phone
// waits: guessing the 10,000 phones that fit a masked 138****1234 takes
// 42 days, and locking a number out costs 10 requests an hour) and 30
// misses an hour per address.
var DefaultPublicLimits = PublicLimits{
	TicketsPerClient: quota.Rule{Max: 5, Window: time.Hour},
	TicketsPerPhone:  quota.Rule{Max: 10, Window: 24 * time.Hour},
	MissesPerNumber:  quota.Rule{Max: 10, Window: time.Hour},
	MissesPerClient:  quota.Rule{Max: 30, Window: time.Hour},
}

func (s *Server) publicTicketRoutes(m *http.ServeMux) {
	m.Handle("POST /api/v1/public/verify", s.citizen(s.publicVerify))
	m.Handle("POST /api/v1/public/tickets", s.citizen(s.publicCreateTicket))
	m.Handle("GET /api/v1/public/tickets/{number}", s.citizen(s.publicProgress))
}

// mobile normalises a phone that must receive SMS. Errors: invalid.
func mobile(phone string) (string, error) {
	p, err := ticketing.NormalizePhone(phone)
	if err != nil {
		return "", err
	}
	if !ticketing.IsMobile(p) {
		return "", errs.E(errs.Invalid, "a mobile number is needed: the code comes by SMS")
	}
	return p, nil
}

// publicVerify sends a 6-digit code to a mobile phone.
func (s *Server) publicVerify(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Phone string `json:"phone"`
	}
	if err := httpx.DecodeJSON(w, r, &req, false); err != nil {
		return err
	}
	phone, err := mobile(req.Phone)
	if err != nil {
		return err
	}
	if err := s.codes.Send(r.Context(), phone, httpx.ClientKey(r)); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, map[string]int{"expires_in": 600})
	return nil
}

// publicTicketRequest is the web form.
type publicTicketRequest struct {
	Kind    ticketing.Kind `json:"kind"`
	Title   string         `json:"title"`
	Content string         `json:"content"`
	Citizen struct {
		Name    string `json:"name"`
		Phone   string `json:"phone"`
		Address string `json:"address"`
	} `json:"citizen"`
	Region       string `json:"region"`
	Confidential bool   `json:"confidential"`
	Code         string `json:"code"` // from POST /public/verify: proves the phone
}

// publicCreateTicket records a citizen's ticket from the web form. The
// input is checked first, then a retry (Idempotency-Key) is answered with
// its first ticket, then the limits are taken, and only then is the SMS
// code spent and the ticket recorded.
func (s *Server) publicCreateTicket(w http.ResponseWriter, r *http.Request) error {
	var req publicTicketRequest
	if err := httpx.DecodeJSON(w, r, &req, false); err != nil {
		return err
	}
	phone, err := mobile(req.Citizen.Phone)
	if err != nil {
		return err
	}
	n := ticketing.NewTicket{Kind: req.Kind, Channel: ticketing.ChannelWeb, Title: req.Title, Content: req.Content,
		Citizen:      ticketing.Citizen{Name: req.Citizen.Name, Phone: phone, Address: req.Citizen.Address},
		Confidential: req.Confidential, Region: req.Region}
	if err := n.Check(); err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		first, err := s.tickets.Replayed(r.Context(), ticketing.CitizenActor, n, key)
		if err != nil {
			return err
		}
		if first != nil {
			w.Header().Set("Idempotent-Replayed", "true")
			httpx.WriteJSON(w, http.StatusCreated, map[string]string{"number": first.Number})
			return nil
		}
	}
	t, err := s.createForCitizen(r, n, req.Code, key)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, map[string]string{"number": t.Number})
	return nil
}

// createForCitizen takes the ticket limits, spends the code and records
// the ticket; a ticket not recorded gives its place in the limits back.
func (s *Server) createForCitizen(r *http.Request, n ticketing.NewTicket, code, key string) (*ticketing.Ticket, error) {
	ctx, client := r.Context(), httpx.ClientKey(r)
	keys := []string{"web-ticket-client:" + client, "web-ticket-phone:" + n.Citizen.Phone}
	if err := quota.Take(ctx, s.quotas, s.clock.Now(), "too many tickets from the web form",
		quota.Claim{Key: keys[0], Rule: s.publicLimits.TicketsPerClient},
		quota.Claim{Key: keys[1], Rule: s.publicLimits.TicketsPerPhone}); err != nil {
		return nil, err
	}
	err := s.codes.Verify(ctx, n.Citizen.Phone, code, client)
	var t *ticketing.Ticket
	if err == nil {
		t, _, err = s.tickets.CreateOnce(ctx, ticketing.CitizenActor, n, key)
	}
	if err != nil {
		if rerr := s.quotas.Release(ctx, keys...); rerr != nil {
			s.log.WarnContext(ctx, "give back web-form limits", "err", rerr)
		}
		return nil, err
	}
	return t, nil
}

// publicProgress answers a ticket's progress to whoever knows its number
// and the citizen's phone. Every lookup takes a place in the limits of its
// number and its client before anything is looked up, and a lookup that
// finds the ticket gives them back, so that only misses count and parallel
// guesses cannot pass the limits.
func (s *Server) publicProgress(w http.ResponseWriter, r *http.Request) error {
	ctx, client, number := r.Context(), httpx.ClientKey(r), r.PathValue("number")
	q, err := httpx.Query(r, "phone")
	if err != nil {
		return err
	}
	phone := q.Get("phone")
	if phone == "" {
		return errs.E(errs.Invalid, "phone is required: the phone number given with the request")
	}
	claims := []quota.Claim{{Key: "progress-client:" + client, Rule: s.publicLimits.MissesPerClient}}
	if ticketing.LooksLikeNumber(number) {
		claims = append(claims, quota.Claim{Key: "progress-number:" + number, Rule: s.publicLimits.MissesPerNumber})
	}
	if err := quota.Take(ctx, s.quotas, s.clock.Now(), "too many lookups that found nothing", claims...); err != nil {
		return err
	}
	p, err := s.tickets.Progress(ctx, number, phone)
	if err != nil {
		return err
	}
	keys := make([]string, len(claims))
	for i, c := range claims {
		keys[i] = c.Key
	}
	if err := s.quotas.Release(ctx, keys...); err != nil {
		s.log.WarnContext(ctx, "give back progress limits", "err", err) // the citizen still gets the answer
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}
