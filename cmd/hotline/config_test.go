package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// envOf is a getenv over a map.
func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestConfig_Defaults(t *testing.T) {
	c := configFromEnv(envOf(nil))
	if err := c.validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.SIPAddr != "127.0.0.1:5060" || c.DataDir != "data" || c.Search != "embedded" ||
		c.SearchFallback != "embedded" || c.SearchCache != 4096 || c.TZ.String() != "Asia/Shanghai" || c.DemoPassword != "hotline-demo" ||
		c.LogFormat != "json" || c.LogLevel != slog.LevelInfo || c.DebugAddr != "" || c.SMSURL != "" ||
		c.WebhookTimeout != 10*time.Second || c.DeliveryRetries != 8 || c.RetryBase != 30*time.Second ||
		c.Workers != 50 || c.SweepEvery != time.Minute || c.AllowedOrigins != nil || c.TrustedProxies != nil ||
		c.MetricsToken != "" || c.LoginConcurrency != 0 || c.LogoutGrace != 20*time.Second || c.ChatCapacity != 3 ||
		c.SIPNumber != "12345" || c.SIPInviteLimit != 20 || c.RTPPorts != [2]int{20000, 29999} || c.AnnounceEvery != 30*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	// What the help shows as a default reads back as the same setting.
	for _, s := range c.settings() {
		if shown := s.value.String(); shown != "" || s.def == "" {
			if err := s.set(shown); err != nil {
				t.Errorf("%s shows its value as %q, which it does not take: %v", s.env, shown, err)
			}
		}
	}
}

func TestConfig_ParsesLists(t *testing.T) {
	c := configFromEnv(envOf(map[string]string{
		"HOTLINE_TRUSTED_PROXIES":   " 10.0.0.0/8, 192.0.2.10,::ffff:172.16.0.0/108 ,2001:db8::/32",
		"HOTLINE_ALLOWED_ORIGINS":   "https://console.example.gov.cn/, http://127.0.0.1:3000",
		"HOTLINE_LOG_FORMAT":        "TEXT",
		"HOTLINE_LOGIN_CONCURRENCY": "4",
		"HOTLINE_SIP_INVITE_LIMIT":  "5000",
	}))
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.10/32"),
		netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("2001:db8::/32")}
	if !slices.Equal(c.TrustedProxies, want) {
		t.Errorf("trusted proxies %v, want %v", c.TrustedProxies, want)
	}
	if !slices.Equal(c.AllowedOrigins, []string{"https://console.example.gov.cn", "http://127.0.0.1:3000"}) {
		t.Errorf("allowed origins %q", c.AllowedOrigins)
	}
	if c.LogFormat != "text" || len(c.authOptions()) != 1 || c.SIPInviteLimit != 5000 {
		t.Errorf("log format %q, auth options %d, SIP invite limit %d", c.LogFormat, len(c.authOptions()), c.SIPInviteLimit)
	}
}

// badValues holds, for every variable, a value it refuses.
func badValues(t *testing.T) map[string]string {
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"HOTLINE_DATABASE_URL":      "mysql://root@db/hotline",
		"HOTLINE_REDIS_URL":         "127.0.0.1:6379",
		"HOTLINE_HTTP_ADDR":         "8080",
		"HOTLINE_SIP_ADDR":          "127.0.0.1",
		"HOTLINE_SIP_REALM":         `hot"line`,
		"HOTLINE_SIP_NUMBER":        "12345#",
		"HOTLINE_SIP_INVITE_LIMIT":  "0",
		"HOTLINE_SIP_TRUNK":         "sip:acct@carrier.example",
		"HOTLINE_SIP_OPEN":          "sometimes",
		"HOTLINE_VOICE_HOURS":       "25:00-26:00",
		"HOTLINE_CALLBACK_HOURS":    "21:00-08:00",
		"HOTLINE_CALLBACK_PER_DAY":  "0",
		"HOTLINE_CALLBACK_ATTEMPTS": "many",
		"HOTLINE_CALLBACK_SHARE":    "101",
		"HOTLINE_RTP_PORTS":         "30000-20000",
		"HOTLINE_ANNOUNCE_EVERY":    "never",
		"HOTLINE_DATA_DIR":          file,
		"HOTLINE_SEARCH":            "solr",
		"HOTLINE_MEILI_URL":         "ftp://meili.example",
		"HOTLINE_MEILI_KEY":         "key with spaces",
		"HOTLINE_SEARCH_FALLBACK":   "maybe",
		"HOTLINE_SEARCH_CACHE":      "-1",
		"HOTLINE_TZ":                "Mars/Olympus_Mons",
		"HOTLINE_DEMO_PASSWORD":     "short",
		"HOTLINE_LOG_FORMAT":        "xml",
		"HOTLINE_LOG_LEVEL":         "loud",
		"HOTLINE_DEBUG_ADDR":        "localhost",
		"HOTLINE_SMS_URL":           "sms-gateway",
		"HOTLINE_SMS_KEY":           "bad\tkey",
		"HOTLINE_WEBHOOK_TIMEOUT":   "soon",
		"HOTLINE_DELIVERY_RETRIES":  "51",
		"HOTLINE_RETRY_BASE":        "0s",
		"HOTLINE_WORKERS":           "abc",
		"HOTLINE_SWEEP_EVERY":       "1",
		"HOTLINE_ALLOWED_ORIGINS":   "https://ok.example.gov.cn,console.example.gov.cn",
		"HOTLINE_TRUSTED_PROXIES":   "10.0.0.0/33",
		"HOTLINE_CHAT_ORIGINS":      "portal.example.gov.cn",
		"HOTLINE_METRICS_TOKEN":     "two words",
		"HOTLINE_LOGIN_CONCURRENCY": "0",
		"HOTLINE_LOGOUT_GRACE":      "2h",
		"HOTLINE_CHAT_CAPACITY":     "11",
		"HOTLINE_CHAT_HOURS":        "25:00-26:00",
		"HOTLINE_CHAT_IDLE":         "10s",
	}
}

// Every variable with a bad value, from the environment or as its flag,
// gives an error that names the variable (and shows no secret).
func TestConfig_BadValueNamesItsVariable(t *testing.T) {
	bad := badValues(t)
	var c Config
	for _, s := range c.settings() {
		v, ok := bad[s.env]
		if !ok {
			t.Errorf("%s: no bad value to test it with", s.env)
			continue
		}
		fromEnv := configFromEnv(envOf(map[string]string{s.env: v}))
		err := fromEnv.validate()
		checkNames(t, s, v, "environment", err)

		flagged := configFromEnv(envOf(nil))
		fs := flag.NewFlagSet("hotline", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		flagged.bindFlags(fs)
		err = fs.Parse([]string{"-" + s.flag + "=" + v})
		checkNames(t, s, v, "flag", err)
	}
}

func checkNames(t *testing.T, s setting, value, from string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s=%q (%s) accepted", s.env, value, from)
	case !strings.Contains(err.Error(), s.env+" must be"):
		t.Errorf("%s=%q (%s): %q does not say what %s must be", s.env, value, from, err, s.env)
	case s.secret && from == "environment" && strings.Contains(err.Error(), value): // flag quotes its command line
		t.Errorf("%s=%q (%s): the error %q shows the secret", s.env, value, from, err)
	}
}

// A flag overrides the environment, a bad value there included.
func TestConfig_FlagOverridesBadEnvironment(t *testing.T) {
	c := configFromEnv(envOf(map[string]string{"HOTLINE_WORKERS": "abc", "HOTLINE_TZ": "Nowhere"}))
	fs := flag.NewFlagSet("hotline", flag.ContinueOnError)
	c.bindFlags(fs)
	if err := fs.Parse([]string{"--workers", "5"}); err != nil {
		t.Fatal(err)
	}
	err := c.validate()
	if err == nil || strings.Contains(err.Error(), "HOTLINE_WORKERS") || !strings.Contains(err.Error(), "HOTLINE_TZ") {
		t.Fatalf("validate: %v, want only HOTLINE_TZ's error", err)
	}
	if c.Workers != 5 {
		t.Fatalf("workers %d, want 5", c.Workers)
	}
	if err := fs.Parse([]string{"--tz", "Asia/Urumqi"}); err != nil || c.validate() != nil {
		t.Fatalf("after --tz: %v, %v", err, c.validate())
	}
}

func TestConfig_MeilisearchNeedsItsURL(t *testing.T) {
	c := configFromEnv(envOf(map[string]string{"HOTLINE_SEARCH": "meilisearch"}))
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "HOTLINE_MEILI_URL") {
		t.Fatalf("validate: %v", err)
	}
}

// The command refuses a bad value before it connects to anything, with
// the variable, what it must be and what it was.
func TestRun_BadValueStopsStart(t *testing.T) {
	t.Setenv("HOTLINE_WORKERS", "abc")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a start that got past the configuration would fail to connect
	var out bytes.Buffer
	err := run(ctx, []string{"serve"}, strings.NewReader(""), &out, &out)
	if err == nil || err.Error() != `HOTLINE_WORKERS must be a number from 1 to 1000, not "abc"` {
		t.Fatalf("serve with HOTLINE_WORKERS=abc: %v", err)
	}
}

// -h lists every variable with its flag, and shows no secret from the
// environment.
func TestRun_HelpListsEveryVariable(t *testing.T) {
	t.Setenv("HOTLINE_METRICS_TOKEN", "s3cret-metrics-token")
	t.Setenv("HOTLINE_DATABASE_URL", "postgres://hotline:db-password-1@127.0.0.1:5432/hotline")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"serve", "-h"}, strings.NewReader(""), &out, &out); err != flag.ErrHelp {
		t.Fatalf("serve -h: %v", err)
	}
	help := out.String()
	var c Config
	for _, s := range c.settings() {
		if !strings.Contains(help, "-"+s.flag+" ") || !strings.Contains(help, "("+s.env+")") {
			t.Errorf("serve -h does not list -%s (%s)", s.flag, s.env)
		}
	}
	for _, secret := range []string{"s3cret-metrics-token", "db-password-1"} {
		if strings.Contains(help, secret) {
			t.Errorf("serve -h shows %q:\n%s", secret, help)
		}
	}
}

// A token's lifetime is positive and at most a year.
func TestRun_TokenLifetimeIsBounded(t *testing.T) {
	for _, ttl := range []string{"-1h", "0s", "9000h", "soon"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"token", "--user", "ops", "--ttl", ttl}, strings.NewReader(""), &out, &out)
		if err == nil || !strings.Contains(err.Error(), "-ttl") {
			t.Errorf("token --ttl %s: %v", ttl, err)
		}
	}
}
