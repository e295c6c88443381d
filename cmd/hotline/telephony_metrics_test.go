package main

import (
	"context"
	"strings"
	"testing"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
)

// /metrics has the SIP edge's figures: a phone that registers is one
// binding of one reachable agent; no call is in progress; the RTP range
// is HOTLINE_RTP_PORTS' default, 20000-29999.
func TestServe_MetricsCountTheRegisteredPhone(t *testing.T) {
	m, _ := startMain(t, testenv.StartRedis(t).URL())
	ctx := context.Background()
	if _, err := m.Auth.AddUser(ctx, auth.NewUser{Username: "agent1", Role: auth.RoleAgent, Password: "agent-password-1"}); err != nil {
		t.Fatal(err)
	}
	if err := m.SIPPasswords.SetPassword(ctx, "agent1", "desk-phone-1"); err != nil {
		t.Fatal(err)
	}
	scrape := func(want ...string) {
		t.Helper()
		code, body := get(t, "http://"+m.HTTPAddr()+"/metrics")
		for _, w := range want {
			if code != 200 || !strings.Contains(body, "\n"+w+"\n") {
				t.Fatalf("/metrics (%d) lacks %q:\n%s", code, w, metricLines(body, "hotline_sip_", "hotline_calls_", "hotline_rtp_"))
			}
		}
	}
	scrape("hotline_sip_registrations 0", "hotline_sip_agents_reachable 0")

	if res := registerPhone(t, m.SIPAddr(), "agent1", "desk-phone-1"); res.StatusCode != 200 {
		t.Fatalf("REGISTER: %d %s", res.StatusCode, res.Reason)
	}
	scrape("hotline_sip_registrations 1", "hotline_sip_agents_reachable 1",
		`hotline_calls_in_progress{state="ivr"} 0`, `hotline_calls_in_progress{state="bridged"} 0`,
		"hotline_calls_answered_total 0", "hotline_rtp_ports_in_use 0", "hotline_rtp_ports_capacity 5000",
		`hotline_sip_refused_total{reason="invite_flood"} 0`)
}

// metricLines keeps the lines of text that start with one of the prefixes.
func metricLines(text string, prefixes ...string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
