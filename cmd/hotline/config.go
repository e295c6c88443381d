package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// Config is the hotline's configuration, read from HOTLINE_* environment
// variables; flags of the same name (http-addr for HOTLINE_HTTP_ADDR) override.
type Config struct {
	DatabaseURL string
	RedisURL    string
	HTTPAddr    string
	SIPAddr     string
	DataDir     string
	Search      string
	MeiliURL    string
	MeiliKey    string
	// SearchFallback is embedded (answer from the embedded index while
	// Meilisearch is down) or none.
	SearchFallback string
	TZ             string
	DemoPassword   string
	LogFormat      string
	LogLevel       string
	DebugAddr      string

	SMSURL          string
	SMSKey          string
	WebhookTimeout  string
	DeliveryRetries string
	RetryBase       string
	Workers         string
	SweepEvery      string

	AllowedOrigins string // comma-separated origins besides the server's own whose pages may use the console
	// TrustedProxies are the CIDRs of reverse proxies whose X-Forwarded-For
	// and X-Forwarded-Proto are believed.
	TrustedProxies string
	MetricsToken   string
	// LoginConcurrency bounds the password checks (Argon2id) run at once.
	LoginConcurrency string
	LogoutGrace      string
	ChatCapacity     string
}

// configVar binds one setting to its variable and flag.
type configVar struct {
	env, flag, def, help string
	field                *string
}

func (c *Config) vars() []configVar {
	return []configVar{
		{"HOTLINE_DATABASE_URL", "database-url", "postgres://hotline@127.0.0.1:5432/hotline?sslmode=disable", "PostgreSQL URL", &c.DatabaseURL},
		{"HOTLINE_REDIS_URL", "redis-url", "redis://127.0.0.1:6379/0", "Redis URL", &c.RedisURL},
		{"HOTLINE_HTTP_ADDR", "http-addr", "127.0.0.1:8080", "HTTP listen address", &c.HTTPAddr},
		{"HOTLINE_SIP_ADDR", "sip-addr", "127.0.0.1:5060", "SIP listen address (UDP and TCP)", &c.SIPAddr},
		{"HOTLINE_DATA_DIR", "data-dir", "data", "directory for attachments, recordings and the embedded index", &c.DataDir},
		{"HOTLINE_SEARCH", "search", "embedded", "search engine: embedded or meilisearch", &c.Search},
		{"HOTLINE_MEILI_URL", "meili-url", "", "Meilisearch URL", &c.MeiliURL},
		{"HOTLINE_MEILI_KEY", "meili-key", "", "Meilisearch API key", &c.MeiliKey},
		{"HOTLINE_SEARCH_FALLBACK", "search-fallback", "embedded", "with meilisearch: embedded (kept in step, searched while Meilisearch is down) or none", &c.SearchFallback},
		{"HOTLINE_TZ", "tz", "Asia/Shanghai", "time zone of deadlines and working days", &c.TZ},
		{"HOTLINE_DEMO_PASSWORD", "demo-password", "", "password of the demo accounts (seed --demo)", &c.DemoPassword},
		{"HOTLINE_LOG_FORMAT", "log-format", "json", "log format: json or text", &c.LogFormat},
		{"HOTLINE_LOG_LEVEL", "log-level", "info", "log level: debug, info, warn or error", &c.LogLevel},
		{"HOTLINE_DEBUG_ADDR", "debug-addr", "", "serve /debug/pprof on this address (keep it on loopback); empty: off", &c.DebugAddr},
		{"HOTLINE_SMS_URL", "sms-url", "", "SMS gateway URL (POST {to, text}); empty: SMS are only logged", &c.SMSURL},
		{"HOTLINE_SMS_KEY", "sms-key", "", "bearer key of the SMS gateway", &c.SMSKey},
		{"HOTLINE_WEBHOOK_TIMEOUT", "webhook-timeout", "10s", "time limit of one department webhook request", &c.WebhookTimeout},
		{"HOTLINE_DELIVERY_RETRIES", "delivery-retries", "8", "retries of a failed delivery or SMS before it is marked failed", &c.DeliveryRetries},
		{"HOTLINE_RETRY_BASE", "retry-base", "30s", "delay before the first retry; doubled for each further one, up to 1h", &c.RetryBase},
		{"HOTLINE_WORKERS", "workers", "50", "dispatch tasks processed at once by this node", &c.Workers},
		{"HOTLINE_SWEEP_EVERY", "sweep-every", "1m", "interval of the deadline supervision sweep", &c.SweepEvery},
		{"HOTLINE_ALLOWED_ORIGINS", "allowed-origins", "", "comma-separated origins (https://host) besides the server's own whose pages may use the console (websocket, cookie writes)", &c.AllowedOrigins},
		{"HOTLINE_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed", &c.TrustedProxies},
		{"HOTLINE_METRICS_TOKEN", "metrics-token", "", "bearer token /metrics requires; empty: /metrics is open", &c.MetricsToken},
		{"HOTLINE_LOGIN_CONCURRENCY", "login-concurrency", "", "password checks run at once (each holds 19 MiB); empty: the number of cores, at least 2", &c.LoginConcurrency},
		{"HOTLINE_LOGOUT_GRACE", "logout-grace", "20s", "how long an agent whose last console tab closed stays in routing", &c.LogoutGrace},
		{"HOTLINE_CHAT_CAPACITY", "chat-capacity", "3", "chats an agent takes at once unless the agent's profile says otherwise", &c.ChatCapacity},
	}
}

// configFromEnv reads the configuration from getenv, with defaults.
func configFromEnv(getenv func(string) string) Config {
	var c Config
	for _, v := range c.vars() {
		*v.field = v.def
		if s := getenv(v.env); s != "" {
			*v.field = s
		}
	}
	return c
}

// bindFlags registers a flag for every setting, defaulting to its current value.
func (c *Config) bindFlags(fs *flag.FlagSet) {
	for _, v := range c.vars() {
		fs.StringVar(v.field, v.flag, *v.field, fmt.Sprintf("%s (%s)", v.help, v.env))
	}
}

// validate checks the settings that have a fixed set of values.
func (c *Config) validate() error {
	switch c.Search {
	case "embedded", "meilisearch":
	default:
		return fmt.Errorf("HOTLINE_SEARCH must be embedded or meilisearch, not %q", c.Search)
	}
	if c.Search == "meilisearch" && c.MeiliURL == "" {
		return fmt.Errorf("HOTLINE_SEARCH=meilisearch needs HOTLINE_MEILI_URL")
	}
	if c.SearchFallback != "embedded" && c.SearchFallback != "none" {
		return fmt.Errorf("HOTLINE_SEARCH_FALLBACK must be embedded or none, not %q", c.SearchFallback)
	}
	switch strings.ToLower(c.LogFormat) {
	case "json", "text":
	default:
		return fmt.Errorf("HOTLINE_LOG_FORMAT must be json or text, not %q", c.LogFormat)
	}
	if _, err := c.dispatchConfig(); err != nil {
		return err
	}
	if _, err := c.trustedProxies(); err != nil {
		return err
	}
	if _, err := c.authOptions(); err != nil {
		return err
	}
	_, err := c.hubConfig()
	return err
}

// dispatchConfig parses the dispatch settings.
func (c *Config) dispatchConfig() (dispatch.Config, error) {
	d := dispatch.DefaultConfig()
	for _, v := range []struct {
		name, value string
		dst         *time.Duration
	}{
		{"HOTLINE_WEBHOOK_TIMEOUT", c.WebhookTimeout, &d.WebhookTimeout},
		{"HOTLINE_RETRY_BASE", c.RetryBase, &d.RetryBase},
		{"HOTLINE_SWEEP_EVERY", c.SweepEvery, &d.SweepEvery},
	} {
		if v.value == "" {
			continue
		}
		dur, err := time.ParseDuration(v.value)
		if err != nil || dur <= 0 {
			return d, fmt.Errorf("%s must be a positive duration such as 10s, not %q", v.name, v.value)
		}
		*v.dst = dur
	}
	for _, v := range []struct {
		name, value string
		dst         *int
		min, max    int
	}{
		{"HOTLINE_DELIVERY_RETRIES", c.DeliveryRetries, &d.MaxRetry, 1, 50},
		{"HOTLINE_WORKERS", c.Workers, &d.Concurrency, 1, 1000},
	} {
		if v.value == "" {
			continue
		}
		n, err := strconv.Atoi(v.value)
		if err != nil || n < v.min || n > v.max {
			return d, fmt.Errorf("%s must be a number from %d to %d, not %q", v.name, v.min, v.max, v.value)
		}
		*v.dst = n
	}
	return d, nil
}

// authOptions are the settings of logins: HOTLINE_LOGIN_CONCURRENCY.
func (c *Config) authOptions() ([]auth.Option, error) {
	if c.LoginConcurrency == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(c.LoginConcurrency)
	if err != nil || n < 1 || n > 1000 {
		return nil, fmt.Errorf("HOTLINE_LOGIN_CONCURRENCY must be a number from 1 to 1000, not %q", c.LoginConcurrency)
	}
	return []auth.Option{auth.WithHashing(n, 5*time.Second)}, nil
}

// trustedProxies parses HOTLINE_TRUSTED_PROXIES: CIDRs or single addresses.
func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("HOTLINE_TRUSTED_PROXIES: %q is neither a CIDR such as 10.0.0.0/8 nor an address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 { // ::ffff:10.0.0.0/104 is 10.0.0.0/8
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// environ adapts os.Getenv for configFromEnv.
func environ(name string) string { return os.Getenv(name) }
