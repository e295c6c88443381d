package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/telephony/sip"
)

// startMain runs a Main on a fresh database and port 0.
func startMain(t *testing.T, redis string) (*Main, string) {
	t.Helper()
	db := pgtest.NewDB(t)
	dbURL := db.Pool.Config().ConnString()
	cfg := configFromEnv(func(string) string { return "" })
	cfg.DatabaseURL, cfg.RedisURL, cfg.HTTPAddr, cfg.SIPAddr = dbURL, redis, "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.SIPOpen = true // as make run: the tests' phones call from loopback, not a trunk
	m := NewMain(cfg, slog.New(slog.DiscardHandler))
	m.Hasher = auth.FastHasher()
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m, dbURL
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestMain_HealthReadinessMetrics(t *testing.T) {
	m, _ := startMain(t, testenv.StartRedis(t).URL())
	base := "http://" + m.HTTPAddr()
	if code, body := get(t, base+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"redis":"ok"`) || !strings.Contains(body, `"postgres":"ok"`) ||
		!strings.Contains(body, `"sip_trunk":"none"`) {
		t.Fatalf("readyz: %d %s", code, body)
	}
	get(t, base+"/api/v1/tickets")
	code, body := get(t, base+"/metrics")
	for _, want := range []string{`hotline_tickets{status="accepted"} 0`, `hotline_http_requests_total{code="401",method="GET",route="GET /api/v1/tickets"} 1`,
		"hotline_http_request_duration_seconds_bucket", "go_goroutines", "hotline_outbox_backlog 0", "hotline_outbox_relayed_total"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q:\n%.2000s", want, body)
		}
	}
	if code, body := get(t, base+"/"); code != 200 || !strings.Contains(body, "<html") {
		t.Fatalf("console: %d %.200s", code, body)
	}
}

func TestMain_ReadyzReportsRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "redis://" + ln.Addr().String() + "/0"
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	m, _ := startMain(t, dead)
	code, body := get(t, "http://"+m.HTTPAddr()+"/readyz")
	if code != 503 || !strings.Contains(body, `"redis":"unavailable"`) || !strings.Contains(body, `"postgres":"ok"`) {
		t.Fatalf("readyz with Redis down: %d %s", code, body)
	}
}

// A registration trunk whose registrar cannot be reached is shown failing
// in /readyz, without its password, and the server stays ready.
func TestMain_ReadyzShowsAFailingTrunkButStaysReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	trunk, err := sip.ParseTrunk("sip:acct:trunk-secret@" + dead + ";transport=tcp")
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.NewDB(t)
	cfg := configFromEnv(func(string) string { return "" })
	cfg.DatabaseURL, cfg.RedisURL, cfg.HTTPAddr, cfg.SIPAddr = db.Pool.Config().ConnString(), testenv.StartRedis(t).URL(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir, cfg.SIPTrunk = t.TempDir(), trunk
	m := startMainWith(t, cfg)
	var code int
	var body string
	testenv.Eventually(t, "the trunk failing in readyz", func() bool {
		code, body = get(t, "http://"+m.HTTPAddr()+"/readyz")
		return strings.Contains(body, `"sip_trunk":"failing: `)
	})
	if code != 200 || !strings.Contains(body, "connection refused") || strings.Contains(body, "trunk-secret") {
		t.Fatalf("readyz with the trunk's registrar down: %d %s", code, body)
	}
}

// An action blocked on a row lock is in flight when shutdown starts: the
// server stops accepting connections but lets the action finish.
func TestMain_GracefulShutdownFinishesInFlightRequests(t *testing.T) {
	m, _ := startMain(t, testenv.StartRedis(t).URL())
	ctx := t.Context()
	base := "http://" + m.HTTPAddr()
	if _, err := m.Auth.AddUser(ctx, auth.NewUser{Username: "agent1", Role: auth.RoleAgent, Password: "password123"}); err != nil {
		t.Fatal(err)
	}
	token, _, err := m.Auth.Login(ctx, "agent1", "password123", "test")
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, body string) (*http.Response, error) {
		req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		return http.DefaultClient.Do(req)
	}
	resp, err := post("/api/v1/tickets", `{"kind":"help","channel":"phone","title":"停水","content":"家中停水"}`)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create: %v %v", err, resp)
	}
	var tk struct{ ID int64 }
	if err := json.NewDecoder(resp.Body).Decode(&tk); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	lock, err := m.DB.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, "SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE", tk.ID); err != nil {
		t.Fatal(err)
	}
	inFlight := make(chan int, 1)
	go func() {
		resp, err := post(fmt.Sprintf("/api/v1/tickets/%d/actions/note", tk.ID), `{"text":"处理中"}`)
		if err != nil {
			inFlight <- -1
			return
		}
		resp.Body.Close()
		inFlight <- resp.StatusCode
	}()
	testenv.Eventually(t, "the action to wait on the row lock", func() bool {
		var waiting int
		err := m.DB.Pool.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE NOT granted").Scan(&waiting)
		return err == nil && waiting > 0
	})
	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	testenv.Eventually(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", m.HTTPAddr(), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was in flight", err)
	default:
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if code := <-inFlight; code != 200 {
		t.Fatalf("in-flight request answered %d, want 200", code)
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestRun_Commands(t *testing.T) {
	db := pgtest.NewDB(t)
	t.Setenv("HOTLINE_DATABASE_URL", db.Pool.Config().ConnString())
	t.Setenv("HOTLINE_LOG_LEVEL", "warn")
	ctx := context.Background()
	runCmd := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, strings.NewReader(stdin), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	if out, err := runCmd("", "migrate"); err != nil || !strings.Contains(out, "schema at version") {
		t.Fatalf("migrate: %v %s", err, out)
	}
	if out, err := runCmd("", "version"); err != nil || !strings.HasPrefix(out, "hotline ") {
		t.Fatalf("version: %v %s", err, out)
	}
	if _, err := runCmd("", "fly"); err == nil {
		t.Fatal("unknown command accepted")
	}
	if _, err := runCmd("", "serve", "--search", "solr"); err == nil {
		t.Fatal("unknown search engine accepted")
	}
	for _, bad := range [][]string{{"--webhook-timeout", "soon"}, {"--webhook-timeout", "-1s"}, {"--workers", "0"},
		{"--delivery-retries", "x"}, {"--retry-base", "0s"}, {"--sweep-every", "1"}} {
		if out, err := runCmd("", append([]string{"serve"}, bad...)...); err == nil || !strings.Contains(out+err.Error(), "HOTLINE_") {
			t.Fatalf("serve %v accepted (%v %s)", bad, err, out)
		}
	}
	if out, err := runCmd("s3cret-password\n", "user", "add", "--username", "Ops", "--role", "admin", "--name", "运维"); err != nil || !strings.Contains(out, "created admin user ops") {
		t.Fatalf("user add: %v %s", err, out)
	}
	if _, err := runCmd("s3cret-password\n", "user", "add", "--username", "ops", "--role", "admin"); err == nil {
		t.Fatal("duplicate user accepted")
	}
	if _, err := runCmd("short\n", "user", "add", "--username", "x2", "--role", "agent"); err == nil {
		t.Fatal("short password accepted")
	}
	if _, err := runCmd("s3cret-password\n", "user", "add", "--username", "x3", "--role", "king"); err == nil {
		t.Fatal("unknown role accepted")
	}
	out, err := runCmd("", "token", "--user", "ops")
	if err != nil || len(strings.TrimSpace(out)) < 40 {
		t.Fatalf("token: %v %q", err, out)
	}
	if _, err := runCmd("", "token", "--user", "nobody"); err == nil {
		t.Fatal("token for a missing user")
	}
	if out, err := runCmd("", "seed"); err != nil || !strings.Contains(out, "2026 calendar") {
		t.Fatalf("seed: %v %s", err, out)
	}
}
