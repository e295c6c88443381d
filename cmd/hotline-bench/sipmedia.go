package main

// The media benchmark: calls hearing the IVR and then the queue's music
// and announcements, stepped up (-media-calls) while every call succeeds
// and the hotline's RTP send interval stays within 5 ms of 20 ms at the
// 99th percentile, with the memory per call; then calls bridged to
// agents' phones and recorded, with the jitter on both legs and the
// recordings checked. The hotline runs on CPU 0 and the bench's callers
// on CPU 1, as in the SIP benchmark.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	mediaTargetP99 = 5 * time.Millisecond
	mediaDialEvery = 10 * time.Millisecond // 100 new calls a second
	mediaSetupWait = 60 * time.Second      // all calls queued (or bridged) within this after the last dial
	mediaBareFor   = 30 * time.Second      // the bare sender's run beside each step
	// mediaOverBare is how far the hotline's p99 may exceed the bare
	// sender's for the steps to go on once the machine's own jitter is
	// above the target.
	mediaOverBare = time.Millisecond
)

// mediaBench runs the stepped queue runs and the bridged run.
func (b *bench) mediaBench(ctx context.Context) ([]row, error) {
	steps, err := parseSteps("-media-calls", b.o.mediaCalls)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hotline-bench-media-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s := &sipBench{b: b, dir: dir, cpuNote: "server, bench and PostgreSQL share the cores"}
	if _, err := exec.LookPath("taskset"); err == nil {
		s.pin = []string{"taskset", "-c", "0"}
		if _, err := exec.LookPath("chrt"); err == nil && os.Geteuid() == 0 {
			// A media server's usual setting: real-time round-robin, so
			// that other processes on its CPU wait for its packets.
			s.pin = append(s.pin, "chrt", "-r", "50")
		}
		restore, err := pinSelf("1")
		if err != nil {
			return nil, err
		}
		defer restore()
		s.cpuNote = "server (" + strings.Join(s.pin, " ") + ") on CPU 0, the bench's callers and phones on CPU 1, PostgreSQL unpinned"
	}
	b.pin = s.pin
	defer func() { b.pin = nil }()
	var rows []row
	best, held, verdicts := 0, 0, []string{}
	for _, n := range steps {
		bareFrom, bareSteal := time.Now(), stealTicks()
		bare, err := bareRTP(ctx, s.pin, n, min(mediaBareFor, b.o.mediaHold))
		if err != nil {
			return nil, fmt.Errorf("media, %d bare streams: %w", n, err)
		}
		r, st, failed, err := s.queueStep(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("media, %d calls: %w", n, err)
		}
		p99, bareP99 := st.jitter.quantile(0.99), bare.jitter.quantile(0.99)
		met := failed == 0 && p99 < mediaTargetP99
		holds := failed == 0 && (met || p99 <= bareP99+mediaOverBare)
		r.ratio = float64(p99) / float64(bareP99)
		r.note += fmt.Sprintf("; target p99 < %s, no failed call: %s; ratio: p99 over the bare sender's", mediaTargetP99, verdict(met))
		rows = append(rows, row{name: fmt.Sprintf("SIP media: bare Go RTP sender, %d streams, %s (baseline)", n, min(mediaBareFor, b.o.mediaHold)),
			count: n, p50: bare.jitter.quantile(0.5), p99: bareP99,
			note: fmt.Sprintf("p50/p99: send-interval jitter as below, of a process of the bench's on the hotline's CPU sending each stream "+
				"as diago does (write, wait for its 20 ms ticker), just before the hotline's run: %s; CPU 0 stolen by the hypervisor %.0f%% of the time", legNote(bare),
				stolen(bareFrom, bareSteal, time.Now(), stealTicks()))}, r)
		verdicts = append(verdicts, fmt.Sprintf("%d: %s, p99 %s vs bare %s", n, verdict(met), ms(p99), ms(bareP99)))
		if met {
			best = n
		}
		if !holds {
			break
		}
		held = n
	}
	if len(steps) > 0 {
		rows = append(rows, row{name: "SIP media: most concurrent calls in queue meeting the target", count: best,
			note: fmt.Sprintf("no failed call, send-interval jitter p99 < %s, %s each; most with no failed call and p99 within %s of the bare sender's "+
				"or under the target: %d; steps: %s; %s", mediaTargetP99, b.o.mediaHold, mediaOverBare, held, strings.Join(verdicts, "; "), s.cpuNote)})
	}
	if b.o.mediaBridged > 0 {
		r, err := s.bridgedStep(ctx, b.o.mediaBridged)
		if err != nil {
			return nil, fmt.Errorf("media, %d bridged calls: %w", b.o.mediaBridged, err)
		}
		rows = append(rows, r...)
	}
	b.pin = nil
	return rows, b.restartServer(ctx)
}

// parseSteps parses a list of steps (-media-calls, -outbound-agents):
// counts separated by commas.
func parseSteps(flagName, list string) ([]int, error) {
	var steps []int
	for f := range strings.SplitSeq(list, ",") {
		if f = strings.TrimSpace(f); f == "" || f == "0" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s %q: want counts separated by commas", flagName, list)
		}
		steps = append(steps, n)
	}
	return steps, nil
}

// pinSelf moves every thread of this process to cpus (taskset) and
// returns what moves them back to every CPU.
func pinSelf(cpus string) (restore func(), err error) {
	pid := strconv.Itoa(os.Getpid())
	if out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, pid).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pin the bench to CPU %s: %w: %s", cpus, err, out)
	}
	return func() {
		_ = exec.Command("taskset", "-a", "-p", "-c", "0-"+strconv.Itoa(max(1, runtime.NumCPU()-1)), pid).Run()
	}, nil
}

// mediaRun is one run's callers and their outcome.
type mediaRun struct {
	s        *sipBench
	callers  *callers
	heard    *rtpStats
	calls    sync.WaitGroup
	failed   atomic.Int64
	mu       sync.Mutex
	errs     []string // the first failures, for the note
	ending   sync.Once
	endedAt  time.Time // the first hang-up: the end of the measured window
	endCPU   int64
	endSteal int64 // CPU 0's stolen ticks then
}

func (r *mediaRun) fail(err error) {
	r.failed.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) < 3 {
		r.errs = append(r.errs, err.Error())
	}
}

// call is one caller: dial, hear the welcome for delay, press 1, wait hold
// from the key, hang up. A call the hotline ends first failed.
func (r *mediaRun) call(ctx context.Context, i int, delay, hold time.Duration) {
	defer r.calls.Done()
	m, err := r.callers.dial(ctx, fmt.Sprintf("1390%07d", i))
	if err != nil {
		r.fail(err)
		return
	}
	defer func() {
		r.ending.Do(func() {
			r.endedAt, r.endCPU, r.endSteal = time.Now(), serverTicks(r.s.b.server.Process.Pid), stealTicks()
		})
		if err := r.callers.hangUp(m); err != nil {
			r.fail(err)
		}
	}()
	if sleep(ctx, delay) != nil {
		return
	}
	if err := r.callers.key(ctx, m, "1"); err != nil {
		r.fail(err)
		return
	}
	pressed := time.Now()
	select {
	case <-m.d.Context().Done():
		r.fail(fmt.Errorf("hung up by the hotline %s after the key", time.Since(pressed).Round(time.Second)))
	case <-time.After(hold):
	case <-ctx.Done():
	}
	if m.heard.Load() == 0 {
		r.fail(errors.New("no RTP heard"))
	}
}

// start places n calls, one every mediaDialEvery.
func (r *mediaRun) start(ctx context.Context, n int, delay func() time.Duration, hold time.Duration) {
	for i := range n {
		r.calls.Add(1)
		go r.call(ctx, i, delay(), hold)
		if sleep(ctx, mediaDialEvery) != nil {
			return
		}
	}
}

// reached waits until the server's calls in state are n, checking the
// calls placed have not failed meanwhile.
func (r *mediaRun) reached(ctx context.Context, state string, n int) error {
	return r.reachedMetric(ctx, `hotline_calls_in_progress{state="`+state+`"}`, n)
}

// reachedMetric waits until the server's metric key is n, checking the
// calls placed have not failed meanwhile.
func (r *mediaRun) reachedMetric(ctx context.Context, key string, n int) error {
	deadline := time.Now().Add(mediaSetupWait)
	for {
		m, err := r.s.b.serverMetrics(ctx)
		if err != nil {
			return err
		}
		if int(m[key]) == n {
			return nil
		}
		if f := r.failed.Load(); f > 0 || time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			return fmt.Errorf("%s is %d, want %d; %d calls failed%s", key, int(m[key]), n, f, failures(r.errs))
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// cpu is the server's CPU from ticks at from to the first hang-up, in
// percent of a core.
func (r *mediaRun) cpu(from time.Time, ticks int64) float64 {
	if r.endedAt.IsZero() {
		return 0
	}
	return 100 * (time.Duration(r.endCPU-ticks) * 10 * time.Millisecond).Seconds() / r.endedAt.Sub(from).Seconds()
}

// queueStep holds n calls in the queue for the hold time, each after 2–4
// s of the welcome, and reports their jitter and memory, what the callers
// heard and how many calls failed.
func (s *sipBench) queueStep(ctx context.Context, n int) (row, *rtpStats, int, error) {
	if err := s.startHotline(ctx); err != nil {
		return row{}, nil, 0, err
	}
	idle, err := s.settledMemory(ctx)
	if err != nil {
		return row{}, nil, 0, err
	}
	r := &mediaRun{s: s, heard: &rtpStats{}}
	if r.callers, err = newCallers(ctx, s.b.log, s.sipAddr, r.heard); err != nil {
		return row{}, nil, 0, err
	}
	defer func() {
		if err := r.callers.close(); err != nil {
			s.b.log.Warn("close the bench's callers", "err", err)
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	r.start(ctx, n, func() time.Duration { return 2*time.Second + time.Duration(rng.Int64N(int64(2*time.Second))) }, s.b.o.mediaHold)
	err = r.reached(ctx, "queued", n)
	var during map[string]float64
	var from time.Time
	var ticks, steal int64
	if err == nil {
		from, ticks, steal = time.Now(), serverTicks(s.b.server.Process.Pid), stealTicks()
		s.profile(ctx, fmt.Sprintf("media-%d", n))
		r.heard.pause() // the forced GCs are the bench's, not the server's
		during, err = s.settledMemory(ctx)
		r.heard.resume()
	}
	r.calls.Wait()
	if err != nil {
		return row{}, nil, 0, err
	}
	st := r.heard
	failed := int(r.failed.Load())
	per := func(key string) float64 { return (during[key] - idle[key]) / float64(n) }
	rss, heap, stacks := per("rss")/1024, per("go_memstats_heap_inuse_bytes")/1024, per("go_memstats_stack_inuse_bytes")/1024
	return row{name: fmt.Sprintf("SIP media: %d calls in queue hearing music and announcements, %s", n, s.b.o.mediaHold), count: n,
		p50: st.jitter.quantile(0.5), p99: st.jitter.quantile(0.99),
		note: fmt.Sprintf("p50/p99: RTP send-interval jitter, the deviation of each inter-arrival from 20 ms (kernel arrival times), %s; "+
			"%d prompt starts and %d intervals during the bench's memory reading (forced GCs) not counted; failed calls %d of %d%s; "+
			"per call %.1f KB RSS, %.1f KB Go heap in use + stacks (%.1f + %.1f), %.1f goroutines (server after GC: %.0f → %.0f goroutines, RSS %.0f → %.0f MiB); "+
			"server CPU %.0f%% of its core, CPU 0 stolen by the hypervisor %.0f%% of the time; each call: 2–4 s of welcome, 1 by SIP INFO, %s in consultation with no agent, sending 20 ms PCMU",
			legNote(st), st.talkspurts.Load(), st.skipped.Load(), failed, n, failures(r.errs), rss, heap+stacks, heap, stacks, per("go_goroutines"),
			idle["go_goroutines"], during["go_goroutines"], idle["rss"]/(1<<20), during["rss"]/(1<<20),
			r.cpu(from, ticks), stolen(from, steal, r.endedAt, r.endSteal), s.b.o.mediaHold)}, st, failed, nil
}

// legNote says what a stream's receivers counted.
func legNote(st *rtpStats) string {
	return fmt.Sprintf("max %s over %d intervals of %d packets, %d lost, %d reordered, %d late by a frame (> 40 ms)",
		ms(time.Duration(st.jitter.max.Load())), st.jitter.count(), st.packets.Load(), st.lost.Load(), st.reordered.Load(), st.late.Load())
}

// stealTicks is the time the hypervisor took CPU 0 from this machine, in
// 10 ms ticks (/proc/stat's steal).
func stealTicks() int64 { return procField("", "stat", "cpu0 ", 7) }

// stolen is the share of the time from → to that CPU 0 was stolen, in
// percent, from the steal ticks at both ends.
func stolen(from time.Time, fromTicks int64, to time.Time, toTicks int64) float64 {
	if !to.After(from) {
		return 0
	}
	return 100 * (time.Duration(toTicks-fromTicks) * 10 * time.Millisecond).Seconds() / to.Sub(from).Seconds()
}

// failures lists the first failures for a note.
func failures(errs []string) string {
	if len(errs) == 0 {
		return ""
	}
	return " (" + strings.Join(errs, "; ") + ")"
}

// bridgedStep bridges n calls to n agents' phones for the bridge hold,
// recorded, and reports the jitter of both legs and the recordings.
func (s *sipBench) bridgedStep(ctx context.Context, n int) ([]row, error) {
	if err := s.startHotline(ctx); err != nil {
		return nil, err
	}
	phones := &rtpStats{}
	agents, err := s.newAgents(ctx, n, phones)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := agents.close(); err != nil {
			s.b.log.Warn("close the bench's phones and consoles", "err", err)
		}
	}()
	idle, err := s.settledMemory(ctx)
	if err != nil {
		return nil, err
	}
	r := &mediaRun{s: s, heard: &rtpStats{}}
	if r.callers, err = newCallers(ctx, s.b.log, s.sipAddr, r.heard); err != nil {
		return nil, err
	}
	defer func() {
		if err := r.callers.close(); err != nil {
			s.b.log.Warn("close the bench's callers", "err", err)
		}
	}()
	hold := s.b.o.mediaBridgeHold
	r.start(ctx, n, func() time.Duration { return 300 * time.Millisecond }, hold)
	err = r.reached(ctx, "bridged", n)
	var during map[string]float64
	var from time.Time
	var ticks, steal int64
	if err == nil {
		from, ticks, steal = time.Now(), serverTicks(s.b.server.Process.Pid), stealTicks()
		s.profile(ctx, fmt.Sprintf("media-bridged-%d", n))
		r.heard.pause() // the forced GCs are the bench's, not the server's
		during, err = s.settledMemory(ctx)
		r.heard.resume()
	}
	r.calls.Wait()
	if err != nil {
		return nil, err
	}
	if err := r.reachedMetric(ctx, "hotline_rtp_ports_in_use", 0); err != nil { // every call over, its recording closed
		return nil, err
	}
	rec, recOK, err := s.recordings(ctx, n, hold)
	if err != nil {
		return nil, err
	}
	failed := int(r.failed.Load())
	cp99, ap99 := r.heard.jitter.quantile(0.99), phones.jitter.quantile(0.99)
	met := failed == 0 && cp99 < mediaTargetP99 && ap99 < mediaTargetP99 && recOK
	per := func(key string) float64 { return (during[key] - idle[key]) / float64(n) }
	rss, heap, stacks := per("rss")/1024, per("go_memstats_heap_inuse_bytes")/1024, per("go_memstats_stack_inuse_bytes")/1024
	name := fmt.Sprintf("SIP media: %d calls bridged and recorded, %s", n, hold)
	return []row{{name: name + ", caller's leg", count: n, p50: r.heard.jitter.quantile(0.5), p99: cp99,
		note: fmt.Sprintf("p50/p99: jitter of what the callers hear (the agents' audio as the hotline forwards it; kernel arrival times), %s; "+
			"failed calls %d of %d%s; per call %.1f KB RSS, %.1f KB Go heap in use + stacks (%.1f + %.1f), %.1f goroutines "+
			"(server after GC: %.0f → %.0f goroutines, RSS %.0f → %.0f MiB); server CPU %.0f%% of its core, CPU 0 stolen %.0f%%; recordings: %s; "+
			"target p99 < %s on both legs, no failed call, every recording sound: %s",
			legNote(r.heard), failed, n, failures(r.errs), rss, heap+stacks, heap, stacks, per("go_goroutines"),
			idle["go_goroutines"], during["go_goroutines"], idle["rss"]/(1<<20), during["rss"]/(1<<20), r.cpu(from, ticks), stolen(from, steal, r.endedAt, r.endSteal), rec,
			mediaTargetP99, verdict(met))},
		{name: name + ", agent's leg", count: n, p50: phones.jitter.quantile(0.5), p99: ap99,
			note: fmt.Sprintf("p50/p99: jitter of what the agents' phones hear (the callers' audio as the hotline forwards it; "+
				"timed after diago's read, in user space), %s; each caller: 1 by SIP INFO 0.3 s after the answer, an agent's phone answers at once, "+
				"both send 20 ms PCMU; %s", legNote(phones), s.cpuNote)}}, nil
}

// recordings checks the n recordings of the bridged run: stereo WAVs
// whose header matches their size, each about hold long (the bridge
// starts a moment after the key, whence the hold is counted).
func (s *sipBench) recordings(ctx context.Context, n int, hold time.Duration) (string, bool, error) {
	dir := filepath.Join(s.dir, "data", "recordings")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false, err
	}
	var total int64
	var shortest, longest time.Duration
	bad := 0
	for i, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", false, err
		}
		total += int64(len(b))
		if len(b) < 44 || string(b[:4]) != "RIFF" || binary.LittleEndian.Uint16(b[22:]) != 2 ||
			int(binary.LittleEndian.Uint32(b[40:])) != len(b)-44 {
			bad++
			continue
		}
		d := time.Duration(len(b)-44) * time.Second / (8000 * 4)
		if i == 0 || d < shortest {
			shortest = d
		}
		longest = max(longest, d)
		if d < hold-2*time.Second || d > hold+time.Second {
			bad++
		}
	}
	ok := len(entries) == n && bad == 0
	return fmt.Sprintf("%d files (want %d), %.1f MiB, %s to %s of 8 kHz 16-bit stereo each, %d unsound", len(entries), n,
		float64(total)/(1<<20), shortest.Round(10*time.Millisecond), longest.Round(10*time.Millisecond), bad), ok, ctx.Err()
}

// profile saves a 10 s CPU profile and a 5 s execution trace of the
// server in $HOTLINE_BENCH_MEDIA_PROFILE/<name>.pprof and <name>.trace,
// when set, in the background.
func (s *sipBench) profile(ctx context.Context, name string) {
	dir := os.Getenv("HOTLINE_BENCH_MEDIA_PROFILE")
	if dir == "" {
		return
	}
	for file, path := range map[string]string{name + ".pprof": "/debug/pprof/profile?seconds=10", name + ".trace": "/debug/pprof/trace?seconds=5"} {
		go func() {
			body, err := s.b.get(ctx, s.debugURL+path)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, file), body, 0o644)
			}
			if err != nil {
				s.b.log.Warn("server profile", "file", file, "err", err)
			}
		}()
	}
}
