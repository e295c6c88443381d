package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/quota"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony/sip"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
	"github.com/open12345/hotline/webchat"
)

// Config is the hotline's configuration, read from HOTLINE_* environment
// variables; flags of the same name (http-addr for HOTLINE_HTTP_ADDR)
// override. Each setting is parsed once, as it is read, into its type; a
// bad value is reported by validate, naming its variable.
type Config struct {
	DatabaseURL string
	RedisURL    string
	HTTPAddr    string
	SIPAddr     string
	SIPRealm    string // the digest realm of agents' SIP passwords; their HA1 depends on it
	SIPNumber   string // the hotline's number, whose calls reach the IVR
	// SIPInviteLimit is the new calls one source may send per 10 s.
	SIPInviteLimit int
	// SIPTrunk is the carrier's trunk; SIPOpen takes calls from anywhere.
	SIPTrunk sip.Trunk
	SIPOpen  bool
	RTPPorts [2]int // the UDP ports of RTP, both ends included
	// AnnounceEvery is how often a waiting caller hears the position.
	AnnounceEvery time.Duration
	DataDir       string
	Search        string // embedded or meilisearch
	MeiliURL      string
	MeiliKey      string
	// SearchFallback is embedded (answer from the embedded index while
	// Meilisearch is down) or none.
	SearchFallback string
	// SearchCache is how many distinct searches keep their results (0: none).
	SearchCache  int
	TZ           *time.Location
	DemoPassword string
	LogFormat    string // json or text
	LogLevel     slog.Level
	DebugAddr    string

	SMSURL          string
	SMSKey          string
	WebhookTimeout  time.Duration
	DeliveryRetries int
	RetryBase       time.Duration
	Workers         int
	SweepEvery      time.Duration

	AllowedOrigins []string // origins besides the server's own whose pages may use the console
	ChatOrigins    []string // origins besides the server's own whose pages may embed the citizens' chat
	ChatHours      ticketing.ServiceHours
	VoiceHours     ticketing.ServiceHours // when agents answer calls; outside them calls go to voicemail
	// CallbackHours say when citizens may be called back (never at
	// night); CallbackPerDay and CallbackAttempts bound the calls to one
	// number a day and the unanswered attempts of a missed-call entry.
	CallbackHours    ticketing.ServiceHours
	CallbackPerDay   int
	CallbackAttempts int
	// CallbackShare is the percentage of the agents taking calls whom the
	// missed-call list is offered to at once, while no inbound call waits.
	CallbackShare int
	ChatIdle      time.Duration
	// TrustedProxies are the CIDRs of reverse proxies whose X-Forwarded-For
	// and X-Forwarded-Proto are believed.
	TrustedProxies []netip.Prefix
	MetricsToken   string
	// LoginConcurrency bounds the password checks (Argon2id) run at once;
	// 0: the number of cores, at least 2.
	LoginConcurrency int
	LogoutGrace      time.Duration
	ChatCapacity     int

	// invalid holds the errors of the environment's bad values, until a
	// flag sets the setting right.
	invalid []settingError
}

// settingError is a bad value of one setting.
type settingError struct {
	env string
	err error
}

// setting binds one field of Config to its variable and flag.
type setting struct {
	env, flag, def, help string
	value                flag.Value
	secret               bool // neither shown in help nor in errors
}

// settings lists every setting of c, with its default.
func (c *Config) settings() []setting {
	return []setting{
		{"HOTLINE_DATABASE_URL", "database-url", "postgres://hotline@127.0.0.1:5432/hotline?sslmode=disable", "PostgreSQL URL",
			serviceURL{p: &c.DatabaseURL, schemes: []string{"postgres", "postgresql"}, example: "postgres://hotline@127.0.0.1:5432/hotline"}, false},
		{"HOTLINE_REDIS_URL", "redis-url", "redis://127.0.0.1:6379/0", "Redis URL",
			serviceURL{p: &c.RedisURL, schemes: []string{"redis", "rediss", "unix"}, example: "redis://127.0.0.1:6379/0"}, false},
		{"HOTLINE_HTTP_ADDR", "http-addr", "127.0.0.1:8080", "HTTP listen address", address{p: &c.HTTPAddr, example: "127.0.0.1:8080"}, false},
		{"HOTLINE_SIP_ADDR", "sip-addr", "127.0.0.1:5060", "SIP listen address (UDP and TCP)", address{p: &c.SIPAddr, example: "127.0.0.1:5060"}, false},
		{"HOTLINE_SIP_NUMBER", "sip-number", "12345", "the hotline's number: calls to it reach the IVR", sipNumber{&c.SIPNumber}, false},
		{"HOTLINE_SIP_INVITE_LIMIT", "sip-invite-limit", "20", "new calls (INVITEs) one source may send per 10 s before it gets 503; raise it for a carrier trunk",
			intIn{p: &c.SIPInviteLimit, min: 1, max: 1_000_000}, false},
		{"HOTLINE_SIP_TRUNK", "sip-trunk", "", "the carrier's trunk: ip:<addr>[,<addr>…] for an IP-based trunk, or sip:user:password@host[:port][;transport=tcp] to register there; its calls reach the IVR",
			sipTrunk{&c.SIPTrunk}, true},
		{"HOTLINE_SIP_OPEN", "sip-open", "false", "take calls from any address, not only the trunk's (a lab or the demo; make run sets true)", boolean{&c.SIPOpen}, false},
		{"HOTLINE_RTP_PORTS", "rtp-ports", "20000-29999", "UDP port range of RTP (calls' audio), low-high", portRange{&c.RTPPorts}, false},
		{"HOTLINE_ANNOUNCE_EVERY", "announce-every", "30s", "how often a waiting caller hears the queue position", durationIn{p: &c.AnnounceEvery, max: 10 * time.Minute, example: "30s"}, false},
		{"HOTLINE_SIP_REALM", "sip-realm", "hotline", "digest realm of agents' SIP passwords; changing it invalidates every SIP password", sipRealm{&c.SIPRealm}, false},
		{"HOTLINE_DATA_DIR", "data-dir", "data", "directory for attachments, recordings and IVR prompts", directory{&c.DataDir}, false},
		{"HOTLINE_SEARCH", "search", "embedded", "search engine: embedded or meilisearch", oneOf{&c.Search, []string{"embedded", "meilisearch"}}, false},
		{"HOTLINE_MEILI_URL", "meili-url", "", "Meilisearch URL",
			serviceURL{p: &c.MeiliURL, schemes: []string{"http", "https"}, example: "http://127.0.0.1:7700", optional: true}, false},
		{"HOTLINE_MEILI_KEY", "meili-key", "", "Meilisearch API key", token{&c.MeiliKey}, true},
		{"HOTLINE_SEARCH_FALLBACK", "search-fallback", "embedded", "with meilisearch: embedded (kept in step, searched while Meilisearch is down) or none",
			oneOf{&c.SearchFallback, []string{"embedded", "none"}}, false},
		{"HOTLINE_SEARCH_CACHE", "search-cache", "4096", "distinct searches whose results are kept until a guide or synonym changes (embedded index; 0 turns the cache off)",
			intIn{p: &c.SearchCache, min: 0, max: 1_000_000}, false},
		{"HOTLINE_TZ", "tz", "Asia/Shanghai", "time zone of deadlines and working days", location{&c.TZ}, false},
		{"HOTLINE_DEMO_PASSWORD", "demo-password", "hotline-demo", "password of the demo accounts (seed --demo); hotline-demo unless set", text{&c.DemoPassword, 8, 256}, true},
		{"HOTLINE_LOG_FORMAT", "log-format", "json", "log format: json or text", oneOf{&c.LogFormat, []string{"json", "text"}}, false},
		{"HOTLINE_LOG_LEVEL", "log-level", "info", "log level: debug, info, warn or error", logLevel{&c.LogLevel}, false},
		{"HOTLINE_DEBUG_ADDR", "debug-addr", "", "serve /debug/pprof on this address (keep it on loopback); empty: off",
			address{p: &c.DebugAddr, example: "127.0.0.1:6060", optional: true}, false},
		{"HOTLINE_SMS_URL", "sms-url", "", "SMS gateway URL (POST {to, text}); empty: SMS are only logged, and recorded as not sent",
			serviceURL{p: &c.SMSURL, schemes: []string{"http", "https"}, example: "https://sms.example.gov.cn/send", optional: true}, false},
		{"HOTLINE_SMS_KEY", "sms-key", "", "bearer key of the SMS gateway", token{&c.SMSKey}, true},
		{"HOTLINE_WEBHOOK_TIMEOUT", "webhook-timeout", "10s", "time limit of one department webhook request",
			durationIn{p: &c.WebhookTimeout, example: "10s"}, false},
		{"HOTLINE_DELIVERY_RETRIES", "delivery-retries", "8", "retries of a failed delivery or SMS before it is marked failed",
			intIn{p: &c.DeliveryRetries, min: 1, max: 50}, false},
		{"HOTLINE_RETRY_BASE", "retry-base", "30s", "delay before the first retry; doubled for each further one, up to 1h",
			durationIn{p: &c.RetryBase, example: "30s"}, false},
		{"HOTLINE_WORKERS", "workers", "50", "background tasks (deliveries, SMS, every domain's jobs) processed at once by this node", intIn{p: &c.Workers, min: 1, max: 1000}, false},
		{"HOTLINE_SWEEP_EVERY", "sweep-every", "1m", "interval of the deadline supervision sweep", durationIn{p: &c.SweepEvery, example: "1m"}, false},
		{"HOTLINE_ALLOWED_ORIGINS", "allowed-origins", "", "comma-separated origins (https://host) besides the server's own whose pages may use the console (websocket, cookie writes)",
			origins{&c.AllowedOrigins}, false},
		{"HOTLINE_CHAT_ORIGINS", "chat-origins", "", "comma-separated origins (https://portal.example.gov.cn) besides the server's own whose pages may embed the citizens' chat",
			origins{&c.ChatOrigins}, false},
		{"HOTLINE_CHAT_HOURS", "chat-hours", "24x7", "when agents answer chats: 24x7, one window every day (08:00-20:00), or working days and rest days of the calendar (08:30-17:30,09:00-12:00; closed for none); outside them the citizen may leave a message",
			serviceHours{&c.ChatHours}, false},
		{"HOTLINE_VOICE_HOURS", "voice-hours", "24x7", "when agents answer calls, in HOTLINE_CHAT_HOURS' form; outside them a caller hears so and may leave a voicemail",
			serviceHours{&c.VoiceHours}, false},
		{"HOTLINE_CALLBACK_HOURS", "callback-hours", "08:00-21:00", "when agents may call citizens back (回拨, 回访), in HOTLINE_CHAT_HOURS' form; never at night",
			serviceHours{&c.CallbackHours}, false},
		{"HOTLINE_CALLBACK_PER_DAY", "callback-per-day", "3", "outbound calls to one number per calendar day",
			intIn{p: &c.CallbackPerDay, min: 1, max: 100}, false},
		{"HOTLINE_CALLBACK_ATTEMPTS", "callback-attempts", "3", "unanswered calls after which a missed-call entry is unreachable",
			intIn{p: &c.CallbackAttempts, min: 1, max: 20}, false},
		{"HOTLINE_CALLBACK_SHARE", "callback-share", "25", "percent of the agents taking calls who may be given missed-call entries to call back at once, while no inbound call waits; 0: agents take them by hand only",
			intIn{p: &c.CallbackShare, min: 0, max: 100}, false},
		{"HOTLINE_CHAT_IDLE", "chat-idle", "10m", "silence after which a chat closes by itself; the citizen is warned 2 minutes before (half the time when it is shorter than 4m)",
			durationIn{p: &c.ChatIdle, min: time.Minute, max: 24 * time.Hour, example: "10m"}, false},
		{"HOTLINE_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed",
			prefixes{&c.TrustedProxies}, false},
		{"HOTLINE_METRICS_TOKEN", "metrics-token", "", "bearer token /metrics requires; empty: /metrics is open", token{&c.MetricsToken}, true},
		{"HOTLINE_LOGIN_CONCURRENCY", "login-concurrency", "", "password checks run at once (each holds 19 MiB); empty: the number of cores, at least 2",
			intIn{p: &c.LoginConcurrency, min: 1, max: 1000, optional: true}, false},
		{"HOTLINE_LOGOUT_GRACE", "logout-grace", "20s", "how long an agent whose last console tab closed stays in routing",
			durationIn{p: &c.LogoutGrace, max: time.Hour, example: "20s"}, false},
		{"HOTLINE_CHAT_CAPACITY", "chat-capacity", "3", "chats an agent takes at once unless the agent's profile says otherwise",
			intIn{p: &c.ChatCapacity, min: 1, max: routing.MaxChatCapacity}, false},
	}
}

// set parses text into the setting; the error names the variable.
func (s setting) set(text string) error {
	if err := s.value.Set(text); err != nil {
		if s.secret {
			return fmt.Errorf("%s %v", s.env, err)
		}
		return fmt.Errorf("%s %v, not %q", s.env, err, redacted(text))
	}
	return nil
}

// redacted is text with the password of a URL in it hidden.
func redacted(text string) string {
	if u, err := url.Parse(text); err == nil && u.User != nil {
		return u.Redacted()
	}
	return text
}

// configFromEnv reads the configuration from getenv, with defaults; an
// empty variable is the default. Bad values are kept for validate.
func configFromEnv(getenv func(string) string) Config {
	var c Config
	for _, s := range c.settings() {
		v := getenv(s.env)
		if v == "" {
			v = s.def
		}
		if err := s.set(v); err != nil {
			c.invalid = append(c.invalid, settingError{s.env, err})
		}
	}
	return c
}

// bindFlags registers a flag for every setting, defaulting to its current
// value. A flag set right clears the error of its variable's bad value.
func (c *Config) bindFlags(fs *flag.FlagSet) {
	for _, s := range c.settings() {
		fs.Var(settingFlag{s, c}, s.flag, fmt.Sprintf("%s (%s)", s.help, s.env))
	}
}

// settingFlag is a setting as a flag.
type settingFlag struct {
	s   setting
	cfg *Config
}

// String is the current value for the help; secrets are not shown.
func (f settingFlag) String() string {
	if f.s.value == nil || f.s.secret {
		return ""
	}
	return redacted(f.s.value.String())
}

// Set parses the flag's value.
func (f settingFlag) Set(text string) error {
	if err := f.s.set(text); err != nil {
		return err
	}
	f.cfg.invalid = slices.DeleteFunc(f.cfg.invalid, func(e settingError) bool { return e.env == f.s.env })
	return nil
}

// validate reports the bad values read, and settings that need others.
func (c *Config) validate() error {
	var errs []error
	for _, e := range c.invalid {
		errs = append(errs, e.err)
	}
	if c.Search == "meilisearch" && c.MeiliURL == "" {
		errs = append(errs, errors.New("HOTLINE_SEARCH=meilisearch needs HOTLINE_MEILI_URL"))
	}
	if c.TZ == nil && len(errs) == 0 { // a Config not read by configFromEnv
		errs = append(errs, errors.New("HOTLINE_TZ is not set"))
	}
	return errors.Join(errs...)
}

// dispatchConfig is the dispatch settings.
func (c *Config) dispatchConfig() dispatch.Config {
	d := dispatch.DefaultConfig()
	d.WebhookTimeout, d.RetryBase, d.SweepEvery = c.WebhookTimeout, c.RetryBase, c.SweepEvery
	d.MaxRetry, d.Concurrency = c.DeliveryRetries, c.Workers
	return d
}

// authOptions are the settings of logins: HOTLINE_LOGIN_CONCURRENCY.
func (c *Config) authOptions() []auth.Option {
	if c.LoginConcurrency == 0 {
		return nil
	}
	return []auth.Option{auth.WithHashing(c.LoginConcurrency, 5*time.Second)}
}

// environ adapts os.Getenv for configFromEnv.
func environ(name string) string { return os.Getenv(name) }

// chatConfig is what the web chat's bot and sweeps need: the chats'
// service hours on the tickets' calendar, tickets for left messages and
// progress queries, and when silent chats close.
func (c Config) chatConfig(tickets *ticketing.Service, quotas quota.Store, sms webchat.SMS, loc *time.Location) webchat.Config {
	lead := min(2*time.Minute, c.ChatIdle/2)
	return webchat.Config{Hours: tickets.Schedule(c.ChatHours), Tickets: tickets, Quotas: quotas, SMS: sms, Location: loc,
		Idle: webchat.IdleConfig{Warn: c.ChatIdle - lead, Close: c.ChatIdle}}
}
