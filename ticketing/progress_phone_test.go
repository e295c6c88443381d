package ticketing_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
)

// phoneProgressEnv is a ticket service on a fresh database with the
// department cgj and one consultation from 13812345678, dispatched to
// cgj on 2026-12-01 (Tuesday) 09:00 Shanghai time.
func phoneProgressEnv(t *testing.T) (*ticketing.Service, *ticketing.Ticket) {
	t.Helper()
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, loc))
	store := postgres.NewTicketStore(pgtest.NewDB(t))
	if err := store.SaveDepartment(ctx, ticketing.Department{Code: "cgj", Name: "市城管局", CreatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	svc := ticketing.NewService(store, clk, loc, slog.New(slog.DiscardHandler))
	agent := auth.Actor{Username: "agent1", Role: auth.RoleAgent}
	tk, err := svc.Create(ctx, agent, ticketing.NewTicket{Kind: ticketing.KindConsultation, Channel: ticketing.ChannelPhone,
		Title: "社保转移", Content: "外地社保如何转入", Citizen: ticketing.Citizen{Name: "张三", Phone: "13812345678"}})
	if err != nil {
		t.Fatal(err)
	}
	return svc, tk
}

// The IVR's lookup: the calling number or the last four digits of the
// registered phone prove the caller; a wrong phone, wrong digits and a
// number that does not exist give one and the same answer.
func TestPhoneProgress_CallingNumberOrLastFour(t *testing.T) {
	ctx := context.Background()
	svc, tk := phoneProgressEnv(t)
	p, err := svc.PhoneProgress(ctx, tk.Number, "13812345678", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != ticketing.StatusAccepted || p.Deadline() != nil || p.DepartmentCode != "" {
		t.Fatalf("a new ticket: status %s, deadline %v, department %q", p.Status, p.Deadline(), p.DepartmentCode)
	}
	if _, err := svc.Act(ctx, auth.Actor{Username: "agent1", Role: auth.RoleAgent}, tk.ID, ticketing.ActionDispatch,
		ticketing.Request{Department: "cgj"}); err != nil {
		t.Fatal(err)
	}

	var notFound string
	for _, tc := range []struct {
		name, number, caller, last4 string
		found                       bool
	}{
		{"CallingNumber", tk.Number, "13812345678", "", true},
		{"CallingNumberWithCountryCode", tk.Number, "+8613812345678", "", true},
		{"LastFourFromAnotherPhone", tk.Number, "13900139000", "5678", true},
		{"LastFourFromAnAnonymousCaller", tk.Number, "anonymous", "5678", true},
		{"LastFourDecidesEvenFromTheRightPhone", tk.Number, "13812345678", "1234", false},
		{"OtherPhone", tk.Number, "13900139000", "", false},
		{"AnonymousCaller", tk.Number, "anonymous", "", false},
		{"WrongLastFour", tk.Number, "13900139000", "5679", false},
		{"ThreeDigits", tk.Number, "13900139000", "678", false},
		{"FiveDigits", tk.Number, "13900139000", "45678", false},
		{"NoSuchNumber", "20261201999999", "13812345678", "", false},
		{"NoSuchNumberLastFour", "20261201999999", "13900139000", "5678", false},
		{"NotANumber", "12345", "13812345678", "", false},
		{"Empty", "", "13812345678", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := svc.PhoneProgress(ctx, tc.number, tc.caller, tc.last4)
			if !tc.found {
				if errs.CodeOf(err) != errs.NotFound {
					t.Fatalf("%v, want not_found", err)
				}
				if notFound == "" {
					notFound = err.Error()
				}
				if err.Error() != notFound {
					t.Fatalf("%q, want the same answer as every miss: %q", err, notFound)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			due := p.Deadline()
			if p.Status != ticketing.StatusDispatched || p.Department != "市城管局" || p.DepartmentCode != "cgj" || due == nil {
				t.Fatalf("progress %+v, want dispatched to cgj with a deadline", p)
			}
			if y, m, d := due.Date(); y != 2026 || m != 12 || d != 3 || due.Location().String() != "Asia/Shanghai" {
				t.Fatalf("deadline %v, want 2026-12-03 in Shanghai (2 working days after the 1st)", due)
			}
		})
	}
}
