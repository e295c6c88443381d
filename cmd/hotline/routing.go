package main

import (
	"context"
	"fmt"

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
	queues, err := m.RoutingStore.Queues(ctx)
	if err != nil {
		return fmt.Errorf("load routing queues: %w", err)
	}
	m.Routing = routing.New(m.Clock, m.Config.routingConfig())
	for _, q := range queues {
		if err := m.Routing.SetQueue(q); err != nil {
			return fmt.Errorf("queue %s: %w", q.Name, err)
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	m.stopRouting, m.routingDone = cancel, make(chan struct{})
	go func() {
		defer close(m.routingDone)
		m.Routing.Run(runCtx)
	}()
	m.Log.Info("routing ready", "queues", len(queues))
	return nil
}

func (m *Main) stopRoutingEngine() {
	if m.stopRouting != nil {
		m.stopRouting()
		<-m.routingDone
		m.stopRouting = nil
	}
}
