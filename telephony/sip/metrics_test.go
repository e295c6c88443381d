package sip_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	hsip "github.com/open12345/hotline/telephony/sip"
)

// metricsOf registers the edge's collector on a fresh registry.
func metricsOf(t *testing.T, srv *hsip.Server) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(srv.Collector()); err != nil {
		t.Fatal(err)
	}
	return reg
}

// scrape gathers reg as name{label="value",…} → value.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			key := f.GetName()
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// waitMetrics waits until every sample in want has its value; on a
// timeout the last scrape is logged.
func waitMetrics(t *testing.T, reg *prometheus.Registry, what string, want map[string]float64) {
	t.Helper()
	var last map[string]float64
	defer func() {
		if t.Failed() {
			for _, k := range slices.Sorted(maps.Keys(last)) {
				t.Logf("  %s %v", k, last[k])
			}
		}
	}()
	testenv.Eventually(t, what, func() bool {
		last = scrape(t, reg)
		for k, v := range want {
			if got, ok := last[k]; !ok || got != v {
				return false
			}
		}
		return true
	})
}

// inProgress is the in-progress gauges with n calls in state (none in
// the others) and ports RTP ports held.
func inProgress(state string, n, ports float64) map[string]float64 {
	m := map[string]float64{"hotline_rtp_ports_in_use": ports}
	for _, s := range []string{"ivr", "queued", "ringing", "bridged", "survey"} {
		m[`hotline_calls_in_progress{state="`+s+`"}`] = 0
	}
	if state != "" {
		m[`hotline_calls_in_progress{state="`+state+`"}`] = n
	}
	return m
}

// with adds samples to m.
func with(m map[string]float64, samples ...any) map[string]float64 {
	for i := 0; i+1 < len(samples); i += 2 {
		m[samples[i].(string)] = samples[i+1].(float64)
	}
	return m
}

// idle is the exposition of the edge's collector once every call is over.
func idle(offered, answered, abandoned, registrations string) string {
	return `
# HELP hotline_calls_abandoned_total Calls whose caller hung up while queued or ringing.
# TYPE hotline_calls_abandoned_total counter
hotline_calls_abandoned_total ` + abandoned + `
# HELP hotline_calls_answered_total Calls bridged to an agent.
# TYPE hotline_calls_answered_total counter
hotline_calls_answered_total ` + answered + `
# HELP hotline_calls_in_progress Calls in progress by state: ivr (the menu), queued (waiting with music), ringing (an agent's phone rings), bridged, survey.
# TYPE hotline_calls_in_progress gauge
hotline_calls_in_progress{state="bridged"} 0
hotline_calls_in_progress{state="ivr"} 0
hotline_calls_in_progress{state="queued"} 0
hotline_calls_in_progress{state="ringing"} 0
hotline_calls_in_progress{state="survey"} 0
# HELP hotline_calls_offered_total Calls offered to an agent: an agent's phone rang for them (each call counted once).
# TYPE hotline_calls_offered_total counter
hotline_calls_offered_total ` + offered + `
# HELP hotline_rtp_ports_in_use RTP ports held now: each call's, and its agent leg's while ringing or bridged.
# TYPE hotline_rtp_ports_in_use gauge
hotline_rtp_ports_in_use 0
# HELP hotline_sip_agents_reachable Agents with at least one phone registered.
# TYPE hotline_sip_agents_reachable gauge
hotline_sip_agents_reachable ` + registrations + `
# HELP hotline_sip_registrations Phone bindings registered now.
# TYPE hotline_sip_registrations gauge
hotline_sip_registrations ` + registrations + `
`
}

// The metric families of idle (no RTP range is configured in these
// tests, so there is no capacity).
var callFamilies = []string{"hotline_calls_abandoned_total", "hotline_calls_answered_total", "hotline_calls_in_progress",
	"hotline_calls_offered_total", "hotline_rtp_ports_capacity", "hotline_rtp_ports_in_use",
	"hotline_sip_agents_reachable", "hotline_sip_registrations"}

func TestMetrics_CallInTheMenuThenQueuedThenAbandoned(t *testing.T) {
	e := startCalls(t, hsip.CallConfig{}, clock.System{})
	reg := metricsOf(t, e.srv)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(idle("0", "0", "0", "0")), callFamilies...); err != nil {
		t.Fatalf("before any call: %v", err)
	}
	c := newCaller(t, "13900139000")
	d, err := c.dial(t, e, "12345")
	if err != nil {
		t.Fatal(err)
	}
	e.oneCall(t)
	waitMetrics(t, reg, "the call in the menu, holding its RTP port", inProgress("ivr", 1, 1))
	if res := info(t, d, "Signal=2\r\nDuration=160\r\n"); res.StatusCode != 200 {
		t.Fatalf("INFO: %d", res.StatusCode)
	}
	waitMetrics(t, reg, "the call queued", inProgress("queued", 1, 1))
	hangUp(t, d)
	waitMetrics(t, reg, "the call abandoned and gone", with(inProgress("", 0, 0), "hotline_calls_abandoned_total", 1.0))
	if err := testutil.GatherAndCompare(reg, strings.NewReader(idle("0", "0", "1", "0")), callFamilies...); err != nil {
		t.Fatalf("after the call: %v", err)
	}
}

func TestMetrics_RingingBridgedSurveyThenAnswered(t *testing.T) {
	e := startBridge(t)
	reg := metricsOf(t, e.srv)
	answer, hangup := make(chan struct{}), make(chan struct{})
	phone := newPeer(t, "agent1", func(d *diago.DialogServerSession) {
		if err := d.Ringing(); err != nil {
			t.Error(err)
			return
		}
		select {
		case <-answer:
		case <-d.Context().Done():
			return
		}
		if _, err := d.Answer(diago.AnswerOptions{}); err != nil {
			t.Error(err)
			return
		}
		select {
		case <-hangup:
		case <-d.Context().Done():
			return
		}
		hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Hangup(hctx); err != nil {
			t.Errorf("phone hang up: %v", err)
		}
	})
	registerPhone(t, e, phone)
	waitMetrics(t, reg, "agent1's phone registered", map[string]float64{"hotline_sip_registrations": 1, "hotline_sip_agents_reachable": 1})

	caller := newPeer(t, "13900139000", nil)
	d, m, _ := callIn(t, e, caller)
	cctx, ccancel := context.WithCancel(context.Background())
	defer ccancel()
	talk := caller.talk(cctx, t, m, callerHz, callerAmp, agentHz) // RTP keeps the watchdog quiet
	waitMetrics(t, reg, "agent1's phone ringing: the caller's port and the agent leg's",
		with(inProgress("ringing", 1, 2), "hotline_calls_offered_total", 1.0, "hotline_calls_answered_total", 0.0))
	close(answer)
	waitMetrics(t, reg, "the call bridged", with(inProgress("bridged", 1, 2), "hotline_calls_answered_total", 1.0))
	close(hangup)
	waitMetrics(t, reg, "the caller in the survey, the agent leg freed", inProgress("survey", 1, 1))
	hangUp(t, d)
	waitMetrics(t, reg, "the call gone", inProgress("", 0, 0))
	ccancel()
	talk.Wait()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(idle("1", "1", "0", "1")), callFamilies...); err != nil {
		t.Fatalf("after the call: %v", err)
	}
}

func TestMetrics_HangUpWhileRingingIsAbandoned(t *testing.T) {
	e := startBridge(t)
	reg := metricsOf(t, e.srv)
	phone := newPeer(t, "agent1", func(d *diago.DialogServerSession) {
		if err := d.Ringing(); err != nil {
			t.Error(err)
			return
		}
		<-d.Context().Done() // CANCEL ends it
	})
	registerPhone(t, e, phone)
	caller := newPeer(t, "13900139000", nil)
	d, _, _ := callIn(t, e, caller)
	waitMetrics(t, reg, "agent1's phone ringing", with(inProgress("ringing", 1, 2), "hotline_calls_offered_total", 1.0))
	hangUp(t, d)
	waitMetrics(t, reg, "the call abandoned and gone", with(inProgress("", 0, 0), "hotline_calls_abandoned_total", 1.0))
	if err := testutil.GatherAndCompare(reg, strings.NewReader(idle("1", "0", "1", "1")), callFamilies...); err != nil {
		t.Fatalf("after the call: %v", err)
	}
}

// Requests the per-source limits refuse are counted by reason: new calls
// beyond the INVITE limit, REGISTERs beyond the REGISTER limit, and
// REGISTERs of a source blocked after failed authentications.
func TestMetrics_RefusedBySourceLimits(t *testing.T) {
	e := startEdge(t)
	reg := metricsOf(t, e.srv)
	if statuses, _ := sendInvites(t, newRawPeer(t, e, "127.0.0.3"), 30); statuses[503] != 10 {
		t.Fatalf("30 INVITEs from one source: %v, want 10 limited", statuses)
	}
	flood := newRawPeer(t, e, "127.0.0.2")
	for range 25 {
		flood.request(t, "REGISTER")
	}
	c := newClient(t)
	for range 10 {
		req := e.register(t, "agent1", "<sip:agent1@127.0.0.1:5099>", 600)
		doAuth(t, c, req, do(t, c, req), "wrong-password")
	}
	if res := do(t, c, e.register(t, "agent1", "<sip:agent1@127.0.0.1:5099>", 600)); res.StatusCode != 403 {
		t.Fatalf("blocked source: %d, want 403", res.StatusCode)
	}
	want := `
# HELP hotline_sip_refused_total SIP requests refused, by reason: invite_flood and register_flood (503), register_blocked (403 to a source blocked after failed authentications), untrusted_source (403 to a new call from outside the trunk).
# TYPE hotline_sip_refused_total counter
hotline_sip_refused_total{reason="invite_flood"} 10
hotline_sip_refused_total{reason="register_blocked"} 1
hotline_sip_refused_total{reason="register_flood"} 5
hotline_sip_refused_total{reason="untrusted_source"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hotline_sip_refused_total"); err != nil {
		t.Fatal(err)
	}
	// Without a call flow the call figures are there, at 0.
	if err := testutil.GatherAndCompare(reg, strings.NewReader(idle("0", "0", "0", "0")), callFamilies...); err != nil {
		t.Fatal(err)
	}
}
