package main

// The outbound benchmark: calls per second the hotline places through
// the carrier trunk to a sipp UAS, with no failed call. Agents (phones
// in this process, as in the SIP benchmark's bridged calls) each call
// back replied tickets one after the other through
// POST /api/v1/calls/outbound: the hotline rings the agent's phone,
// which answers at once, then INVITEs the citizen's number through the
// trunk (sipp on 127.0.0.2), which rings briefly, answers, sends speech
// and hangs up after the hold. The steps raise the agents calling at
// once (-outbound-agents) until a step has a failure. A call counts as
// connected only when sipp completed it, its record says answered, its
// recording holds the citizen's speech and the agent's phone heard RTP.
// Beside each step, sipp calls the same UAS straight with as many calls
// at once (the baseline).

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	outboundTrunkHost = "127.0.0.2" // the carrier's side: sipp as the citizens' phones
	outboundBaseHost  = "127.0.0.3" // the baseline's UAS
	outboundRingMs    = 200         // the citizen's phone rings this long before answering
	outboundMinHeard  = 50          // RTP packets an agent's phone must hear in a call (1 s)
	outboundMinRMS    = 300         // the citizen's channel of a recording, as the end-to-end test wants
	outboundPcap      = "/usr/share/sip-tester/g711a.pcap"
	outboundBusyWait  = 5 * time.Second // an agent's previous call leaving routing after its phone hung up
)

// outboundBench runs the steps and reports each and the best.
func (b *bench) outboundBench(ctx context.Context) ([]row, error) {
	if _, err := exec.LookPath("sipp"); err != nil {
		return nil, errors.New("the outbound benchmark needs sipp: sudo apt-get install sip-tester")
	}
	if _, err := os.Stat(outboundPcap); err != nil {
		return nil, fmt.Errorf("the outbound benchmark's speech: %w (package sip-tester)", err)
	}
	steps, err := parseSteps("-outbound-agents", b.o.outboundAgents)
	if err != nil || len(steps) == 0 {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hotline-bench-outbound-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s := &sipBench{b: b, dir: dir, cpuNote: fmt.Sprintf("server, sipp, the bench's phones and PostgreSQL share %d cores", runtime.NumCPU())}
	if _, err := exec.LookPath("taskset"); err == nil && runtime.NumCPU() >= 2 {
		s.pin, s.sippPin = []string{"taskset", "-c", "0"}, []string{"taskset", "-c", "1"}
		s.cpuNote = "server pinned to CPU 0, sipp to CPU 1 (PostgreSQL and the bench's phones unpinned)"
	}
	b.pin = s.pin
	defer func() { b.pin = nil }()
	o := &outbound{s: s, hold: b.o.outboundHold, window: b.o.outboundFor}
	if err := o.scenarios(); err != nil {
		return nil, err
	}
	most := 0
	for _, n := range steps {
		most = max(most, n)
	}
	cycle := time.Duration(outboundRingMs)*time.Millisecond + o.hold
	perAgent := int(o.window/cycle) + 2
	if err := o.seedTickets(ctx, most*perAgent*len(steps)); err != nil {
		return nil, err
	}
	if o.trunkPort, err = freeUDPPortOn(outboundTrunkHost); err != nil {
		return nil, err
	}
	// 100 calls a number a day is the most allowed; each ticket's number
	// is called once anyway.
	if err := s.startHotline(ctx, "HOTLINE_SIP_TRUNK=ip:"+net.JoinHostPort(outboundTrunkHost, strconv.Itoa(o.trunkPort)),
		"HOTLINE_CALLBACK_HOURS=24x7", "HOTLINE_CALLBACK_PER_DAY=100"); err != nil {
		return nil, err
	}
	if most > 999 {
		return nil, fmt.Errorf("-outbound-agents: at most 999 agents, not %d", most)
	}
	o.ended = make(map[string]chan int64, most)
	for i := range most { // the names agentUsers gives
		o.ended[fmt.Sprintf("sip-agent%03d", i+1)] = make(chan int64, 4)
	}
	agents, err := s.newAgentsHearing(ctx, most, nil, func(agent string, packets int64) {
		if ch := o.ended[agent]; ch != nil {
			select {
			case ch <- packets:
			default:
			}
		}
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := agents.close(); err != nil {
			b.log.Warn("close the bench's phones and consoles", "err", err)
		}
	}()
	o.agents = agents
	for _, name := range agents.names {
		if o.ended[name] == nil {
			return nil, fmt.Errorf("agent %s: not a name the benchmark expected", name)
		}
	}
	var rows []row
	best, bestRate, verdicts := 0, 0.0, []string{}
	for _, n := range steps {
		r, ok, err := o.step(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("outbound, %d agents: %w", n, err)
		}
		base, err := o.baseline(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("outbound baseline, %d calls at once: %w", n, err)
		}
		if base.rate > 0 {
			r.ratio = r.rate / base.rate
		}
		rows = append(rows, base, r)
		b.log.Info("outbound step", "agents", n, "calls/s", fmt.Sprintf("%.1f", r.rate), "connected", r.count,
			"baseline calls/s", fmt.Sprintf("%.1f", base.rate), "clean", ok)
		verdicts = append(verdicts, fmt.Sprintf("%d agents: %.1f calls/s, %s", n, r.rate, verdict(ok)))
		if !ok {
			break
		}
		if r.rate > bestRate {
			best, bestRate = n, r.rate
		}
	}
	rows = append(rows, row{name: "Outbound: most calls per second through the trunk with no failed call", count: best, rate: bestRate,
		note: fmt.Sprintf("count: agents calling at once in that step; steps stop at the first with a failed call: %s", strings.Join(verdicts, "; "))})
	b.pin = nil
	return rows, b.restartServer(ctx)
}

// outbound is the benchmark's state.
type outbound struct {
	s         *sipBench
	hold      time.Duration
	window    time.Duration
	trunkPort int
	agents    *sipAgents
	ended     map[string]chan int64 // each agent's phone: a call ended, with the packets it heard
	tickets   []int64
	next      atomic.Int64 // the next ticket to call back
	uas, uac  string       // the sipp scenarios
}

// seedTickets creates n replied tickets, each with a number of its own.
func (o *outbound) seedTickets(ctx context.Context, n int) error {
	rows, err := o.s.b.db.Pool.Query(ctx, `
		INSERT INTO tickets (id, number, kind, channel, status, urgency, title, content, citizen_name, citizen_phone,
			department, co_departments, dispatch_count, created_at, updated_at, version)
		SELECT id, to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(id::text, greatest(6, length(id::text)), '0'),
			'complaint', 'phone', 'replied', 'normal', '投诉物业乱收费 #' || id, '市民来电反映物业乱收费，请核查处理。', '市民',
			'1370' || lpad(g::text, 7, '0'), 'd07', '{}', 1, now(), now(), 1
		FROM (SELECT nextval('tickets_id_seq') AS id, g FROM generate_series(1, $1::int) g) t
		RETURNING id`, n)
	if err != nil {
		return fmt.Errorf("seed tickets to call back: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		o.tickets = append(o.tickets, id)
	}
	return rows.Err()
}

// ticket is the next ticket to call back.
func (o *outbound) ticket() (int64, error) {
	i := o.next.Add(1) - 1
	if int(i) >= len(o.tickets) {
		return 0, errors.New("no ticket left to call back")
	}
	return o.tickets[i], nil
}

// outboundCall is one call an agent placed.
type outboundCall struct {
	id      int64
	posted  time.Time
	packets int64 // heard by the agent's phone
	endedAt time.Time
}

// stepRun is one step's calls and failures.
type stepRun struct {
	mu       sync.Mutex
	calls    []outboundCall
	failed   int // POSTs refused, calls whose phone never ended
	errs     []string
	busy     atomic.Int64 // 409s retried while the previous call left routing
	attempts atomic.Int64
}

func (r *stepRun) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	if len(r.errs) < 3 {
		r.errs = append(r.errs, err.Error())
	}
}

// step has n agents call back tickets one after another for the window,
// and checks every call. ok: every call connected.
func (o *outbound) step(ctx context.Context, n int) (row, bool, error) {
	uas, err := o.startUAS(outboundTrunkHost, o.trunkPort)
	if err != nil {
		return row{}, false, err
	}
	b := o.s.b
	pid := b.server.Process.Pid
	start, cpu, pg, self := time.Now(), serverTicks(pid), postgresTicks(), serverTicks(os.Getpid())
	until := start.Add(o.window)
	r := &stepRun{}
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range n {
		wg.Go(func() { o.agent(ctx, client, r, i, until) })
	}
	wg.Wait()
	end := start
	for _, c := range r.calls {
		if c.endedAt.After(end) {
			end = c.endedAt
		}
	}
	wall := end.Sub(start)
	if wall <= 0 {
		wall = time.Since(start)
	}
	serverCPU := time.Duration(serverTicks(pid)-cpu) * 10 * time.Millisecond
	pgCPU := time.Duration(postgresTicks()-pg) * 10 * time.Millisecond
	benchCPU := time.Duration(serverTicks(os.Getpid())-self) * 10 * time.Millisecond
	if err := sleep(ctx, 2*time.Second); err != nil { // sipp's last 200s to the BYEs, its statistics written
		_, stopErr := stopSipp(uas)
		return row{}, false, errors.Join(err, stopErr)
	}
	sipp, err := stopSipp(uas)
	if err != nil {
		return row{}, false, err
	}
	sippErr, err := firstSippError(uas.stat + ".errors")
	if err != nil {
		return row{}, false, err
	}
	checked, err := o.check(ctx, r.calls)
	if err != nil {
		return row{}, false, err
	}
	attempted := int(r.attempts.Load())
	failed := attempted - checked.connected
	ok := failed == 0 && sipp.failed == 0 && sipp.successful == checked.connected
	rate := 0.0
	if wall > 0 {
		rate = float64(checked.connected) / wall.Seconds()
	}
	p50, p99 := percentiles(checked.answer)
	busy := func(d time.Duration) float64 { return 100 * d.Seconds() / wall.Seconds() }
	return row{name: fmt.Sprintf("Outbound: calls per second through the trunk to a sipp UAS, %d agents", n), count: checked.connected, rate: rate,
			p50: p50, p99: p99,
			note: fmt.Sprintf("%.1f calls/s; attempted %d, connected %d, failed %d%s%s; sipp UAS: %d successful, %d failed%s; "+
				"connected: sipp completed it, the record says answered (hang-up by %s), the recording has the citizen's speech, the agent's phone heard ≥ %d RTP packets; "+
				"p50/p99: POST /calls/outbound → bridged (the record's answered_at); calls/s: connected over first POST → last call's end (%.1f s); "+
				"%d 409s retried while an agent's previous call left routing; each call: the agent's phone answers at once, the citizen's rings %d ms, "+
				"answers, sends speech and hangs up after %s; agents place calls for %s; CPU busy: server %.0f%%, sipp UAS %.0f%%, PostgreSQL %.0f%%, "+
				"the bench (phones, HTTP) %.0f%% of a core; %s",
				rate, attempted, checked.connected, failed, failures(r.errs), checked.note(), sipp.successful, sipp.failed, sippErr, checked.hangups(), outboundMinHeard,
				wall.Seconds(), r.busy.Load(), outboundRingMs, o.hold, o.window,
				busy(serverCPU), busy(sipp.sippCPU), busy(pgCPU), busy(benchCPU), o.s.cpuNote)},
		ok, nil
}

// agent is agent i calling back tickets until the window ends.
func (o *outbound) agent(ctx context.Context, client *http.Client, r *stepRun, i int, until time.Time) {
	name, tok := o.agents.names[i], o.agents.tokens[i]
	ended := o.ended[name]
	for time.Now().Before(until) && ctx.Err() == nil {
		tk, err := o.ticket()
		if err != nil {
			r.fail(err)
			return
		}
		r.attempts.Add(1)
		posted := time.Now()
		id, err := o.place(ctx, client, r, tok, tk)
		if err != nil {
			r.fail(fmt.Errorf("%s: %w", name, err))
			return
		}
		select {
		case packets := <-ended:
			r.mu.Lock()
			r.calls = append(r.calls, outboundCall{id: id, posted: posted, packets: packets, endedAt: time.Now()})
			r.mu.Unlock()
		case <-time.After(o.hold + 30*time.Second):
			r.fail(fmt.Errorf("%s: call %d not over on the agent's phone after %s", name, id, o.hold+30*time.Second))
			return
		case <-ctx.Done():
			return
		}
	}
}

// place POSTs the outbound call of ticket tk and returns the call's id;
// a 409 while the agent's previous call leaves routing is tried again.
func (o *outbound) place(ctx context.Context, client *http.Client, r *stepRun, tok string, tk int64) (int64, error) {
	body := fmt.Sprintf(`{"ticket_id":%d}`, tk)
	deadline := time.Now().Add(outboundBusyWait)
	for {
		req, err := http.NewRequestWithContext(ctx, "POST", o.s.b.base+"/api/v1/calls/outbound", strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		var placed struct{ ID string }
		var msg strings.Builder
		if res.StatusCode == http.StatusCreated {
			err = json.NewDecoder(res.Body).Decode(&placed)
		} else {
			_, err = fmt.Fprint(&msg, res.Status)
		}
		err = errors.Join(err, res.Body.Close())
		switch {
		case err != nil:
			return 0, err
		case res.StatusCode == http.StatusCreated:
			return strconv.ParseInt(placed.ID, 10, 64)
		case res.StatusCode == http.StatusConflict && time.Now().Before(deadline):
			r.busy.Add(1)
			if err := sleep(ctx, 10*time.Millisecond); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("POST /api/v1/calls/outbound: %s", msg.String())
		}
	}
}

// checkedCalls is what the call records and recordings say of a step.
type checkedCalls struct {
	connected  int
	answer     []time.Duration // POST → bridged, of the connected
	notAnswer  int             // record not answered
	noSpeech   int             // recording missing the citizen
	notHeard   int             // the agent's phone heard too little
	hangupBy   map[string]int
	minRMS     float64
	minPackets int64
}

func (c checkedCalls) note() string {
	if c.notAnswer+c.noSpeech+c.notHeard == 0 {
		return fmt.Sprintf("; citizen's channel RMS ≥ %.0f, agent's phone heard ≥ %d packets in every call", c.minRMS, c.minPackets)
	}
	return fmt.Sprintf("; records not answered %d, recordings without the citizen %d, agent's phone deaf %d", c.notAnswer, c.noSpeech, c.notHeard)
}

func (c checkedCalls) hangups() string {
	var parts []string
	for _, by := range slices.Sorted(maps.Keys(c.hangupBy)) {
		parts = append(parts, fmt.Sprintf("%s %d", by, c.hangupBy[by]))
	}
	return strings.Join(parts, ", ")
}

// check reads the step's call records once they are all over and checks
// each call's recording.
func (o *outbound) check(ctx context.Context, calls []outboundCall) (checkedCalls, error) {
	c := checkedCalls{hangupBy: map[string]int{}, minRMS: math.Inf(1), minPackets: math.MaxInt64}
	if len(calls) == 0 {
		return c, nil
	}
	ids := make([]int64, len(calls))
	for i, call := range calls {
		ids[i] = call.id
	}
	type record struct {
		outcome, hangupBy, recording string
		answeredAt                   *time.Time
	}
	records := map[int64]record{}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, err := o.s.b.db.Pool.Query(ctx, `SELECT id, outcome, coalesce(hangup_by, ''), recording, answered_at FROM calls
			WHERE id = ANY($1) AND outcome IS NOT NULL`, ids)
		if err != nil {
			return c, err
		}
		for rows.Next() {
			var id int64
			var r record
			if err := rows.Scan(&id, &r.outcome, &r.hangupBy, &r.recording, &r.answeredAt); err != nil {
				rows.Close()
				return c, err
			}
			records[id] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return c, err
		}
		if len(records) == len(calls) {
			break
		}
		if time.Now().After(deadline) {
			return c, fmt.Errorf("%d of %d outbound call records not ended after 30 s", len(calls)-len(records), len(calls))
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return c, err
		}
	}
	for _, call := range calls {
		r := records[call.id]
		c.hangupBy[r.hangupBy]++
		if r.outcome != "answered" || r.answeredAt == nil {
			c.notAnswer++
			continue
		}
		rms, err := o.citizenRMS(r.recording)
		if err != nil {
			return c, fmt.Errorf("call %d: %w", call.id, err)
		}
		c.minRMS = min(c.minRMS, rms)
		c.minPackets = min(c.minPackets, call.packets)
		switch {
		case rms < outboundMinRMS:
			c.noSpeech++
		case call.packets < outboundMinHeard:
			c.notHeard++
		default:
			c.connected++
			c.answer = append(c.answer, r.answeredAt.Sub(call.posted))
		}
	}
	return c, nil
}

// citizenRMS is the RMS of the citizen's (left) channel of a recording,
// 0 for none.
func (o *outbound) citizenRMS(name string) (float64, error) {
	if name == "" {
		return 0, nil
	}
	wav, err := os.ReadFile(filepath.Join(o.s.dir, "data", "recordings", name))
	if err != nil {
		return 0, err
	}
	if len(wav) < 44 || string(wav[:4]) != "RIFF" || binary.LittleEndian.Uint16(wav[22:]) != 2 {
		return 0, nil
	}
	var sum float64
	n := 0
	for i := 44; i+4 <= len(wav); i += 4 {
		v := float64(int16(binary.LittleEndian.Uint16(wav[i:])))
		sum += v * v
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return math.Sqrt(sum / float64(n)), nil
}

// baseline has sipp call the same UAS scenario straight, n calls at once,
// as many calls as the step's window holds.
func (o *outbound) baseline(ctx context.Context, n int) (row, error) {
	port, err := freeUDPPortOn(outboundBaseHost)
	if err != nil {
		return row{}, err
	}
	uas, err := o.startUAS(outboundBaseHost, port)
	if err != nil {
		return row{}, err
	}
	cycle := time.Duration(outboundRingMs)*time.Millisecond + o.hold
	calls := n * max(1, int((o.window+cycle-1)/cycle)) // as many rounds as each agent places in the window
	res, err := o.s.sipp(ctx, net.JoinHostPort(outboundBaseHost, strconv.Itoa(port)), "-sf", o.uac, "-l", strconv.Itoa(n),
		"-r", strconv.Itoa(max(10, n)), "-m", strconv.Itoa(calls))
	uasRes, stopErr := stopSipp(uas)
	if err = errors.Join(err, stopErr); err != nil {
		return row{}, err
	}
	rate := float64(res.successful) / res.wall.Seconds()
	ok := res.succeeded(calls) && uasRes.failed == 0
	return row{name: fmt.Sprintf("Outbound: sipp UAC → sipp UAS straight, %d calls at once (baseline)", n), count: res.successful, rate: rate,
		note: fmt.Sprintf("%.1f calls/s; %d of %d calls successful, %d failed (UAS: %d failed), every call successful: %s; the same UAS scenario "+
			"(%d ms ring, speech, BYE after %s), the UAC sends no RTP; mean INVITE → 200 %s (sipp, ms resolution); calls/s over sipp's run (%.1f s); "+
			"ratio of the hotline's row: its calls/s over this", rate, res.successful, calls, res.failed, uasRes.failed, verdict(ok),
			outboundRingMs, o.hold, ms(res.answer), res.wall.Seconds())}, nil
}

// startUAS starts sipp as the citizens' phones on host:port.
func (o *outbound) startUAS(host string, port int) (*sippRun, error) {
	media, err := freeUDPPortOn(host)
	if err != nil {
		return nil, err
	}
	stat := filepath.Join(o.s.dir, fmt.Sprintf("sipp-uas-%d.csv", time.Now().UnixNano()))
	r := &sippRun{cmd: pinned(o.s.sippPin, "sipp", "-sf", o.uas, "-i", host, "-p", strconv.Itoa(port), "-mi", host, "-mp", strconv.Itoa(media),
		"-nostdin", "-trace_stat", "-stf", stat, "-fd", "1", "-max_socket", "60000", "-trace_err", "-error_file", stat+".errors"),
		stat: stat, stderr: &strings.Builder{}}
	r.cmd.Dir, r.cmd.Stderr = o.s.dir, r.stderr
	r.start = time.Now()
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sipp UAS: %w", err)
	}
	// sipp binds its port a moment after it starts.
	for deadline := time.Now().Add(10 * time.Second); ; {
		l, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return r, nil
		}
		if err := l.Close(); err != nil {
			return nil, errors.Join(err, r.cmd.Process.Kill(), r.cmd.Wait())
		}
		if time.Now().After(deadline) {
			return nil, errors.Join(fmt.Errorf("sipp UAS not listening on %s:%d after 10 s: %s", host, port, r.stderr.String()),
				r.cmd.Process.Kill(), r.cmd.Wait())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopSipp ends a sipp UAS (SIGUSR1: sipp's quit) and reads its figures.
func stopSipp(r *sippRun) (sippResult, error) {
	if err := r.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		return sippResult{}, err
	}
	return r.wait(context.Background())
}

// firstSippError is the first error sipp wrote to its -error_file, for
// the note ("" for none).
func firstSippError(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "The following events occurred") {
			if len(line) > 200 {
				line = line[:200]
			}
			return " (the first: " + line + ")", nil
		}
	}
	return "", nil
}

// freeUDPPortOn is a UDP port of host free a moment ago.
func freeUDPPortOn(host string) (int, error) {
	c, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	return port, c.Close()
}

// scenarios writes the sipp scenarios: the citizen's phone (UAS) and the
// baseline's caller (UAC).
func (o *outbound) scenarios() error {
	o.uas, o.uac = filepath.Join(o.s.dir, "outbound_uas.xml"), filepath.Join(o.s.dir, "outbound_uac.xml")
	uas := strings.NewReplacer("RING_MS", strconv.Itoa(outboundRingMs), "HOLD_MS", strconv.Itoa(int(o.hold.Milliseconds())),
		"PCAP", outboundPcap).Replace(outboundUAS)
	return errors.Join(os.WriteFile(o.uas, []byte(uas), 0o600), os.WriteFile(o.uac, []byte(outboundUAC), 0o600))
}

// outboundUAS is the citizen's phone behind the trunk: it rings, answers
// (PCMA), sends speech and hangs up after the hold.
const outboundUAS = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="Called back: ring, answer, talk, hang up">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="remote_contact"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:citizen@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="RING_MS"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:citizen@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15

    ]]>
  </send>
  <recv request="ACK" crlf="true"></recv>
  <nop>
    <action>
      <exec play_pcap_audio="PCAP"/>
    </action>
  </nop>
  <pause milliseconds="HOLD_MS"/>
  <send retrans="500">
    <![CDATA[
      BYE [$remote_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:citizen@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To:[$remote_from]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"></recv>
</scenario>
`

// outboundUAC is the baseline's caller: INVITE, ACK, then the UAS's BYE.
const outboundUAC = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="Baseline: call the citizen's phone straight">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "12345" <sip:12345@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:12345@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000

    ]]>
  </send>
  <recv response="100" optional="true"></recv>
  <recv response="180" optional="true"></recv>
  <recv response="200" rtd="true"></recv>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "12345" <sip:12345@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:12345@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv request="BYE"></recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
`
