package main

import (
	"context"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/routing"
)

// hubConfig is the console websocket settings.
func (c *Config) hubConfig() agentui.HubConfig {
	return agentui.HubConfig{AllowedOrigins: c.AllowedOrigins, LogoutGrace: c.LogoutGrace}
}

// routingConfig is the engine's configuration.
func (c *Config) routingConfig() routing.Config {
	return routing.Config{Location: c.TZ, ChatCapacity: c.ChatCapacity}
}

// startRouting loads the queues into a new routing engine and runs its
// timers until Close.
func (m *Main) startRouting(ctx context.Context) error {
	m.RoutingStore = postgres.NewRoutingStore(m.DB)
	m.Routing = routing.New(m.Clock, m.Config.routingConfig())
	queues, err := routing.NewConfigService(m.RoutingStore, m.Routing).Load(ctx)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	m.stopRouting, m.routingDone = cancel, make(chan struct{})
	go func() {
		defer close(m.routingDone)
		m.Routing.Run(runCtx)
	}()
	m.Log.Info("routing ready", "queues", queues)
	return nil
}

func (m *Main) stopRoutingEngine() {
	if m.stopRouting != nil {
		m.stopRouting()
		<-m.routingDone
		m.stopRouting = nil
	}
}
