package main

// The SIP benchmark: calls per second (INVITE → answer → BYE, driven by
// sipp) the hotline's IVR completes without a failed call, beside a bare
// sipgo UAS that only answers, and the memory and goroutines a call takes
// in the IVR and bridged to an agent's phone. The servers run on one core
// and sipp on the other (taskset), as far as two cores allow.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	sipRTPPorts       = "61000-64999" // outside Linux's ephemeral ports, beside a development server's
	sipRealm          = "hotline"
	sipTargetRatio    = 0.5
	sipFirstRate      = 50    // calls per second tried first, then doubled
	sipMaxRate        = 12800 // beyond it sipp, not the server, is measured
	sipBisections     = 3
	sipPauseMs        = 100   // between ACK and BYE in the signalling runs
	sipHoldMs         = 22000 // the held calls' length: under the IVR's 30 s without RTP
	sipHoldRate       = "50"  // calls per second setting up the held calls
	sipSettleAfterSet = 2 * time.Second
	sipMaxAnswer      = 100 * time.Millisecond // mean INVITE → 200 of a run that counts: the server kept up
)

// sipBench runs the SIP benchmark's servers and sipp in a directory of
// its own (the server's data, sipp's statistics).
type sipBench struct {
	b        *bench
	dir      string
	pin      []string // how the servers run: on CPU 0
	sippPin  []string // how sipp runs: on CPU 1
	cpuNote  string
	sipAddr  string // the hotline's, while it runs
	debugURL string
}

// sipBench measures the SIP edge: the signalling rates (unless
// o.sipStep is 0) and the held calls' memory (unless o.sipCalls is 0).
func (b *bench) sipBench(ctx context.Context) ([]row, error) {
	if _, err := exec.LookPath("sipp"); err != nil {
		return nil, errors.New("the SIP benchmark needs sipp: sudo apt-get install sip-tester")
	}
	dir, err := os.MkdirTemp("", "hotline-bench-sip-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s := &sipBench{b: b, dir: dir, cpuNote: fmt.Sprintf("server, sipp and PostgreSQL share %d cores", runtime.NumCPU())}
	if _, err := exec.LookPath("taskset"); err == nil && runtime.NumCPU() >= 2 {
		s.pin, s.sippPin = []string{"taskset", "-c", "0"}, []string{"taskset", "-c", "1"}
		s.cpuNote = "server pinned to CPU 0, sipp to CPU 1 (PostgreSQL and the bench's phones unpinned)"
	}
	b.pin = s.pin
	defer func() { b.pin = nil }()
	var rows []row
	if b.o.sipStep > 0 {
		sig, err := s.signalling(ctx)
		if err != nil {
			return nil, err
		}
		rows = append(rows, sig...)
	}
	if b.o.sipCalls > 0 {
		held, err := s.heldCalls(ctx)
		if err != nil {
			return nil, err
		}
		rows = append(rows, held...)
	}
	b.pin = nil
	return rows, b.restartServer(ctx)
}

// startHotline (re)starts the hotline for SIP: its own SIP port, RTP
// ports and data directory, the profiler on (to collect garbage before
// memory is read), calls taken from anywhere (HOTLINE_SIP_OPEN: the
// bench is no carrier trunk) and the INVITE limit raised, since every
// sipp call comes from 127.0.0.1; env adds settings.
func (s *sipBench) startHotline(ctx context.Context, env ...string) error {
	if err := s.b.stopServer(); err != nil {
		return err
	}
	sipAddr, err := freeAddr()
	if err != nil {
		return err
	}
	debug, err := freeAddr()
	if err != nil {
		return err
	}
	data := filepath.Join(s.dir, "data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		return err
	}
	s.sipAddr, s.debugURL = sipAddr, "http://"+debug
	return s.b.startServer(ctx, append([]string{"HOTLINE_SIP_ADDR=" + sipAddr, "HOTLINE_RTP_PORTS=" + sipRTPPorts, "HOTLINE_DATA_DIR=" + data,
		"HOTLINE_SIP_INVITE_LIMIT=1000000", "HOTLINE_SIP_OPEN=true", "HOTLINE_SIP_REALM=" + sipRealm, "HOTLINE_DEBUG_ADDR=" + debug,
		"HOTLINE_LOG_LEVEL=error"}, env...)...) // an overloaded run warns of every call it drops: sipp counts them
}

// pinned is the command name args run under pin (none: as it is).
func pinned(pin []string, name string, args ...string) *exec.Cmd {
	if len(pin) == 0 {
		return exec.Command(name, args...)
	}
	return exec.Command(pin[0], append(append(append([]string{}, pin[1:]...), name), args...)...)
}

// sipTarget is a server the signalling runs call: started afresh after a
// run with failures, so that the calls it left do not weigh on the next.
type sipTarget struct {
	name  string
	start func(ctx context.Context) (addr string, err error)
	stop  func() error
	pid   func() int
}

// signalling finds each server's highest rate without a failed call.
func (s *sipBench) signalling(ctx context.Context) ([]row, error) {
	var bare *exec.Cmd
	targets := []sipTarget{{
		name: "bare sipgo UAS (answers only)",
		start: func(context.Context) (string, error) {
			cmd, addr, err := startBareUAS(s.pin)
			bare = cmd
			return addr, err
		},
		stop: func() error { return stopProcess(bare) },
		pid:  func() int { return bare.Process.Pid },
	}, {
		name: "hotline IVR (answers, plays the welcome)",
		start: func(ctx context.Context) (string, error) {
			err := s.startHotline(ctx)
			return s.sipAddr, err
		},
		stop: s.b.stopServer,
		pid:  func() int { return s.b.server.Process.Pid },
	}}
	var rows []row
	for _, t := range targets {
		r, err := s.maxRate(ctx, t)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	rows[1].ratio = rows[1].rate / rows[0].rate
	rows[1].note += fmt.Sprintf("; target ratio ≥ %.1f: %s", sipTargetRatio, verdict(rows[1].ratio >= sipTargetRatio))
	return rows, nil
}

// maxRate doubles sipp's call rate from sipFirstRate until a rate is not
// clean twice in a row, then bisects between the last clean rate and
// that one.
func (s *sipBench) maxRate(ctx context.Context, t sipTarget) (row, error) {
	addr, err := t.start(ctx)
	if err != nil {
		return row{}, fmt.Errorf("%s: %w", t.name, err)
	}
	defer func() {
		if err := t.stop(); err != nil {
			s.b.log.Warn("stop SIP server", "server", t.name, "err", err)
		}
	}()
	var best sippResult
	good, bad := 0, 0
	attempt := func(rate int) (bool, error) {
		if err := sleep(ctx, time.Second); err != nil { // the previous run's ends written
			return false, err
		}
		calls := max(rate*int(s.b.o.sipStep/time.Second), 2*rate, 100)
		cpu, machine, pg := serverTicks(t.pid()), machineTicks(), postgresTicks()
		r, err := s.sipp(ctx, addr, "-sn", "uac", "-r", strconv.Itoa(rate), "-m", strconv.Itoa(calls), "-l", strconv.Itoa(10*rate),
			"-d", strconv.Itoa(sipPauseMs))
		if err != nil {
			return false, err
		}
		r.serverCPU = time.Duration(serverTicks(t.pid())-cpu) * 10 * time.Millisecond
		r.pgCPU = time.Duration(postgresTicks()-pg) * 10 * time.Millisecond
		r.otherCPU = time.Duration(machineTicks()-machine)*10*time.Millisecond - r.serverCPU - r.sippCPU - r.pgCPU
		ok := r.clean(calls)
		s.b.log.Info("sip rate", "server", t.name, "rate", rate, "calls", calls, "successful", r.successful, "failed", r.failed,
			"retransmissions", r.retrans, "answer", r.answer, "clean", ok)
		if ok {
			good, best = rate, r
			return true, nil
		}
		if addr, err = s.restart(ctx, t); err != nil {
			return false, err
		}
		return false, nil
	}
	// A rate fails only when it fails twice: on loopback at thousands of
	// calls a second one lost datagram fails a run, for either server.
	try := func(rate int) (bool, error) {
		for range 2 {
			if ok, err := attempt(rate); ok || err != nil {
				return ok, err
			}
		}
		bad = rate
		return false, nil
	}
	for rate := sipFirstRate; rate <= sipMaxRate; rate *= 2 {
		ok, err := try(rate)
		if err != nil {
			return row{}, err
		}
		if !ok {
			break
		}
	}
	for i := 0; i < sipBisections && bad > 0 && bad-good > 1; i++ {
		if _, err := try((good + bad) / 2); err != nil {
			return row{}, err
		}
	}
	limit := fmt.Sprintf("-r %d failed", bad)
	if bad == 0 {
		limit = fmt.Sprintf("none failed up to -r %d, where the search stops", sipMaxRate)
	}
	busy := func(d time.Duration) float64 { return 100 * d.Seconds() / best.wall.Seconds() }
	return row{name: "SIP calls, INVITE → 200 → ACK → BYE: " + t.name, count: best.successful, rate: float64(good), p50: best.answer,
		note: fmt.Sprintf("best sipp -r with every call successful, mean INVITE → 200 ≤ %s: %d (%s; %.0f s per rate, "+
			"%d ms ACK → BYE); %d retransmissions; p50 column: mean INVITE → 200 (sipp, ms resolution); CPU busy: server %.0f%%, sipp %.0f%%, "+
			"PostgreSQL %.0f%%, the rest (kernel, other processes) %.0f%% of a core; %s", sipMaxAnswer, good, limit, s.b.o.sipStep.Seconds(), sipPauseMs, best.retrans,
			busy(best.serverCPU), busy(best.sippCPU), busy(best.pgCPU), busy(best.otherCPU), s.cpuNote)}, nil
}

// postgresTicks is the CPU time of every postgres process and of the
// backends that ended (the postmaster's children), in 10 ms ticks.
func postgresTicks() int64 {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var t int64
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile("/proc/" + d.Name() + "/comm"); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			p := strconv.Itoa(pid)
			t += serverTicks(pid) + procField(p, "stat", "", 15) + procField(p, "stat", "", 16)
		}
	}
	return t
}

// serverTicks is the CPU time (user + system, 10 ms ticks) of process pid.
func serverTicks(pid int) int64 {
	p := strconv.Itoa(pid)
	return procField(p, "stat", "", 13) + procField(p, "stat", "", 14)
}

// restart starts t afresh and returns its address.
func (s *sipBench) restart(ctx context.Context, t sipTarget) (string, error) {
	if err := t.stop(); err != nil {
		s.b.log.Warn("stop SIP server", "server", t.name, "err", err)
	}
	return t.start(ctx)
}

// stopProcess ends a process of ours with SIGTERM and waits for it.
func stopProcess(cmd *exec.Cmd) error {
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return cmd.Wait()
}

// sippResult is a sipp run's final statistics.
type sippResult struct {
	exit                                int // 0: every call succeeded
	successful, failed, retrans         int
	answer                              time.Duration // mean INVITE → 200
	wall                                time.Duration // sipp's run, start to exit
	sippCPU, serverCPU, pgCPU, otherCPU time.Duration // otherCPU: the rest of the machine
}

// clean says whether all calls of the run succeeded, answered in
// sipMaxAnswer on average: a server falling behind answers later and
// later until calls fail.
func (r sippResult) clean(calls int) bool {
	return r.succeeded(calls) && r.answer <= sipMaxAnswer
}

// succeeded says whether all calls of the run succeeded.
func (r sippResult) succeeded(calls int) bool {
	return r.exit == 0 && r.failed == 0 && r.successful == calls
}

// sipp runs sipp against addr with args and returns its statistics; an
// exit for failed calls (1) is a result, any other failure an error.
func (s *sipBench) sipp(ctx context.Context, addr string, args ...string) (sippResult, error) {
	run, err := s.startSipp(addr, args...)
	if err != nil {
		return sippResult{}, err
	}
	return run.wait(ctx)
}

// sippRun is sipp running, with its statistics file.
type sippRun struct {
	cmd    *exec.Cmd
	start  time.Time
	stat   string
	stderr *strings.Builder
}

func (s *sipBench) startSipp(addr string, args ...string) (*sippRun, error) {
	port, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	media, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	stat := filepath.Join(s.dir, fmt.Sprintf("sipp-%d.csv", time.Now().UnixNano()))
	all := append([]string{addr, "-s", "12345", "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mp", strconv.Itoa(media),
		"-nostdin", "-trace_stat", "-stf", stat, "-fd", "1", "-recv_timeout", "5000", "-timeout", "300"}, args...)
	r := &sippRun{cmd: pinned(s.sippPin, "sipp", all...), stat: stat, stderr: &strings.Builder{}}
	r.cmd.Dir, r.cmd.Stderr = s.dir, r.stderr // sipp's screen on stdout is not needed
	r.start = time.Now()
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sipp: %w", err)
	}
	return r, nil
}

// wait waits for sipp to end (ctx ending stops it) and reads its figures.
func (r *sippRun) wait(ctx context.Context) (sippResult, error) {
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = errors.Join(ctx.Err(), r.cmd.Process.Kill(), <-done)
		return sippResult{}, err
	}
	res, statErr := r.stats()
	res.wall = time.Since(r.start)
	res.sippCPU = r.cmd.ProcessState.UserTime() + r.cmd.ProcessState.SystemTime()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		res.exit = 1
	case err != nil:
		return res, fmt.Errorf("sipp: %w: %s", err, strings.TrimSpace(r.stderr.String()))
	}
	return res, statErr
}

// stats reads the latest line of sipp's statistics (-trace_stat).
func (r *sippRun) stats() (sippResult, error) {
	data, err := os.ReadFile(r.stat)
	if err != nil {
		return sippResult{}, fmt.Errorf("sipp statistics: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 2 {
		return sippResult{}, errors.New("sipp statistics: no figures yet")
	}
	names, values := strings.Split(lines[0], ";"), strings.Split(lines[len(lines)-1], ";")
	field := map[string]string{}
	for i, n := range names {
		if i < len(values) {
			field[n] = values[i]
		}
	}
	var errs []error
	num := func(name string) int {
		n, err := strconv.Atoi(field[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("sipp statistics: %s: %w", name, err))
		}
		return n
	}
	res := sippResult{successful: num("SuccessfulCall(C)"), failed: num("FailedCall(C)"), retrans: num("Retransmissions(C)"),
		answer: sippDuration(field["ResponseTime1(C)"])}
	return res, errors.Join(errs...)
}

// freeUDPPort is a UDP port of 127.0.0.1 free a moment ago.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	return port, c.Close()
}

// sippDuration parses sipp's hh:mm:ss:microseconds.
func sippDuration(s string) time.Duration {
	var h, m, sec, us int
	if _, err := fmt.Sscanf(s, "%d:%d:%d:%d", &h, &m, &sec, &us); err != nil {
		return 0
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + time.Duration(us)*time.Microsecond
}
