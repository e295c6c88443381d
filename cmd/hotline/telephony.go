package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
	"github.com/open12345/hotline/telephony/sip"
)

// startTelephony starts the voice channel on HOTLINE_SIP_ADDR: agents'
// phones register (digest, bindings kept in PostgreSQL) and the registrar
// tells routing which agents a phone can reach; calls to the hotline's
// number go through the IVR (its menu stored in PostgreSQL, which admins
// change through the API) into routing's queues, ring the offered
// agent's phone, are bridged, recorded and written to the call records;
// waiting callers may leave a voicemail (a ticket) or ask for a callback,
// and outside HOTLINE_VOICE_HOURS calls go to voicemail.
// From then on routing offers calls only to agents with a registered
// phone (RequireDevice), chats to everyone ready. The SIP edge's figures
// (calls by state, registrations, RTP ports) go on reg.
func (m *Main) startTelephony(ctx context.Context, reg prometheus.Registerer) error {
	store := postgres.NewSIPStore(m.DB)
	m.SIPPasswords = telephony.NewCredentials(store, m.Config.SIPRealm)
	m.Calls = telephony.NewCalls(postgres.NewCallStore(m.DB), m.Clock, telephony.WithTicketRatings(m.Tickets))
	m.Registrar = telephony.NewRegistrar(store, m.Clock, func(agent string, reachable bool) {
		if err := m.Routing.SetReachable(agent, routing.Voice, reachable); err != nil {
			m.Log.Error("sip: tell routing an agent's phone changed", "agent", agent, "reachable", reachable, "err", err)
		}
	}, m.Log)
	if err := m.Registrar.Load(ctx); err != nil {
		return fmt.Errorf("load the phones' registrations: %w", err)
	}
	if err := m.Routing.RequireDevice(routing.Voice, true); err != nil {
		return fmt.Errorf("require phones for calls: %w", err)
	}
	recordings := filepath.Join(m.Config.DataDir, "recordings")
	if err := os.MkdirAll(recordings, 0o750); err != nil {
		return fmt.Errorf("HOTLINE_DATA_DIR: %w", err)
	}
	m.Prompts = prompts.New(m.Config.DataDir, m.Log)
	queueKnown := func(name string) bool {
		return slices.ContainsFunc(m.Routing.Queues(), func(q routing.QueueConfig) bool { return q.Name == name })
	}
	menus, err := telephony.LoadMenus(ctx, postgres.NewIVRStore(m.DB), queueKnown, prompts.Known)
	if err != nil {
		return err
	}
	m.IVRMenus = menus
	m.callLog = m.Calls.CallLog(m.Log)
	flow := sip.NewCalls(sip.CallConfig{Number: m.Config.SIPNumber, Menus: m.IVRMenus, AnnounceEvery: m.Config.AnnounceEvery,
		Progress: newTicketProgress(m.Tickets, postgres.NewQuotaStore(m.DB), m.Clock, m.Log),
		RTPPorts: sip.PortRange{Min: m.Config.RTPPorts[0], Max: m.Config.RTPPorts[1]}, Recordings: recordings,
		Voicemail: telephony.NewVoicemails(m.Tickets, m.Files, m.Calls, m.Log), Hours: m.Tickets.Schedule(m.Config.VoiceHours)},
		m.Routing, m.Prompts, m.callLog,
		sip.NewPhones(m.Registrar, m.Routing, m.Clock, m.Log), m.Clock, m.Log)
	sipCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	srv, err := sip.Start(sipCtx, sip.Config{Addr: m.Config.SIPAddr, Realm: m.Config.SIPRealm, InviteLimit: m.Config.SIPInviteLimit, Calls: flow,
		Trunk: m.Config.SIPTrunk, Open: m.Config.SIPOpen}, m.Registrar, store, m.Clock, m.Log)
	if err != nil {
		stop()
		return errors.Join(fmt.Errorf("HOTLINE_SIP_ADDR: %w", err), m.closeCallLog())
	}
	m.sip, m.stopSIP, m.voice = srv, stop, flow
	m.Outbound = telephony.NewOutboundCalls(m.Calls, m.callLog, flow, m.Routing, postgres.NewQuotaStore(m.DB), m.Tickets, m.Clock, m.Log,
		telephony.OutboundConfig{Number: m.Config.SIPNumber, PerDay: m.Config.CallbackPerDay,
			Hours: m.Tickets.Schedule(m.Config.CallbackHours), HoursDoc: m.Config.CallbackHours.String(),
			Attempts: m.Config.CallbackAttempts, Location: m.Tickets.Location()})
	work := telephony.NewCallbackWork(m.Outbound, m.Routing, float64(m.Config.CallbackShare)/100, m.Clock, m.Log)
	workCtx, stopWork := context.WithCancel(context.Background())
	workDone := make(chan struct{})
	go func() { defer close(workDone); work.Run(workCtx) }()
	m.stopWork = func() { stopWork(); <-workDone }
	if err := reg.Register(srv.Collector()); err != nil {
		return fmt.Errorf("telephony metrics: %w", err) // Run's Close stops the edge
	}
	return nil
}

// trunkCheck shows the carrier trunk in /readyz: "none", "ip <addrs>",
// or a registration's state ("registered until …", "registering",
// "failing: <last error>; next attempt …"). It never makes the server
// not ready: without the trunk no call comes in, but the consoles,
// tickets and chats still work, and a load balancer taking the node out
// would stop those too (docs/ARCHITECTURE.md, Telephony: Trunk).
func trunkCheck(srv *sip.Server, trunk sip.Trunk) agentui.Check {
	return agentui.Check{Name: "sip_trunk", Report: func() string {
		st := srv.TrunkStatus()
		switch {
		case !st.Configured:
			return trunk.String()
		case st.Registered:
			return "registered until " + st.ExpiresAt.UTC().Format(time.RFC3339)
		case st.LastError == "":
			return "registering"
		}
		return "failing: " + st.LastError + "; next attempt " + st.NextAttempt.UTC().Format(time.RFC3339)
	}}
}

// SIPAddr is the bound address of the SIP edge (UDP and TCP).
func (m *Main) SIPAddr() string { return m.sip.Addr().String() }

// stopTelephony closes the SIP listeners (every call ends), then writes
// the call records still pending and closes the registrar's timers; the
// bindings stay stored for the next start.
func (m *Main) stopTelephony() error {
	var err error
	if m.Outbound != nil {
		m.stopWork()
		m.Outbound.Close() // hangs up the outbound calls and settles their entries
		m.Outbound, m.stopWork = nil, nil
	}
	if m.sip != nil {
		m.stopSIP()
		if err = m.sip.Wait(); err != nil {
			err = fmt.Errorf("stop SIP: %w", err)
		}
		m.sip, m.stopSIP, m.voice = nil, nil, nil
	}
	err = errors.Join(err, m.closeCallLog())
	if m.Registrar != nil {
		m.Registrar.Close()
		m.Registrar = nil
	}
	return err
}

// closeCallLog writes the call records' pending steps, for at most
// ShutdownTimeout.
func (m *Main) closeCallLog() error {
	if m.callLog == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
	defer cancel()
	err := m.callLog.Close(ctx)
	m.callLog = nil
	return err
}
