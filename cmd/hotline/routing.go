package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/routing"
)

// hubConfig parses the console websocket settings.
func (c *Config) hubConfig() (agentui.HubConfig, error) {
	var h agentui.HubConfig
	for _, o := range strings.Split(c.AllowedOrigins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return h, fmt.Errorf("HOTLINE_ALLOWED_ORIGINS: %q is not an origin such as https://console.example.gov.cn", o)
		}
		h.AllowedOrigins = append(h.AllowedOrigins, strings.TrimSuffix(o, "/"))
	}
	if c.LogoutGrace != "" {
		d, err := time.ParseDuration(c.LogoutGrace)
		if err != nil || d <= 0 || d > time.Hour {
			return h, fmt.Errorf("HOTLINE_LOGOUT_GRACE must be a duration up to 1h such as 20s, not %q", c.LogoutGrace)
		}
		h.LogoutGrace = d
	}
	return h, nil
}

// routingConfig is the engine's configuration.
func (c *Config) routingConfig(loc *time.Location) (routing.Config, error) {
	cfg := routing.Config{Location: loc}
	if c.ChatCapacity != "" {
		n, err := strconv.Atoi(c.ChatCapacity)
		if err != nil || n < 1 || n > routing.MaxChatCapacity {
			return cfg, fmt.Errorf("HOTLINE_CHAT_CAPACITY must be a number from 1 to %d, not %q", routing.MaxChatCapacity, c.ChatCapacity)
		}
		cfg.ChatCapacity = n
	}
	return cfg, nil
}

// startRouting loads the queues into a new routing engine and runs its
// timers until Close.
func (m *Main) startRouting(ctx context.Context) error {
	cfg, err := m.Config.routingConfig(m.loc)
	if err != nil {
		return err
	}
	m.RoutingStore = postgres.NewRoutingStore(m.DB)
	queues, err := m.RoutingStore.Queues(ctx)
	if err != nil {
		return fmt.Errorf("load routing queues: %w", err)
	}
	m.Routing = routing.New(m.Clock, cfg)
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
