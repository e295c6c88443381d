package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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

// baselineSQL is pgbench's transaction: one single-row INSERT.
const baselineSQL = "INSERT INTO bench_rows (payload) VALUES ('小区夜间施工噪音扰民');\n"

// ticketSQL is what the server sends for a new ticket (postgres.CreateTicket):
// the ticket row, its number formed from the sequence, its first event and
// the outbox message of the citizen's SMS,
// (": false" keeps its space: pgbench would read ":false" as a variable)
// pipelined as one implicit transaction.
const ticketSQL = `\set n random(1, 99999999)
\startpipeline
INSERT INTO tickets (id, number, kind, channel, status, urgency, title, content, citizen_name, citizen_phone,
  co_departments, created_at, updated_at, version)
  SELECT n.id, '20261122' || lpad(n.id::text, greatest(6, length(n.id::text)), '0'), 'complaint', 'phone', 'accepted', 'normal',
  '小区夜间施工噪音扰民 ' || :n, '每晚十一点后仍在施工，影响休息。', '张三', '139' || lpad(:n::text, 8, '0'), '{}', now(), now(), 1
  FROM (SELECT nextval('tickets_id_seq') AS id) n RETURNING id, number;
INSERT INTO ticket_events (ticket_id, at, actor_id, actor_name, actor_role, actor_department, action, status_from, status_to, payload)
  VALUES (currval('tickets_id_seq'), now(), NULL, 'agent1', 'agent', '', 'create', '', 'accepted',
  '{"kind":"complaint","channel":"phone","urgency":"normal","title":"小区夜间施工噪音扰民","confidential": false}');
INSERT INTO outbox (topic, urgent, ticket_id, message, created_at)
  VALUES ('citizen', false, currval('tickets_id_seq'), '{"topic":"citizen","event":"citizen.accepted","template":"accepted"}', now());
\endpipeline
`

// pgbench runs script with clients clients for -duration, on the same
// server as the API, with prepared statements as pgx uses them.
func (b *bench) pgbench(ctx context.Context, clients int, name, note, script string) (row, error) {
	bin := "pgbench"
	if b.o.pgBin != "" {
		bin = filepath.Join(b.o.pgBin, "pgbench")
	}
	if _, err := b.db.Pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), payload text NOT NULL)`); err != nil {
		return row{}, err
	}
	dir, err := os.MkdirTemp("", "hotline-bench")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "script.sql")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		return row{}, err
	}
	cmd := exec.CommandContext(ctx, bin, "-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", "2",
		"-T", strconv.Itoa(int(b.o.duration.Seconds())), "-f", file, "-l", "--log-prefix", filepath.Join(dir, "log"), b.url)
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
	return row{name: name, count: len(lat), rate: tps, p50: p50, p99: p99, note: note}, nil
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

// createLua is the wrk script posting tickets: each request has its own
// title and phone number, as real tickets do.
const createLua = `
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format(
    '{"kind":"complaint","channel":"phone","title":"小区夜间施工噪音扰民 %%d","content":"每晚十一点后仍在施工，影响休息。","citizen":{"name":"张三","phone":"139%%08d"}}',
    counter, counter %% 100000000))
end
`

// createTickets posts tickets through the API with wrk, a load generator
// as light as pgbench's own client, so the two rates compare the servers.
func (b *bench) createTickets(ctx context.Context) (row, error) {
	dir, err := os.MkdirTemp("", "hotline-bench")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "create.lua")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(createLua, b.tokens["agent1"])), 0o600); err != nil {
		return row{}, err
	}
	wrk := func(d time.Duration) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "wrk", "-t2", "-c"+strconv.Itoa(b.o.clients), "-d"+strconv.Itoa(int(d.Seconds()))+"s",
			"--timeout", "10s", "-s", script, "--latency", b.base+"/api/v1/tickets")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("wrk: %w\n%s", err, out)
		}
		if bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) {
			return nil, fmt.Errorf("ticket creations failed:\n%s", out)
		}
		return out, nil
	}
	if _, err := wrk(2 * time.Second); err != nil { // warm-up: connections, statement caches
		return row{}, err
	}
	out, err := wrk(b.o.duration)
	if err != nil {
		return row{}, err
	}
	return parseWrk(out, fmt.Sprintf("POST /api/v1/tickets (%d conns)", b.o.clients), "ticket + event + outbox, one transaction; SMS worker running")
}

var (
	wrkRate  = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkCount = regexp.MustCompile(`(\d+) requests in`)
	wrkP50   = regexp.MustCompile(`50%\s+([0-9.]+)(us|ms|s)`)
	wrkP99   = regexp.MustCompile(`99%\s+([0-9.]+)(us|ms|s)`)
)

func parseWrk(out []byte, name, note string) (row, error) {
	r := row{name: name, note: note}
	rate, count, p50, p99 := wrkRate.FindSubmatch(out), wrkCount.FindSubmatch(out), wrkP50.FindSubmatch(out), wrkP99.FindSubmatch(out)
	if rate == nil || count == nil || p50 == nil || p99 == nil {
		return r, fmt.Errorf("cannot read wrk output:\n%s", out)
	}
	var errRate, errCount, err50, err99 error
	r.rate, errRate = strconv.ParseFloat(string(rate[1]), 64)
	r.count, errCount = strconv.Atoi(string(count[1]))
	r.p50, err50 = wrkDuration(p50)
	r.p99, err99 = wrkDuration(p99)
	return r, errors.Join(errRate, errCount, err50, err99)
}

func wrkDuration(m [][]byte) (time.Duration, error) {
	v, err := strconv.ParseFloat(string(m[1]), 64)
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[2])]
	return time.Duration(v * float64(unit)), err
}
