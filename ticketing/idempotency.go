package ticketing

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/errs"
)

// Idempotency names a creation request, so that a client that lost the
// answer can send it again and get the ticket the first one created
// instead of a duplicate.
type Idempotency struct {
	Scope       string // whose key it is: one staff user, or one citizen's phone
	Key         string
	RequestHash []byte // what was asked, so a key reused for another request is refused
}

// IdempotencyTTL is how long a key answers its first ticket.
const IdempotencyTTL = 24 * time.Hour

// CheckIdempotencyKey accepts 1-255 visible ASCII characters (a UUID is
// typical). Errors: invalid.
func CheckIdempotencyKey(k string) error {
	if len(k) == 0 || len(k) > 255 {
		return errs.E(errs.Invalid, "Idempotency-Key must be 1-255 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return errs.E(errs.Invalid, "Idempotency-Key must be visible ASCII characters")
		}
	}
	return nil
}

// CitizenActor is the actor of what citizens do themselves (the web form).
var CitizenActor = auth.Actor{Username: "citizen"}

// idempotencyScope is whose keys a request's key is among: a staff user's,
// or, for citizens, the phone's.
func idempotencyScope(actor auth.Actor, n NewTicket) string {
	if actor.UserID != 0 {
		return "user:" + strconv.FormatInt(actor.UserID, 10)
	}
	return "citizen:" + n.Citizen.Phone
}

// CreateOnce is Create with an idempotency key ("" for none): a retry with
// the same key, from the same user (or for citizens the same phone),
// within IdempotencyTTL answers the ticket the first request created, and
// replayed is true. Errors: those of Create; invalid (the key); conflict
// (the key was used for a different request).
func (s *Service) CreateOnce(ctx context.Context, actor auth.Actor, n NewTicket, key string) (t *Ticket, replayed bool, err error) {
	if key == "" {
		t, err = s.Create(ctx, actor, n)
		return t, false, err
	}
	t, ev, err := s.prepare(actor, n)
	if err != nil {
		return nil, false, err
	}
	idem, err := s.idempotency(actor, n, key)
	if err != nil {
		return nil, false, err
	}
	first, err := s.store.CreateTicketOnce(ctx, t, ev, idem, t.CreatedAt.Add(-IdempotencyTTL))
	if err != nil || first == 0 {
		return t, false, err
	}
	t, err = s.store.Ticket(ctx, first)
	return t, true, err
}

// Replayed returns the ticket an earlier request with the same key and
// input created (see CreateOnce), or nil if there is none, without
// creating anything: the public form asks before it spends the citizen's
// SMS code. Errors: invalid (the key or the input), conflict.
func (s *Service) Replayed(ctx context.Context, actor auth.Actor, n NewTicket, key string) (*Ticket, error) {
	idem, err := s.idempotency(actor, n, key)
	if err != nil {
		return nil, err
	}
	first, err := s.store.IdempotentTicket(ctx, idem, s.now().Add(-IdempotencyTTL))
	if err != nil || first == 0 {
		return nil, err
	}
	return s.store.Ticket(ctx, first)
}

// idempotency names the request n under key: its scope and a hash of the
// normalised input. Errors: invalid.
func (s *Service) idempotency(actor auth.Actor, n NewTicket, key string) (Idempotency, error) {
	if err := CheckIdempotencyKey(key); err != nil {
		return Idempotency{}, err
	}
	if err := n.validate(); err != nil {
		return Idempotency{}, err
	}
	asked, err := json.Marshal(n)
	if err != nil {
		return Idempotency{}, fmt.Errorf("encode request: %w", err)
	}
	sum := sha256.Sum256(asked)
	return Idempotency{Scope: idempotencyScope(actor, n), Key: key, RequestHash: sum[:]}, nil
}
