package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
	"github.com/open12345/hotline/ticketing"
)

// The IVR can say every status a ticket has, and has no status prompt
// for a status tickets do not have.
func TestTicketStatuses_EachHasAPrompt(t *testing.T) {
	n := 0
	for _, name := range prompts.Names() {
		if strings.HasPrefix(name, prompts.Status("")) {
			n++
		}
	}
	for _, s := range ticketing.Statuses {
		if !prompts.Known(prompts.Status(string(s))) {
			t.Errorf("status %s has no prompt %s", s, prompts.Status(string(s)))
		}
	}
	if n != len(ticketing.Statuses) {
		t.Errorf("%d status prompts for %d statuses", n, len(ticketing.Statuses))
	}
}

// progressEnv is the IVR's lookup on a fresh database with one complaint
// from 13812345678 and the department cgj.
func progressEnv(t *testing.T) (*ticketProgress, *ticketing.Service, *ticketing.Ticket, *clock.Fake) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	store := postgres.NewTicketStore(db)
	clk := clock.NewFake(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC))
	if err := store.SaveDepartment(ctx, ticketing.Department{Code: "cgj", Name: "市城管局", CreatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	tickets := ticketing.NewService(store, clk, time.UTC, log)
	tk, err := tickets.Create(ctx, auth.Actor{Username: "agent1", Role: auth.RoleAgent}, ticketing.NewTicket{Kind: ticketing.KindComplaint,
		Channel: ticketing.ChannelPhone, Title: "噪音", Content: "夜间施工", Citizen: ticketing.Citizen{Name: "李四", Phone: "13812345678"}})
	if err != nil {
		t.Fatal(err)
	}
	return newTicketProgress(tickets, postgres.NewQuotaStore(db), clk, log), tickets, tk, clk
}

// The IVR's lookup tells the deadline only while a department handles
// the ticket, and a miss stays not_found through the adapter.
func TestTicketProgress_Adapter(t *testing.T) {
	ctx := context.Background()
	lookup, tickets, tk, _ := progressEnv(t)
	if p, err := lookup.Progress(ctx, tk.Number, "13812345678", ""); err != nil || p.Status != "accepted" || p.DueAt != nil {
		t.Fatalf("a new ticket: %+v, %v", p, err)
	}
	agent := auth.Actor{Username: "agent1", Role: auth.RoleAgent}
	if _, err := tickets.Act(ctx, agent, tk.ID, ticketing.ActionDispatch, ticketing.Request{Department: "cgj"}); err != nil {
		t.Fatal(err)
	}
	p, err := lookup.Progress(ctx, tk.Number, "13900139000", "5678")
	if err != nil || p.Status != "dispatched" || p.Department != "市城管局" || p.DepartmentCode != "cgj" || p.DueAt == nil {
		t.Fatalf("a dispatched ticket: %+v, %v", p, err)
	}
	if _, err := lookup.Progress(ctx, tk.Number, "13900139000", ""); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("another phone: %v, want not_found", err)
	}
}

// Calling again and again gives a guesser of the last four digits no
// more tries than the web's limit per number: beyond it even the right
// digits find nothing, until the window ends. Lookups that find the
// ticket do not count.
func TestTicketProgress_MissesAreLimitedAcrossCalls(t *testing.T) {
	ctx := context.Background()
	lookup, _, tk, clk := progressEnv(t)
	for range 2 * progressMissesPerNumber.Max {
		if _, err := lookup.Progress(ctx, tk.Number, "13812345678", ""); err != nil {
			t.Fatalf("the citizen's own lookups: %v", err)
		}
	}
	for i := range progressMissesPerNumber.Max {
		if _, err := lookup.Progress(ctx, tk.Number, fmt.Sprintf("1390013%04d", i), fmt.Sprintf("%04d", i)); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("guess %d: %v, want not_found", i, err)
		}
	}
	if _, err := lookup.Progress(ctx, tk.Number, "13700137000", "5678"); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("the right digits beyond the limit: %v, want not_found", err)
	}
	clk.Advance(progressMissesPerNumber.Window)
	if _, err := lookup.Progress(ctx, tk.Number, "13700137000", "5678"); err != nil {
		t.Fatalf("the right digits in the next window: %v", err)
	}
	long := strings.Repeat("9", 400) // a SIP user of any length is a caller
	if _, err := lookup.Progress(ctx, tk.Number, long, "5678"); err != nil {
		t.Fatalf("a long calling user: %v", err)
	}
}

// Key 4 on a running server is the progress lookup (migration 015, the
// wiring): the caller from the ticket's phone keys its number and #,
// hears the progress with the built-in prompts, presses 1 (waiting
// through the read-back) and is said goodbye; the record is an IVR call
// hung up by the system.
func TestServe_ProgressByPhone(t *testing.T) {
	m, _ := startMain(t, testenv.StartRedis(t).URL())
	ctx := context.Background()
	tk, err := m.Tickets.Create(ctx, auth.Actor{Username: "agent1", Role: auth.RoleAgent}, ticketing.NewTicket{
		Kind: ticketing.KindConsultation, Channel: ticketing.ChannelPhone, Title: "社保转移", Content: "外地社保如何转入",
		Citizen: ticketing.Citizen{Name: "张三", Phone: "13800138000"}})
	if err != nil {
		t.Fatal(err)
	}
	caller := newDiagoPeer(t, "13800138000", nil) // the user agent's name is the From user
	callCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var d *diago.DialogClientSession
	err = testenv.WhenBound(func() (err error) {
		d, _, err = caller.Invite(callCtx, sip.Uri{Scheme: "sip", User: "12345", Host: "127.0.0.1", Port: int(m.sip.Addr().Port())}, diago.InviteOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("call 12345: %v", err)
	}
	for _, k := range "4" + tk.Number + "#1" {
		info := sip.NewRequest(sip.INFO, d.InviteRequest.Recipient)
		info.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
		info.SetBody([]byte("Signal=" + string(k) + "\r\nDuration=160\r\n"))
		if res, err := d.Do(callCtx, info); err != nil || res.StatusCode != 200 {
			t.Fatalf("press %c by INFO: %v %v", k, res, err)
		}
	}
	select {
	case <-d.Context().Done():
	case <-callCtx.Done():
		t.Fatal("the hotline did not hang up after the progress")
	}
	var rec telephony.Call
	testenv.Eventually(t, "the call record", func() bool {
		cs, _, err := m.Calls.List(ctx, auth.Actor{Username: "system", Role: auth.RoleAdmin}, telephony.CallFilter{})
		if err != nil || len(cs) != 1 || cs[0].EndedAt == nil {
			return false
		}
		rec = cs[0]
		return true
	})
	if rec.Outcome != telephony.OutcomeIVR || rec.IVRPath != "4" || rec.HangupBy != telephony.HangupSystem || rec.Queue != "" {
		t.Fatalf("call record %+v, want an IVR call through 4 hung up by the system", rec)
	}
}
