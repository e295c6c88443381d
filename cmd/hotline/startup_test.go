package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres/pgtest"
)

// makeRunCommand returns the shell command of `make run` after its set-up
// (the part after `. .run/env &&`), with bin in place of bin/hotline and
// make's $$ as $.
func makeRunCommand(t *testing.T, bin string) string {
	t.Helper()
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^run:.*\n\t\. \.run/env && (.+)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile has no `run:` recipe of the form `. .run/env && …`")
	}
	// As make does: $$ in a recipe is the shell's $.
	return strings.ReplaceAll(strings.ReplaceAll(string(m[1]), "$$", "$"), "bin/hotline", bin)
}

// logLine is a JSON log line, or zero for a line that is not one.
func logLine(s string) (msg string, ok bool) {
	var l struct{ Msg string }
	if json.Unmarshal([]byte(s), &l) != nil || l.Msg == "" {
		return "", false
	}
	return l.Msg, true
}

// TestStartup_AsMakeRun runs what `make run` runs (migrate, seed --demo,
// serve) on a fresh database with HTTP on port 0, its standard output and
// error in one stream as on a terminal. The last lines before shutdown are
// the URLs and the demo logins, the printed URLs answer, the demo tickets
// left nothing to send, and shutdown ends with "stopped".
func TestStartup_AsMakeRun(t *testing.T) {
	bin := buildHotline(t)
	db := pgtest.NewDB(t)
	cmd := exec.Command("bash", "-c", makeRunCommand(t, bin))
	cmd.Env = append(os.Environ(), "HOTLINE_DATABASE_URL="+db.Pool.Config().ConnString(),
		"HOTLINE_REDIS_URL="+testenv.StartRedis(t).URL(), "HOTLINE_HTTP_ADDR=127.0.0.1:0", "HOTLINE_SIP_ADDR=127.0.0.1:0",
		"HOTLINE_DATA_DIR="+t.TempDir(), "HOTLINE_DEMO_PASSWORD=", "HOTLINE_SMS_URL=", "HOTLINE_LOG_LEVEL=", "HOTLINE_LOG_FORMAT=")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	output := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
	loginsSeen := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := false
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			mu.Unlock()
			if !seen && strings.Contains(sc.Text(), "demo logins (password") {
				seen = true
				close(loginsSeen)
			}
		}
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill() // the test failed before it stopped the server
			<-done
		}
	})
	select {
	case <-loginsSeen:
	case err := <-done:
		t.Fatalf("make run's commands ended (%v) before the demo logins:\n%s", err, strings.Join(output(), "\n"))
	case <-time.After(3 * time.Minute):
		t.Fatalf("no demo logins after 3 minutes:\n%s", strings.Join(output(), "\n"))
	}

	started := output()
	banner := -1
	for i, l := range started {
		if strings.HasPrefix(l, "hotline ") && strings.HasSuffix(l, " ready") {
			banner = i
		}
	}
	if banner < 0 {
		t.Fatalf("no `hotline … ready` line:\n%s", strings.Join(started, "\n"))
	}
	block := strings.Join(started[banner:], "\n")
	console := regexp.MustCompile(`console: +(http://127\.0\.0\.1:\d+)/`).FindStringSubmatch(block)
	if console == nil {
		t.Fatalf("no console URL in:\n%s", block)
	}
	base := console[1]
	for _, want := range []string{base + "/submit", base + "/progress", base + "/api/v1/", base + "/metrics",
		`demo logins (password "hotline-demo", also the phones' SIP password of agents and the supervisor): admin, supervisor, agent1…agent5, dept-<code>`} {
		if !strings.Contains(block, want) {
			t.Errorf("the start-up block lacks %q:\n%s", want, block)
		}
	}
	// What a new user tries next: a softphone registers as agent1 at the
	// printed SIP address with the demo password.
	sipAddr := regexp.MustCompile(`SIP: +(127\.0\.0\.1:\d+) `).FindStringSubmatch(block)
	if sipAddr == nil {
		t.Fatalf("no SIP address in:\n%s", block)
	}
	if res := registerPhone(t, sipAddr[1], "agent1", "hotline-demo"); res.StatusCode != 200 {
		t.Errorf("agent1's phone with the demo password: REGISTER answered %d", res.StatusCode)
	}
	for _, l := range started {
		if strings.Contains(l, "sms (not sent") {
			t.Errorf("an SMS of the demo tickets went out at start-up: %s", l)
			break
		}
	}
	for _, path := range []string{"/", "/submit", "/progress", "/healthz"} {
		if code, body := get(t, base+path); code != 200 || (path != "/healthz" && !strings.Contains(body, "<html")) {
			t.Errorf("GET %s: %d %.200s", path, code, body)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("serve after SIGINT: %v\n%s", err, strings.Join(output(), "\n"))
	}
	all := output()
	// After the start-up block, only the shutdown is told, and "stopped" last.
	var after []string
	for _, l := range all[len(started):] {
		if msg, ok := logLine(l); !ok || (msg != "shutting down: finishing in-flight requests" && msg != "stopped") {
			after = append(after, l)
		}
	}
	if len(after) > 0 {
		t.Errorf("printed after the start-up block:\n%s", strings.Join(after, "\n"))
	}
	if msg, _ := logLine(all[len(all)-1]); msg != "stopped" {
		t.Errorf("the last line is %q, want the log of \"stopped\"", all[len(all)-1])
	}

	var sent int
	if err := db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM notifications WHERE state <> 'not_sent' OR reason <> '演示数据'`).Scan(&sent); err != nil {
		t.Fatal(err)
	}
	if sent != 0 {
		t.Errorf("%d notifications of the demo tickets were handled by the server, want none", sent)
	}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (b *syncBuffer) messages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.lines {
		msg, _ := logLine(l)
		out = append(out, msg)
	}
	return out
}

// Close logs "stopped" once every component has stopped, and only once.
func TestMain_CloseLogsStopped(t *testing.T) {
	db := pgtest.NewDB(t)
	cfg := configFromEnv(func(string) string { return "" })
	cfg.DatabaseURL, cfg.RedisURL, cfg.HTTPAddr, cfg.SIPAddr = db.Pool.Config().ConnString(), testenv.StartRedis(t).URL(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	var logs syncBuffer
	m := NewMain(cfg, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	m.Hasher = auth.FastHasher()
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if msgs := logs.messages(); strings.Contains(strings.Join(msgs, "\n"), "stopped") {
		t.Fatalf("stopped before Close: %q", msgs)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	msgs := logs.messages()
	if len(msgs) == 0 || msgs[len(msgs)-1] != "stopped" || strings.Count(strings.Join(msgs, "\n"), "stopped") != 1 {
		t.Fatalf("log after Close: %q, want one \"stopped\", last", msgs)
	}
	if m.DB != nil || m.Redis != nil || m.worker != nil || m.server != nil {
		t.Fatal("Close left a component running")
	}
}
