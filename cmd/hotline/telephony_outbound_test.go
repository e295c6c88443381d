package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony/sip"
	"github.com/open12345/hotline/ticketing"
)

// A 回访 call: agent1 clicks 回拨 on a replied ticket; agent1's phone
// rings and answers, then the citizen's phone (sipp behind the carrier's
// trunk on 127.0.0.2) rings and answers; they talk, the agent hangs up
// and the citizen keys 5. The call record is outbound, linked to the
// ticket, recorded with the citizen on the left and the agent on the
// right; the ticket has its callback with satisfaction 5. An IP-based
// trunk takes the INVITE as it is; a registration-based one (which the
// hotline registers with first) challenges it for the account's digest.
func TestServe_OutboundCallbackThroughTheTrunk(t *testing.T) {
	t.Run("IPTrunk", func(t *testing.T) { outboundCallback(t, "ip:127.0.0.2:%d", "callback_uas.xml", 1) })
	t.Run("RegistrationTrunk", func(t *testing.T) {
		outboundCallback(t, "sip:acct:secret@127.0.0.2:%d", "callback_uas_auth.xml", 2) // the REGISTER, then the call
	})
}

// outboundCallback runs the 回访 call through trunk (a format of the
// sipp carrier's port) with the carrier's scenario, which completes calls
// sipp calls (SIP dialogs) with it.
func outboundCallback(t *testing.T, trunk, scenario string, calls int) {
	sippPath, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatal("sipp missing: install sip-tester (bash deploy/local/services.sh test-tools)")
	}
	trunkPort := testenv.FreeUDPPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	uas := exec.CommandContext(ctx, sippPath, "-sf", "testdata/"+scenario, "-i", "127.0.0.2", "-p", strconv.Itoa(trunkPort),
		"-mi", "127.0.0.2", "-mp", strconv.Itoa(testenv.FreeUDPPort(t)), "-m", strconv.Itoa(calls), "-timeout", "80s", "-timeout_error", "-nostdin")
	var out bytes.Buffer
	uas.Stdout, uas.Stderr = &out, &out
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- uas.Wait() }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sipp:\n%s", out.String())
		}
	})
	testenv.Eventually(t, "sipp listening", func() bool { // sipp binds its port after it starts
		l, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.2", strconv.Itoa(trunkPort)))
		if err == nil { // not yet: free it again for sipp
			if err := l.Close(); err != nil {
				t.Error(err)
			}
			return false
		}
		return true
	})

	cfg := demoConfig(t)
	if cfg.SIPTrunk, err = sip.ParseTrunk(fmt.Sprintf(trunk, trunkPort)); err != nil {
		t.Fatal(err)
	}
	cfg.CallbackHours = ticketing.AlwaysOpen // the night rule has its own test, on a fake clock
	m := startMainWith(t, cfg)
	if _, err := m.Routing.Login(routing.Profile{ID: "agent1", Name: "agent1", Skills: map[string]int{"general": 1}}); err != nil {
		t.Fatal(err)
	}
	phone := newTonePhone(t, m, "agent1", browserPassword)
	_, ticketID := repliedComplaint(t, m)

	agent := bearer(t, m, "agent1")
	var placed struct {
		ID, Direction, Caller, Callee string
		TicketID                      int64 `json:"ticket_id"`
	}
	res := apiPost(t, m, agent, "/api/v1/calls/outbound", map[string]any{"ticket_id": ticketID})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /calls/outbound: %d", res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&placed); err != nil {
		t.Fatal(err)
	}
	if placed.Direction != "outbound" || placed.Caller != "12345" || placed.Callee != "13900007777" || placed.TicketID != ticketID {
		t.Fatalf("placed call %+v", placed)
	}
	testenv.Eventually(t, "the agent hears the citizen", func() bool { return phone.heard.Load() > 50 })
	if v, _ := m.Routing.Agent("agent1"); v.State != routing.Busy {
		t.Errorf("agent1 is %s during the call, want busy", v.State)
	}
	close(phone.hangUp)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sipp: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the citizen was not hung up after rating the call")
	}

	sup := bearer(t, m, "supervisor")
	var c struct {
		Direction, Caller, Callee, Agent, Outcome string
		HangupBy                                  string `json:"hangup_by"`
		Satisfaction                              *int
		RecordingURL                              string `json:"recording_url"`
		TicketID                                  int64  `json:"ticket_id"`
		Talk                                      int    `json:"talk_seconds"`
		Events                                    []struct{ Event, Detail string }
	}
	testenv.Eventually(t, "the call record", func() bool {
		res := apiGet(t, m, sup, "/api/v1/calls/"+placed.ID, nil)
		return res.StatusCode == 200 && json.NewDecoder(res.Body).Decode(&c) == nil && c.Outcome != "" && c.Satisfaction != nil
	})
	var steps []string
	for _, e := range c.Events {
		steps = append(steps, e.Event+" "+e.Detail)
	}
	if c.Direction != "outbound" || c.Agent != "agent1" || c.Outcome != "answered" || c.HangupBy != "agent" || *c.Satisfaction != 5 ||
		c.TicketID != ticketID || c.RecordingURL == "" || c.Talk < 1 {
		t.Fatalf("call record %+v", c)
	}
	if want := []string{"started 13900007777", "offered agent1", "dialled 13900007777", "answered agent1"}; len(steps) < 4 || strings.Join(steps[:4], "|") != strings.Join(want, "|") {
		t.Errorf("steps %q, want %q first", steps, want)
	}
	res = apiGet(t, m, sup, c.RecordingURL, nil)
	wav, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the recording: %d %v", res.StatusCode, err)
	}
	left, right := channelRMS(t, wav)
	if left < 300 {
		t.Errorf("left channel RMS %.0f: the citizen's speech is missing", left)
	}
	if want := agentToneAmp / math.Sqrt2; right < want*0.5 || right > want*1.2 {
		t.Errorf("right channel RMS %.0f, want the agent's tone (%.0f)", right, want)
	}

	var tk *ticketing.Ticket
	testenv.Eventually(t, "the ticket's callback", func() bool { // recorded once the call is over
		tk, err = m.Tickets.Get(context.Background(), auth.Actor{Username: "supervisor", Role: auth.RoleSupervisor}, ticketID)
		return err == nil && tk.CallbackAt != nil
	})
	if tk.Satisfaction == nil || *tk.Satisfaction != 5 || tk.Satisfied == nil || !*tk.Satisfied || tk.CallbackAt == nil {
		t.Fatalf("ticket after the 回访: satisfaction %v satisfied %v callback at %v, want 5, satisfied", tk.Satisfaction, tk.Satisfied, tk.CallbackAt)
	}
	testenv.Eventually(t, "agent1 out of the call", func() bool {
		v, _ := m.Routing.Agent("agent1")
		return len(v.Contacts) == 0
	})
}

// The rules at the edge: only agents place calls, one thing to call
// back, no number of the agent's choosing, and hostile bodies.
func TestServe_OutboundCallRefusals(t *testing.T) {
	cfg := demoConfig(t)
	cfg.CallbackHours = ticketing.AlwaysOpen
	m := startMainWith(t, cfg)
	agent, sup := bearer(t, m, "agent1"), bearer(t, m, "supervisor")
	_, ticketID := repliedComplaint(t, m)
	for _, tc := range []struct {
		name, tok string
		body      any
		want      int
	}{
		{"Supervisor", sup, map[string]any{"ticket_id": ticketID}, http.StatusForbidden},
		{"Nothing", agent, map[string]any{}, http.StatusBadRequest},
		{"Two", agent, map[string]any{"ticket_id": ticketID, "callback_id": 1}, http.StatusBadRequest},
		{"ANumber", agent, map[string]any{"phone": "13800000000"}, http.StatusBadRequest},
		{"NegativeTicket", agent, map[string]any{"ticket_id": -1}, http.StatusBadRequest},
		{"BadCallID", agent, map[string]any{"call_id": "1 OR 1=1"}, http.StatusBadRequest},
		{"UnknownTicket", agent, map[string]any{"ticket_id": 999999}, http.StatusNotFound},
		{"NotJSON", agent, "ticket_id=1", http.StatusBadRequest},
		{"Huge", agent, map[string]any{"ticket_id": ticketID, "pad": strings.Repeat("x", 2<<20)}, http.StatusRequestEntityTooLarge},
		{"NoTrunk", agent, map[string]any{"ticket_id": ticketID}, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := apiPost(t, m, tc.tok, "/api/v1/calls/outbound", tc.body); res.StatusCode != tc.want {
				t.Errorf("%d %s, want %d", res.StatusCode, body(t, res), tc.want)
			}
		})
	}
}

// apiPost sends body as JSON (a string as it is) with the bearer token.
func apiPost(t *testing.T, m *Main, tok, path string, body any) *http.Response {
	t.Helper()
	var data []byte
	if s, ok := body.(string); ok {
		data = []byte(s)
	} else {
		var err error
		if data, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest("POST", "http://"+m.HTTPAddr()+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := res.Body.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return res
}

// body reads a response's body for a message.
func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
