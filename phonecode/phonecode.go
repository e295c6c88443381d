// Package phonecode proves that a citizen holds a mobile phone: a 6-digit
// code is sent to it by SMS, valid for a few minutes and a few tries, and
// using it once consumes it. Sending is limited per phone and per client,
// so the form that asks for codes cannot be used to flood someone's phone.
package phonecode

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/quota"
)

// Store keeps the codes, hashed.
type Store interface {
	// Save replaces the phone's code.
	Save(ctx context.Context, phone string, hash []byte, expires time.Time) error
	// Consume counts a try against the phone's code if it has not expired
	// at now and has had fewer than maxTries, atomically, and if the code
	// has hash deletes it and reports true; parallel tries cannot exceed
	// maxTries, and one code is consumed once.
	Consume(ctx context.Context, phone string, hash []byte, now time.Time, maxTries int) (bool, error)
}

// Sender sends a text message (ticketing/dispatch.SMS).
type Sender interface {
	Send(ctx context.Context, phone, text string) (string, error)
}

// Limits bound how often codes go out and how often they may be guessed.
type Limits struct {
	PerPhoneMinute quota.Rule // codes sent to one phone, short term
	PerPhoneDay    quota.Rule // codes sent to one phone, long term
	PerClient      quota.Rule // codes sent at the request of one client
	Tries          int        // wrong tries before a code is void
	WrongPerClient quota.Rule // wrong codes from one client, over all phones
}

// DefaultLimits: one code a minute and five a day per phone, ten an hour
// per client; five tries per code; twenty wrong codes an hour per client.
var DefaultLimits = Limits{
	PerPhoneMinute: quota.Rule{Max: 1, Window: time.Minute},
	PerPhoneDay:    quota.Rule{Max: 5, Window: 24 * time.Hour},
	PerClient:      quota.Rule{Max: 10, Window: time.Hour},
	Tries:          5,
	WrongPerClient: quota.Rule{Max: 20, Window: time.Hour},
}

// TTL is how long a code is valid.
const TTL = 10 * time.Minute

// Service sends and checks codes.
type Service struct {
	store  Store
	quotas quota.Store
	sms    Sender
	clock  clock.Clock
	log    *slog.Logger
	Limits Limits
}

// NewService returns a Service with DefaultLimits.
func NewService(store Store, quotas quota.Store, sms Sender, clk clock.Clock, log *slog.Logger) *Service {
	return &Service{store: store, quotas: quotas, sms: sms, clock: clk, log: log, Limits: DefaultLimits}
}

// Send sends a new code to phone (a normalised mobile number) at the
// request of client; an earlier code of the phone is void from then on.
// Errors: rate_limited, unavailable (the SMS gateway failed).
func (s *Service) Send(ctx context.Context, phone, client string) error {
	now := s.clock.Now()
	byClient := quota.Claim{Key: "code-client:" + client, Rule: s.Limits.PerClient}
	if err := quota.Take(ctx, s.quotas, now, "too many codes requested",
		quota.Claim{Key: "code-phone-min:" + phone, Rule: s.Limits.PerPhoneMinute},
		quota.Claim{Key: "code-phone-day:" + phone, Rule: s.Limits.PerPhoneDay}, byClient); err != nil {
		if errs.Is(err, errs.RateLimited) {
			s.log.WarnContext(ctx, "verification code refused", "client", client, "err", err)
		}
		return err
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	if err := s.store.Save(ctx, phone, hash(phone, code), now.Add(TTL)); err != nil {
		return err
	}
	text := fmt.Sprintf("【12345热线】您的验证码是%s，%d分钟内有效。如非本人操作，请忽略本短信。", code, int(TTL.Minutes()))
	if _, err := s.sms.Send(ctx, phone, text); err != nil {
		// The requester may try again, but the phone's limits stay
		// counted: a gateway that delivers and then times out must not
		// open the phone to flooding.
		return errors.Join(errs.Wrap(errs.Unavailable, err, "the code could not be sent by SMS; try again later"),
			s.quotas.Release(ctx, byClient.Key))
	}
	return nil
}

// Verify consumes the phone's code if code is it. Errors: invalid (wrong,
// expired or used up), rate_limited (too many wrong codes from client).
func (s *Service) Verify(ctx context.Context, phone, code, client string) error {
	now := s.clock.Now()
	wrong := quota.Claim{Key: "code-wrong:" + client, Rule: s.Limits.WrongPerClient}
	if err := quota.Take(ctx, s.quotas, now, "too many wrong codes", wrong); err != nil {
		return err
	}
	if !validCode(code) {
		return errs.E(errs.Invalid, "the verification code is 6 digits")
	}
	ok, err := s.store.Consume(ctx, phone, hash(phone, code), now, s.Limits.Tries)
	if err != nil {
		return err
	}
	if !ok {
		s.log.InfoContext(ctx, "wrong verification code", "client", client)
		return errs.E(errs.Invalid, "the verification code is wrong or has expired; request a new one")
	}
	return s.quotas.Release(ctx, wrong.Key)
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("draw a code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

func validCode(c string) bool {
	if len(c) != 6 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return false
		}
	}
	return true
}

// hash is what is stored of a code, so that the table does not show codes
// at a glance (a code has only 10⁶ values; its protection is its ten
// minutes and five tries, not the hash).
func hash(phone, code string) []byte {
	sum := sha256.Sum256([]byte(phone + ":" + code))
	return sum[:]
}
