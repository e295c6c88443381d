package main

// The SIP benchmark's held calls: o.sipCalls calls held at once in the
// IVR, then as many bridged to agents' phones, and what each costs the
// server in memory and goroutines.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// bridgedScenario is a citizen who presses 1 (RFC 4733, sip-tester's
// pcap) right after the answer, is bridged to an agent, and hangs up
// after the pause; sipp's built-in uac sends no key.
const bridgedScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="press 1, held bridged, hang up">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1380000[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:caller@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[local_ip_type] [local_ip]
      t=0 0
      m=audio [auto_media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15

    ]]>
  </send>
  <recv response="100" optional="true"></recv>
  <recv response="180" optional="true"></recv>
  <recv response="200" rtd="true"></recv>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1380000[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:caller@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="300"/>
  <nop>
    <action>
      <exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_1.pcap"/>
    </action>
  </nop>
  <pause milliseconds="HOLD"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1380000[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: sip:caller@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"></recv>
</scenario>
`

// heldCalls measures o.sipCalls calls held in the IVR, then as many
// bridged to agents whose phones (in this process) answer.
func (s *sipBench) heldCalls(ctx context.Context) ([]row, error) {
	n := s.b.o.sipCalls
	if err := s.startHotline(ctx); err != nil {
		return nil, err
	}
	ivr, err := s.hold(ctx, n, `ended_at IS NULL`, "-sn", "uac", "-d", strconv.Itoa(sipHoldMs))
	if err != nil {
		return nil, fmt.Errorf("calls in the IVR: %w", err)
	}
	ivr.name = fmt.Sprintf("SIP: %d calls held in the IVR: memory", n)
	ivr.note += "; each answered, hearing the welcome and the menu (sipp's uac: no key)"

	if err := s.startHotline(ctx); err != nil {
		return nil, err
	}
	agents, err := s.newAgents(ctx, n, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := agents.close(); err != nil {
			s.b.log.Warn("close the bench's phones and consoles", "err", err)
		}
	}()
	scenario := filepath.Join(s.dir, "bridged.xml")
	if err := os.WriteFile(scenario, []byte(strings.Replace(bridgedScenario, "HOLD", strconv.Itoa(sipHoldMs), 1)), 0o644); err != nil {
		return nil, err
	}
	bridged, err := s.hold(ctx, n, `ended_at IS NULL AND answered_at IS NOT NULL`, "-sf", scenario)
	if err != nil {
		return nil, fmt.Errorf("bridged calls: %w", err)
	}
	bridged.name = fmt.Sprintf("SIP: %d calls bridged to agents' phones: memory", n)
	bridged.note += fmt.Sprintf("; each: the caller pressed 1 (RFC 4733), an agent's phone answered (%d answers) and sends 20 ms PCMU, "+
		"the server bridges and records; idle: the %d agents ready, phones registered", agents.answered.Load(), n)
	return []row{ivr, bridged}, nil
}

// hold measures the server idle, starts n calls of sipp's scenario args
// at sipHoldRate a second, waits until the server's call records show n
// calls matching where, and measures it again; sipp then hangs up.
func (s *sipBench) hold(ctx context.Context, n int, where string, args ...string) (row, error) {
	idle, err := s.settledMemory(ctx)
	if err != nil {
		return row{}, err
	}
	var before int64 // the call records of earlier runs
	if err := s.b.db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM calls`).Scan(&before); err != nil {
		return row{}, err
	}
	run, err := s.startSipp(s.sipAddr, append(args, "-r", sipHoldRate, "-m", strconv.Itoa(n), "-l", strconv.Itoa(n))...)
	if err != nil {
		return row{}, err
	}
	held, during, measureErr := s.whileHeld(ctx, n, before, where)
	res, err := run.wait(ctx)
	if err = errors.Join(measureErr, err); err != nil {
		return row{}, err
	}
	if !res.succeeded(n) {
		return row{}, fmt.Errorf("sipp: %d of %d calls succeeded, %d failed", res.successful, n, res.failed)
	}
	per := func(key string) float64 { return (during[key] - idle[key]) / float64(n) }
	rss, heap, stacks := per("rss")/1024, per("go_memstats_heap_inuse_bytes")/1024, per("go_memstats_stack_inuse_bytes")/1024
	return row{count: n, note: fmt.Sprintf("per call %.1f KB Go heap in use + stacks (%.1f + %.1f), %.1f goroutines, %.1f KB RSS "+
		"(noisy: the runtime keeps freed memory); server, after GC: %.0f → %.0f goroutines, RSS %.0f → %.0f MiB; measured %s after sipp started",
		heap+stacks, heap, stacks, per("go_goroutines"), rss, idle["go_goroutines"], during["go_goroutines"],
		idle["rss"]/(1<<20), during["rss"]/(1<<20), held.Round(100*time.Millisecond))}, nil
}

// whileHeld waits until the call records after id before show n calls
// matching where, then measures the server settled, and checks that all
// n still match.
func (s *sipBench) whileHeld(ctx context.Context, n int, before int64, where string) (time.Duration, map[string]float64, error) {
	start, deadline := time.Now(), time.Now().Add(time.Duration(sipHoldMs)*time.Millisecond/2)
	count := func() (int, error) {
		var c int
		err := s.b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM calls WHERE id > $1 AND `+where, before).Scan(&c)
		return c, err
	}
	for {
		c, err := count()
		if err != nil {
			return 0, nil, err
		}
		if c == n {
			break
		}
		if time.Now().After(deadline) {
			return 0, nil, fmt.Errorf("%d calls where %s after %s, want %d", c, where, time.Since(start).Round(time.Second), n)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return 0, nil, err
		}
	}
	if err := sleep(ctx, sipSettleAfterSet); err != nil {
		return 0, nil, err
	}
	m, err := s.settledMemory(ctx)
	if err != nil {
		return 0, nil, err
	}
	c, err := count()
	if err == nil && c != n {
		err = fmt.Errorf("%d calls where %s once measured, want %d", c, where, n)
	}
	return time.Since(start), m, err
}

// settledMemory collects the server's garbage twice, a second apart, and
// returns its metrics, with "rss" from /proc.
func (s *sipBench) settledMemory(ctx context.Context) (map[string]float64, error) {
	for range 2 {
		if _, err := s.b.get(ctx, s.debugURL+"/debug/pprof/heap?gc=1"); err != nil {
			return nil, err
		}
		if err := sleep(ctx, time.Second); err != nil {
			return nil, err
		}
	}
	m, err := s.b.serverMetrics(ctx)
	if m != nil {
		m["rss"] = float64(procStatusBytes(s.b.server.Process.Pid, "VmRSS:"))
	}
	return m, err
}
