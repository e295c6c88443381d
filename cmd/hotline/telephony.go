package main

import (
	"context"
	"fmt"

	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/sip"
)

// startTelephony starts the SIP edge on HOTLINE_SIP_ADDR: agents' phones
// register (digest, bindings kept in PostgreSQL) and the registrar tells
// routing which agents a phone can reach. Calls themselves are answered
// 480 until the call flow lands; until then routing does not require a
// phone for voice either (routing.Engine.RequireDevice stays off), so
// supervisors' test contacts still reach every ready agent.
func (m *Main) startTelephony(ctx context.Context) error {
	store := postgres.NewSIPStore(m.DB)
	m.SIPPasswords = telephony.NewCredentials(store, m.Config.SIPRealm)
	m.Calls = telephony.NewCalls(postgres.NewCallStore(m.DB), m.Clock)
	m.Registrar = telephony.NewRegistrar(store, m.Clock, func(agent string, reachable bool) {
		if err := m.Routing.SetReachable(agent, routing.Voice, reachable); err != nil {
			m.Log.Error("sip: tell routing an agent's phone changed", "agent", agent, "reachable", reachable, "err", err)
		}
	}, m.Log)
	if err := m.Registrar.Load(ctx); err != nil {
		return fmt.Errorf("load the phones' registrations: %w", err)
	}
	sipCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	srv, err := sip.Start(sipCtx, sip.Config{Addr: m.Config.SIPAddr, Realm: m.Config.SIPRealm}, m.Registrar, store, m.Clock, m.Log)
	if err != nil {
		stop()
		return fmt.Errorf("HOTLINE_SIP_ADDR: %w", err)
	}
	m.sip, m.stopSIP = srv, stop
	return nil
}

// SIPAddr is the bound address of the SIP edge (UDP and TCP).
func (m *Main) SIPAddr() string { return m.sip.Addr().String() }

// stopTelephony closes the SIP listeners and the registrar's timers; the
// bindings stay stored for the next start.
func (m *Main) stopTelephony() error {
	var err error
	if m.sip != nil {
		m.stopSIP()
		if err = m.sip.Wait(); err != nil {
			err = fmt.Errorf("stop SIP: %w", err)
		}
		m.sip, m.stopSIP = nil, nil
	}
	if m.Registrar != nil {
		m.Registrar.Close()
		m.Registrar = nil
	}
	return err
}
