package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// row is one line of the result table.
type row struct {
	name     string
	count    int
	rate     float64 // per second
	p50, p99 time.Duration
	ratio    float64 // against the baseline, when there is one
	note     string
}

// pgbench runs a single-row INSERT transaction with as many clients as the
// API benchmark, on the same server: the baseline of ticket creation.
func (b *bench) pgbench(ctx context.Context) (row, error) {
	bin := "pgbench"
	if b.o.pgBin != "" {
		bin = filepath.Join(b.o.pgBin, "pgbench")
	}
	if _, err := b.db.Pool.Exec(ctx, `CREATE TABLE bench_rows (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), payload text NOT NULL)`); err != nil {
		return row{}, err
	}
	dir, err := os.MkdirTemp("", "hotline-bench")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "insert.sql")
	if err := os.WriteFile(script, []byte("INSERT INTO bench_rows (payload) VALUES ('小区夜间施工噪音扰民');\n"), 0o600); err != nil {
		return row{}, err
	}
	cmd := exec.CommandContext(ctx, bin, "-n", "-c", strconv.Itoa(b.o.clients), "-j", "2",
		"-T", strconv.Itoa(int(b.o.duration.Seconds())), "-f", script, "-l", "--log-prefix", filepath.Join(dir, "log"), b.url)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return row{}, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`).FindSubmatch(out)
	if m == nil {
		return row{}, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	tps, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return row{}, err
	}
	lat, err := pgbenchLatencies(dir)
	if err != nil {
		return row{}, err
	}
	p50, p99 := percentiles(lat)
	return row{name: "pgbench single-row INSERT", count: len(lat), rate: tps, p50: p50, p99: p99, note: "baseline"}, nil
}

// pgbenchLatencies reads the per-transaction logs (third field: µs).
func pgbenchLatencies(dir string) ([]time.Duration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "log*"))
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err == nil {
				out = append(out, time.Duration(us)*time.Microsecond)
			}
		}
	}
	return out, nil
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return d[len(d)*50/100], d[min(len(d)-1, len(d)*99/100)]
}

func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute}}
}

// load runs fn from n goroutines until d has passed, after a short warm-up,
// and returns every successful latency and the number of failures.
func load(ctx context.Context, n int, d time.Duration, fn func(worker, i int) error) ([]time.Duration, int, time.Duration) {
	warm := time.Now().Add(2 * time.Second)
	end := warm.Add(d)
	var mu sync.Mutex
	var all []time.Duration
	failed := 0
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for i := 0; ctx.Err() == nil; i++ {
				start := time.Now()
				if start.After(end) {
					break
				}
				err := fn(w, i)
				if start.Before(warm) {
					continue
				}
				if err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all, failed = append(all, mine...), failed+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, failed, d
}

// createTickets posts tickets through the API with the configured clients.
func (b *bench) createTickets(ctx context.Context) (row, error) {
	client := newClient(b.o.clients)
	token := b.tokens["agent1"]
	var firstErr error
	var once sync.Once
	lat, failed, d := load(ctx, b.o.clients, b.o.duration, func(w, i int) error {
		body := fmt.Sprintf(`{"kind":"complaint","channel":"phone","title":"小区夜间施工噪音扰民 %d-%d","content":"每晚十一点后仍在施工，影响休息。","citizen":{"name":"张三","phone":"138%08d"}}`, w, i, w*1_000_000+i)
		req, err := http.NewRequestWithContext(ctx, "POST", b.base+"/api/v1/tickets", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 201 {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		if err != nil {
			once.Do(func() { firstErr = err })
		}
		return err
	})
	if failed > 0 {
		return row{}, fmt.Errorf("%d ticket creations failed, first: %v", failed, firstErr)
	}
	p50, p99 := percentiles(lat)
	return row{name: fmt.Sprintf("POST /api/v1/tickets (%d clients)", b.o.clients), count: len(lat),
		rate: float64(len(lat)) / d.Seconds(), p50: p50, p99: p99, note: "ticket + event in one transaction"}, nil
}
