package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/ticketing"
)

// runSipp runs one scenario of testdata as the citizen 13800138000 and
// fails the test unless it completes.
func runSipp(t *testing.T, m *Main, scenario string) {
	t.Helper()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatal("sipp missing: install sip-tester (bash deploy/local/services.sh test-tools)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sipp, "-sf", "testdata/"+scenario, "-s", "12345",
		"-i", "127.0.0.1", "-mi", "127.0.0.1", "-mp", strconv.Itoa(testenv.FreeUDPPort(t)), "-m", "1",
		"-timeout", "90s", "-timeout_error", "-nostdin", m.SIPAddr()).CombinedOutput()
	if err != nil {
		t.Fatalf("sipp %s: %v\n%s", scenario, err, out)
	}
}

// callRecord is a call of GET /api/v1/calls.
type callRecord struct {
	ID           string `json:"id"`
	Outcome      string `json:"outcome"`
	TicketID     *int64 `json:"ticket_id"`
	RecordingURL string `json:"recording_url"`
}

// lastCall waits until the supervisor sees the citizen's call ended and
// returns it.
func lastCall(t *testing.T, m *Main, tok, caller string) callRecord {
	t.Helper()
	var list struct{ Items []callRecord }
	testenv.Eventually(t, "the call record", func() bool {
		res := apiGet(t, m, tok, "/api/v1/calls?caller="+caller, nil)
		return res.StatusCode == 200 && json.NewDecoder(res.Body).Decode(&list) == nil && len(list.Items) > 0 && list.Items[0].Outcome != ""
	})
	return list.Items[0]
}

// openCallback waits for the phone's open entry on the missed-call list.
func openCallback(t *testing.T, m *Main, tok, phone string) (reason string) {
	t.Helper()
	var list struct {
		Items []struct {
			Phone, Reason, State string
			CallID               string `json:"call_id"`
		}
	}
	testenv.Eventually(t, "the missed-call entry", func() bool {
		res := apiGet(t, m, tok, "/api/v1/callbacks?state=open", nil)
		if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&list) != nil {
			return false
		}
		for _, it := range list.Items {
			if it.Phone == phone {
				reason = it.Reason
				return true
			}
		}
		return false
	})
	return reason
}

// On National Day (a holiday of the 2026 calendar) with hours only on
// working days, the citizen hears that nobody answers and leaves a
// voicemail: it becomes a ticket of the phone channel, linked to the
// call, with the recording attached (the citizen's speech in it); the
// call is a voicemail with its recording, and the phone is on the
// missed-call list.
func TestServe_AfterHoursVoicemailOnAHolidayBecomesATicket(t *testing.T) {
	cfg := demoConfig(t)
	hours, err := ticketing.ParseServiceHours("08:30-17:30,closed")
	if err != nil {
		t.Fatal(err)
	}
	cfg.VoiceHours = hours
	m := NewMain(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	m.Hasher = auth.FastHasher()
	m.Clock = clock.NewFake(time.Date(2026, 10, 1, 10, 0, 0, 0, cfg.TZ))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})

	runSipp(t, m, "voicemail_after_hours.xml")

	sup := bearer(t, m, "supervisor")
	c := lastCall(t, m, sup, "13800138000")
	if c.Outcome != "voicemail" || c.TicketID == nil || c.RecordingURL == "" {
		t.Fatalf("call %+v, want a voicemail linked to a ticket, with its recording", c)
	}
	ticket := strconv.FormatInt(*c.TicketID, 10)
	var tk struct {
		Number, Kind, Channel, Status string
		CallID                        string `json:"call_id"`
		Citizen                       struct{ Phone string }
	}
	if res := apiGet(t, m, sup, "/api/v1/tickets/"+ticket, nil); res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&tk) != nil {
		t.Fatalf("the ticket: %d", res.StatusCode)
	}
	if tk.Kind != "consultation" || tk.Channel != "phone" || tk.CallID != c.ID || tk.Citizen.Phone != "13800138000" || tk.Status != "accepted" {
		t.Errorf("ticket %+v, want an accepted phone consultation of the call from 13800138000", tk)
	}
	var atts struct {
		Items []struct {
			ID          int64  `json:"id"`
			Name        string `json:"name"`
			ContentType string `json:"content_type"`
			Size        int64  `json:"size"`
		}
	}
	if res := apiGet(t, m, sup, "/api/v1/tickets/"+ticket+"/attachments", nil); res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&atts) != nil {
		t.Fatalf("the attachments: %d", res.StatusCode)
	}
	if len(atts.Items) != 1 || atts.Items[0].ContentType != "audio/wav" || atts.Items[0].Size < 44+16000 {
		t.Fatalf("attachments %+v, want the voicemail's WAV", atts.Items)
	}
	res := apiGet(t, m, sup, fmt.Sprintf("/api/v1/tickets/%s/attachments/%d", ticket, atts.Items[0].ID), nil)
	wav, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 || len(wav) < 44 || wav[22] != 1 {
		t.Fatalf("the voicemail download: %d, %d bytes, %v", res.StatusCode, len(wav), err)
	}
	if level := rms(wav[44:], 0, 2); level < 300 {
		t.Errorf("voicemail RMS %.0f: the citizen's speech is missing", level)
	}
	if reason := openCallback(t, m, sup, "13800138000"); reason != "voicemail" {
		t.Errorf("missed-call reason %q, want voicemail", reason)
	}
}

// A waiting citizen presses 2 and # for a callback to the calling
// number: the call ends as a callback request and the phone is on the
// missed-call list as requested.
func TestServe_WaitingCallerRequestsACallback(t *testing.T) {
	m := startDemo(t)
	runSipp(t, m, "callback_request.xml")
	sup := bearer(t, m, "supervisor")
	if c := lastCall(t, m, sup, "13800138000"); c.Outcome != "callback_requested" {
		t.Errorf("call %+v, want a callback request", c)
	}
	if reason := openCallback(t, m, sup, "13800138000"); reason != "requested" {
		t.Errorf("missed-call reason %q, want requested", reason)
	}
}
