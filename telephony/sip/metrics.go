package sip

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// callState is where a call is in the flow, for the metrics. Only the
// call's own goroutine moves it; a scrape reads it from the live calls,
// so a call that ends in any state leaves nothing behind.
type callState int32

const (
	stateNone    callState = iota // being answered, or hanging up
	stateIVR                      // in the menu
	stateQueued                   // waiting with music, no phone ringing
	stateRinging                  // an agent's phone rings
	stateBridged                  // talking to an agent
	stateSurvey                   // rating the call after the agent hung up
	numStates
)

var stateNames = [numStates]string{stateIVR: "ivr", stateQueued: "queued", stateRinging: "ringing",
	stateBridged: "bridged", stateSurvey: "survey"}

// enter moves the call to s.
func (c *call) enter(s callState) { c.state.Store(int32(s)) }

// ports is how many RTP ports the call's media holds: the caller's, and
// the agent leg's while its phone rings (diago binds the port before the
// INVITE leaves) or is bridged.
func (c *call) ports() int {
	n := 0
	if c.media.Load() {
		n++
	}
	if s := callState(c.state.Load()); s == stateRinging || s == stateBridged {
		n++
	}
	return n
}

// callStats counts calls since the start, each call at most once per
// counter.
type callStats struct {
	offered   atomic.Uint64 // an agent's phone rang
	answered  atomic.Uint64 // bridged to an agent
	abandoned atomic.Uint64 // the caller hung up while queued or ringing
}

// census counts the calls in progress by state and the RTP ports they
// hold.
func (cs *Calls) census() (states [numStates]int, ports int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, c := range cs.byID {
		states[c.state.Load()]++
		ports += c.ports()
	}
	return states, ports
}

// rtpCapacity is how many RTP ports the configured range offers: diago
// takes even ports from Min below Max (the odd one above is RTCP's); 0
// when no range is set.
func (cs *Calls) rtpCapacity() int {
	r := cs.cfg.RTPPorts
	if r.Min <= 0 || r.Max <= r.Min {
		return 0
	}
	return (r.Max - r.Min + 1) / 2
}

var (
	callsInProgressDesc = prometheus.NewDesc("hotline_calls_in_progress",
		"Calls in progress by state: ivr (the menu), queued (waiting with music), ringing (an agent's phone rings), bridged, survey.",
		[]string{"state"}, nil)
	callsOfferedDesc = prometheus.NewDesc("hotline_calls_offered_total",
		"Calls offered to an agent: an agent's phone rang for them (each call counted once).", nil, nil)
	callsAnsweredDesc = prometheus.NewDesc("hotline_calls_answered_total",
		"Calls bridged to an agent.", nil, nil)
	callsAbandonedDesc = prometheus.NewDesc("hotline_calls_abandoned_total",
		"Calls whose caller hung up while queued or ringing.", nil, nil)
	rtpInUseDesc = prometheus.NewDesc("hotline_rtp_ports_in_use",
		"RTP ports held now: each call's, and its agent leg's while ringing or bridged.", nil, nil)
	rtpCapacityDesc = prometheus.NewDesc("hotline_rtp_ports_capacity",
		"RTP ports the configured range (HOTLINE_RTP_PORTS) offers, one per media session.", nil, nil)
	registrationsDesc = prometheus.NewDesc("hotline_sip_registrations",
		"Phone bindings registered now.", nil, nil)
	agentsReachableDesc = prometheus.NewDesc("hotline_sip_agents_reachable",
		"Agents with at least one phone registered.", nil, nil)
	sipRefusedDesc = prometheus.NewDesc("hotline_sip_refused_total",
		"SIP requests refused, by reason: invite_flood and register_flood (503), register_blocked (403 to a source blocked after failed authentications), untrusted_source (403 to a new call from outside the trunk).",
		[]string{"reason"}, nil)
	trunkRegisteredDesc = prometheus.NewDesc("hotline_sip_trunk_registered",
		"1 while the edge is registered with the registration-based trunk (HOTLINE_SIP_TRUNK), 0 while its registration fails; absent for an IP-based trunk or none.", nil, nil)
	trunkRegistrationsDesc = prometheus.NewDesc("hotline_sip_trunk_registrations_total",
		"REGISTERs to the trunk's registrar (registrations and refreshes, digest round included), by result: ok (200) or failed.",
		[]string{"result"}, nil)
)

// Collector returns the SIP edge's figures for /metrics, read at each
// scrape: calls in progress by state, calls offered, answered and
// abandoned, RTP ports, registrations, requests refused by the
// per-source limits, and the registration with a registration-based
// trunk. Without a call flow the call figures stay 0.
func (s *Server) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{callsInProgressDesc, callsOfferedDesc, callsAnsweredDesc, callsAbandonedDesc,
		rtpInUseDesc, rtpCapacityDesc, registrationsDesc, agentsReachableDesc, sipRefusedDesc,
		trunkRegisteredDesc, trunkRegistrationsDesc} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	var states [numStates]int
	var ports int
	stats := &callStats{}
	if cs := c.s.calls; cs != nil {
		states, ports = cs.census()
		stats = &cs.stats
		if n := cs.rtpCapacity(); n > 0 {
			gauge(rtpCapacityDesc, n)
		}
	}
	for st := stateIVR; st < numStates; st++ {
		gauge(callsInProgressDesc, states[st], stateNames[st])
	}
	gauge(rtpInUseDesc, ports)
	counter(callsOfferedDesc, stats.offered.Load())
	counter(callsAnsweredDesc, stats.answered.Load())
	counter(callsAbandonedDesc, stats.abandoned.Load())
	bindings, agents := c.s.reg.registrar.Counts()
	gauge(registrationsDesc, bindings)
	gauge(agentsReachableDesc, agents)
	invites, _ := c.s.invites.refusals()
	floods, blocks := c.s.reg.guard.refusals()
	counter(sipRefusedDesc, invites, "invite_flood")
	counter(sipRefusedDesc, floods, "register_flood")
	counter(sipRefusedDesc, blocks, "register_blocked")
	counter(sipRefusedDesc, c.s.untrusted.Load(), "untrusted_source")
	if t := c.s.trunk; t != nil {
		registered := 0
		if t.state().Registered {
			registered = 1
		}
		gauge(trunkRegisteredDesc, registered)
		counter(trunkRegistrationsDesc, t.ok.Load(), "ok")
		counter(trunkRegistrationsDesc, t.failed.Load(), "failed")
	}
}
