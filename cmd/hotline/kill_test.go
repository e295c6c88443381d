package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/ticketing"
	"github.com/open12345/hotline/ticketing/dispatch"
)

// buildHotline compiles the hotline binary for tests that run it as a
// separate process.
func buildHotline(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hotline")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running `hotline serve`.
type process struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

// serve starts `hotline serve` with env and waits for its HTTP address
// in the log.
func serve(t *testing.T, bin string, env []string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving HTTP" {
				addr <- line.Addr
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.addr = <-addr:
	case err := <-p.done:
		t.Fatalf("hotline serve exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("hotline serve did not start")
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill() // already gone if the test killed it
			<-p.done
		}
	})
	return p
}

// The hotline is killed with SIGKILL after a dispatch is committed and
// before its delivery is enqueued (Redis is down): after a restart with
// Redis back, the department receives the delivery exactly once.
func TestKill_DeliveryArrivesOnceAfterRestart(t *testing.T) {
	bin := buildHotline(t)
	db := pgtest.NewDB(t)
	ctx := context.Background()
	r := testenv.StartRedis(t)
	r.Stop()

	var mu sync.Mutex
	var deliveries []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			t.Error(err)
		}
		mu.Lock()
		deliveries = append(deliveries, req.Header.Get("X-Hotline-Delivery"))
		mu.Unlock()
	}))
	defer receiver.Close()
	received := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), deliveries...)
	}

	users, err := auth.NewService(postgres.NewUserStore(db), postgres.NewQuotaStore(db), clock.System{}, auth.FastHasher(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.AddUser(ctx, auth.NewUser{Username: "agent1", Role: auth.RoleAgent, Password: "password123"}); err != nil {
		t.Fatal(err)
	}
	token, err := users.IssueToken(ctx, "agent1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.NewTicketStore(db).SaveDepartment(ctx, ticketing.Department{Code: "rsj", Name: "市人社局",
		WebhookURL: receiver.URL, WebhookSecret: "0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOTLINE_DATABASE_URL=" + db.Pool.Config().ConnString(), "HOTLINE_REDIS_URL=" + r.URL(),
		"HOTLINE_HTTP_ADDR=127.0.0.1:0", "HOTLINE_SIP_ADDR=127.0.0.1:0", "HOTLINE_DATA_DIR=" + t.TempDir(), "HOTLINE_LOG_LEVEL=info"}

	first := serve(t, bin, env)
	api := func(path, body string) map[string]any {
		t.Helper()
		req, err := http.NewRequest("POST", "http://"+first.addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %v %v", path, resp.StatusCode, out, err)
		}
		return out
	}
	tk := api("/api/v1/tickets", `{"kind":"complaint","channel":"phone","title":"噪音","content":"夜间施工"}`)
	api(fmt.Sprintf("/api/v1/tickets/%v/actions/dispatch", tk["id"]), `{"department":"rsj"}`)
	var backlog int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE enqueued_at IS NULL AND topic = 'department'`).Scan(&backlog); err != nil || backlog != 1 {
		t.Fatalf("committed but not enqueued: %d (%v)", backlog, err)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done

	r.Start()
	second := serve(t, bin, env)
	testenv.Eventually(t, "the delivery after the restart", func() bool { return len(received()) >= 1 })
	waitIdle(t, db, asynq.NewInspectorFromRedisClient(r.Client()))
	if got := received(); len(got) != 1 {
		t.Fatalf("department received %d deliveries (%v), want 1", len(got), got)
	}
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-second.done; err != nil {
		t.Fatalf("hotline serve after SIGTERM: %v", err)
	}
}

// waitIdle waits until the hotline in the other process has nothing left
// to send: every outbox message relayed and done, and no queue holding a
// pending, running, scheduled or retrying task, looked at before and
// after the outbox. The relay enqueues inside the transaction that marks
// a message relayed, so a message on its way reads as waiting until its
// task is in Redis; a duplicate would have arrived once this returns.
func waitIdle(t *testing.T, db *postgres.DB, in *asynq.Inspector) {
	t.Helper()
	queues := []string{dispatch.QueueUrgent, dispatch.QueueDefault, dispatch.QueueLow}
	testenv.Eventually(t, "the outbox and the queues to go idle", func() bool {
		if !testenv.QueuesIdle(t, in, queues...) {
			return false
		}
		var waiting int
		if err := db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM outbox WHERE enqueued_at IS NULL OR done_at IS NULL`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		return waiting == 0 && testenv.QueuesIdle(t, in, queues...)
	})
}
