package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/postgres"
)

const loginPassword = "bench-login-password"

// loginBench measures logins through the HTTP API with the production
// Argon2id cost: o.loginClients clients (each its own address, as staff at
// their desks behind a trusted proxy) log in at once, o.loginRounds times
// each, first on a server whose password checks run without a bound (as
// before HOTLINE_LOGIN_CONCURRENCY existed: 1000 at once), then on one
// with the default bound. Rates and the server's peak memory are compared.
func (b *bench) loginBench(ctx context.Context) ([]row, error) {
	if err := b.loginUsers(ctx, b.o.loginClients); err != nil {
		return nil, err
	}
	var rows []row
	for _, v := range []struct{ name, env string }{
		{"unbounded (1000 at once)", "HOTLINE_LOGIN_CONCURRENCY=1000"},
		{"bounded (default: the cores, at least 2)", ""},
	} {
		if err := b.stopServer(); err != nil {
			return nil, err
		}
		env := []string{"HOTLINE_TRUSTED_PROXIES=127.0.0.1/32"}
		if v.env != "" {
			env = append(env, v.env)
		}
		if err := b.startServer(ctx, env...); err != nil {
			return nil, err
		}
		r, err := b.loginRun(ctx, v.name)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	rows[1].ratio = rows[1].rate / rows[0].rate
	return rows, b.restartServer(ctx)
}

// loginUsers creates n agents with the production hasher.
func (b *bench) loginUsers(ctx context.Context, n int) error {
	authn, err := auth.NewService(postgres.NewUserStore(b.db), postgres.NewQuotaStore(b.db), clock.System{}, auth.DefaultHasher(), b.log)
	if err != nil {
		return err
	}
	for i := range n {
		if _, err := authn.AddUser(ctx, auth.NewUser{Username: fmt.Sprintf("login%03d", i), Role: auth.RoleAgent, Password: loginPassword}); err != nil {
			return err
		}
	}
	return nil
}

// loginRun logs every client in loginRounds times and reads the server's
// memory: resident before, the peak (VmHWM), and 15 s after the burst.
func (b *bench) loginRun(ctx context.Context, name string) (row, error) {
	pid := b.server.Process.Pid
	idle := procStatusBytes(pid, "VmRSS:")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: b.o.loginClients}}
	var mu sync.Mutex
	var lat []time.Duration
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for i := range b.o.loginClients {
		wg.Go(func() {
			body := fmt.Sprintf(`{"username":"login%03d","password":%q}`, i, loginPassword)
			addr := fmt.Sprintf("10.77.%d.%d", i/250, i%250+1)
			for range b.o.loginRounds {
				t0 := time.Now()
				status := loginOnce(ctx, client, b.base, body, addr)
				mu.Lock()
				statuses[status]++
				if status == http.StatusOK {
					lat = append(lat, time.Since(t0))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	peak := procStatusBytes(pid, "VmHWM:")
	select {
	case <-ctx.Done():
		return row{}, ctx.Err()
	case <-time.After(15 * time.Second):
	}
	after := procStatusBytes(pid, "VmRSS:")
	p50, p99 := percentiles(lat)
	const mib = 1 << 20
	return row{name: fmt.Sprintf("login, %d clients at once, Argon2id 19 MiB: %s", b.o.loginClients, name),
		count: len(lat), rate: float64(len(lat)) / took.Seconds(), p50: p50, p99: p99,
		note: fmt.Sprintf("server RSS %d MiB idle → peak %d MiB → %d MiB 15 s later; answers %v",
			idle/mib, peak/mib, after/mib, statuses)}, nil
}

// loginOnce logs in as if from addr and returns the status (0: no answer).
func loginOnce(ctx context.Context, client *http.Client, base, body, addr string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/login", bytes.NewReader([]byte(body)))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// procStatusBytes reads a size field (VmRSS:, VmHWM:) of a process's status.
func procStatusBytes(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
