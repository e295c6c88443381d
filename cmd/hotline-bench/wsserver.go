package main

// The server side of the websocket benchmark: the server's memory, CPU
// time and profiles.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// restartWithDebug restarts the server with its profiler on, through
// which a GC is forced before memory is measured (heap?gc=1).
func (w *wsBench) restartWithDebug(ctx context.Context) error {
	var err error
	w.debug, err = w.b.restartWithDebug(ctx)
	return err
}

// restartWithDebug restarts the server with its profiler on and the
// extra environment settings, and returns the profiler's base URL.
func (b *bench) restartWithDebug(ctx context.Context, env ...string) (string, error) {
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	if err := b.stopServer(); err != nil {
		return "", err
	}
	return "http://" + addr, b.startServer(ctx, append(env, "HOTLINE_DEBUG_ADDR="+addr)...)
}

// settledMemory waits until the server holds want websockets and a few
// seconds more, collects its garbage twice, a second apart, and returns
// its metrics, with "rss" from /proc.
func (w *wsBench) settledMemory(ctx context.Context, want int) (map[string]float64, error) {
	deadline := time.Now().Add(time.Minute)
	for m, err := w.b.serverMetrics(ctx); int(m["hotline_ws_connections"]) != want; m, err = w.b.serverMetrics(ctx) {
		if err == nil && time.Now().After(deadline) {
			err = fmt.Errorf("server holds %.0f websockets, not %d", m["hotline_ws_connections"], want)
		}
		if err != nil || sleep(ctx, 100*time.Millisecond) != nil {
			return nil, errors.Join(err, ctx.Err())
		}
	}
	return w.b.gcMetrics(ctx, w.debug)
}

// gcMetrics lets the server rest a few seconds, collects its garbage
// twice, a second apart, through the profiler at debug, and returns its
// metrics, with "rss" from /proc.
func (b *bench) gcMetrics(ctx context.Context, debug string) (map[string]float64, error) {
	for _, d := range []time.Duration{3 * time.Second, time.Second, time.Second} {
		if err := sleep(ctx, d); err != nil {
			return nil, err
		}
		if _, err := b.get(ctx, debug+"/debug/pprof/heap?gc=1"); err != nil {
			return nil, err
		}
	}
	m, err := b.serverMetrics(ctx)
	if m != nil {
		m["rss"] = float64(procField(strconv.Itoa(b.server.Process.Pid), "status", "VmRSS:", 0) << 10)
	}
	return m, err
}

// serverMetrics reads the unlabelled series of the server's /metrics.
func (b *bench) serverMetrics(ctx context.Context) (map[string]float64, error) {
	body, err := b.get(ctx, b.base+"/metrics")
	m := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(line, "#") {
			m[f[0]], _ = strconv.ParseFloat(f[1], 64)
		}
	}
	return m, err
}

func (b *bench) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if tok := os.Getenv("HOTLINE_METRICS_TOKEN"); tok != "" { // the server has it too
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return body, err
}

// profile saves a server profile in $HOTLINE_BENCH_WS_PROFILE, when set.
func (w *wsBench) profile(ctx context.Context, name, path string) {
	if dir := os.Getenv("HOTLINE_BENCH_WS_PROFILE"); dir != "" {
		body, err := w.b.get(ctx, w.debug+path)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), body, 0o644)
		}
		if err != nil {
			w.b.log.Warn("server profile", "name", name, "err", err)
		}
	}
}

// procField returns field i (counted after the key) of the first line of
// /proc/<pid>/<file> that starts with key (pid "": /proc/<file>).
func procField(pid, file, key string, i int) int64 {
	data, _ := os.ReadFile("/proc/" + pid + "/" + file)
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			if f := strings.Fields(rest); i < len(f) {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
}

// cpuTimes are CPU times in the server, in this process (the clients) and
// in the whole machine (user + system, in ticks of 10 ms).
type cpuTimes struct{ server, clients, machine int64 }

func (b *bench) cpuTimes() cpuTimes {
	task := func(pid string) int64 { // utime and stime: fields 14 and 15
		return procField(pid, "stat", "", 13) + procField(pid, "stat", "", 14)
	}
	return cpuTimes{server: task(strconv.Itoa(b.server.Process.Pid)), clients: task("self"), machine: machineTicks()}
}

// machineTicks is the CPU time of the whole machine, in ticks of 10 ms.
func machineTicks() int64 {
	var t int64
	for _, i := range []int{0, 1, 2, 5, 6, 7} { // user nice system irq softirq steal
		t += procField("", "stat", "cpu ", i)
	}
	return t
}

func (c cpuTimes) since(b cpuTimes) cpuTimes {
	return cpuTimes{c.server - b.server, c.clients - b.clients, c.machine - b.machine}
}
